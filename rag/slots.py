"""The asked slot: the kind of fact a question asks for, and whether a text fills it.

A reply counts as an answer only if it holds a filler of the asked slot that the
question does not already hold: a name for "who", a date at the asked granularity
for "when", a place for "where", a figure with what it counts for "how many", a
cause for "why", new facts for an open question. A sentence that restates the
question and a phrase of the wrong type ("Sommet" for a city, the "3" of "3e Forum"
for a count, "mardi" for an exact date) fill nothing. The rules read French and
English news questions by their question words; a question they do not recognise
asks an open slot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from rag.chunking import split_sentences
from rag.text import (
    ALIASES,
    CITATION,
    COUNT_WORDS,
    ENGLISH_DATE_WORDS,
    MONTHS_EN,
    MONTHS_FR,
    STOPWORDS,
    UNIT_WORDS,
    WEEKDAYS_EN,
    WEEKDAYS_FR,
    content_terms,
    fold,
    stem,
    word_list,
    words,
)

Kind = Literal["person", "organisation", "place", "date", "count", "reason", "yesno", "open"]
Granularity = Literal["", "year", "month", "day", "weekday"]


@dataclass(frozen=True)
class Slot:
    kind: Kind
    granularity: Granularity = ""  # a date's: year, month, day (of the month), weekday
    across: bool = False  # the question asks about several articles
    two_part: bool = False  # "À quelle date …, et à quelle occasion ?": a second thing asked


# ---------------------------------------------------------------- reading the question


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# "which former British prime minister", "name the three companies": up to three words
# before the noun, no article
# ("quels nouveaux produits les entreprises…" asks for products, not companies)
_WHICH = (
    r"\b(?:which|what|quel(?:le)?s?|lequel|laquelle|lesquel(?:le)?s"
    r"|(?:name|list) (?:the|every|each|all(?: the)?)"
    r"|(?:nommez|citez) (?:l(?:es?|a)|tou(?:te)?s les))\s+"
    r"(?:(?!(?:les?|la|l|des?|du|the|an?|of|et|and|ont|a|have|has|did|does|do)\b)[\w-]+\s+){0,3}?"
)
_PEOPLE_NOUN = (
    r"(?:person|people|officials?|ministers?|diplomats?|leaders?|spokes(?:man|men|person)"
    r"|experts?|researchers?|envoys?|journalists?|reporters?|presidents?|participants?"
    r"|heads?|chiefs?|secretar(?:y|ies)|ambassadors?|negotiators?"
    r"|(?:government|political|public) figures|personalities|personnalités"
    r"|personnes?|ministres?|diplomates?|responsables?|dirigeants?|porte-parole|chercheu(?:rs?"
    r"|ses?)|envoyés?|journalistes?|présidents?|chefs?|secrétaires?|ambassadeu(?:rs?|rices?)"
    r"|négociat(?:eurs?|rices?))\b"
)
# "Quels dirigeants…", "the name of the anonymous participant", "Comment s'appellent les
# responsables…": a person's name is asked, not "des représentants"
_NAMES_ASKED = _any(
    _WHICH + _PEOPLE_NOUN,
    r"\b(?:comment s[’']appell\w*|names? of|noms? d(?:u|es?|e l[a’'])|nom d[eu])\s+"
    r"(?:(?:the|les?|la|l[’']|an?)\s*)?(?:[\w-]+\s+){0,2}?" + _PEOPLE_NOUN,
)
# the order of events asks for their dates, each from its own article (dev3 e025, dev4 g044)
_ORDER_ASKED = _any(
    r"\b(?:which|what) (?:came|happened|took place) (?:first|last)\b|\ben premier\b",
    r"\b(?:remets|remettez|mets|mettez|put|list) (?:\w+ )?(?:dans l[’']ordre|in order)\b",
    r"\bchronolog",
)
_ASKS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (
        "reason",
        _any(
            r"\b(?:why|pourquoi|for what (?:reason|purpose)|pour quelle raison|dans quel but)\b",
            r"\bwhat (?:led|prompted|pushed|drove|caused|motivated)\b",
            r"\bqu[’']est-ce qui (?:a )?(?:pouss|motiv|condui|expliqu)",
            r"\b(?:what|quel(?:le)?) (?:is|was|est|était) (?:the |le |la |l[’'])?"
            r"(?:reason|raison|goal|aim|purpose|objective|but|objectif)\b",
        ),
    ),
    (
        "count",
        _any(
            r"\b(?:how many|how much|how long|combien|what share|what percentage)\b",
            r"\bwhat proportion\b",
            r"\b(?:quelle (?:part|proportion)|quel pourcentage|quel nombre|what number)\b",
            r"\b(?:quelle (?:surface|superficie|somme)|quel (?:montant|bilan|total|budget|coût))\b",
            r"\bwhat (?:area|amount|sum|total|toll|budget|cost)\b|\bhow (?:large|big|high|heavy)\b",
        ),
    ),
    (
        "date",
        _any(
            r"\b(?:when|quand|since when|depuis quand)\b",
            r"\bà quel(?:le)?s? (?:dates?|périodes?|époques?|moments?)\b",  # dev4 g085, k02
            _WHICH + r"(?:days?|dates?|months?|years?|jours?|mois|années?|an)\b",
            r"\ben quelle année\b|\bin what year\b",
            _ORDER_ASKED.pattern,
        ),
    ),
    (
        "place",
        _any(
            r"\b(?:where|où|ou se|d[’']où)\b",
            _WHICH + r"(?:city|cities|country|countries|town|venue|place|location|capital)\b",
            _WHICH + r"(?:ville|villes|pays|lieu|endroit|capitale)\b",
            # dev4 g025: "What was the venue of…" (the article stops `_WHICH`)
            r"\b(?:what|quel(?:le)?) (?:is|was|were|est|était) (?:the |le |la |l[’'])?"
            r"(?:venue|location|city|lieu|endroit|ville)\b",
        ),
    ),
    (
        "person",
        _any(
            r"\b(?:who|whom|whose)\b",
            r"(?:^|[,:] ?|\b(?:à|a|par|avec|pour|de|chez|et|selon)\s+)qui\b",
            r"\bc[’']est qui\b",
            _NAMES_ASKED.pattern,
        ),
    ),
    (
        "organisation",
        _any(
            _WHICH + r"(?:company|companies|firm|firms|organi[sz]ations?|institutions?"
            r"|ministry|ministries|university|universities|outlets?|newspapers?|media"
            r"|group|groups|agency|agencies|entities|broker|brokerage|body|bodies|administrations?"
            r"|departments?|authorities|labs?|laborator(?:y|ies)|start-?ups?)\b",
            _WHICH + r"(?:entreprises?|sociétés?|firmes?|organisations?|institutions?"
            r"|ministères?|universités?|journal|journaux|médias?|groupes?|agences?"
            r"|organismes?|entités?|courtiers?|administrations?|autorités|boîtes?|labos?"
            r"|laboratoires?|start-?ups?)\b",
            r"\b(?:according to (?:whom|which)|selon quel(?:le)?s?|d[’']après quel(?:le)?s?)\b",
        ),
    ),
)
_YES_NO = re.compile(
    r"^(?:and |et )?(?:is|are|was|were|did|does|do|has|have|had|will|would|can|could|should"
    r"|est-ce qu|y a-t-il|y avait-il)\b"
    r"|^[^?]*?\b\w+-(?:t-)?(?:il|elle|ils|elles|on)\b(?![^?]*\b(?:que|quoi|comment)\b)",
    re.IGNORECASE,
)
_QUESTION_WORD = re.compile(
    r"\b(?:what|which|how|que|quoi|quel(?:le)?s?|comment|qu[’'])", re.IGNORECASE
)
_ACROSS = re.compile(
    r"\b(?:both|les deux (?:articles|textes|sources)|across|each (?:article|source)"
    r"|chaque (?:article|source)|in the (?:articles|corpus|collection)|dans (?:les articles"
    r"|le corpus)|(?:l['’]ensemble|tout) (?:du|le) corpus|(?:whole|entire) (?:corpus|collection)"
    r"|compar\w*|differ\w*|diff[ée]ren\w*|in common|en commun|which articles"
    r"|quels articles|several articles|plusieurs articles|all the articles|tous les articles"
    r"|(?:other|autres?) articles?|each time|à chaque fois|d['’]un article à l['’]autre"
    r"|(?:the|these|les|ces) (?:\w+ )?(?:articles|stories|reports|textes)|the coverage"
    r"|more than one (?:article|story)|plus d['’]un article|à la fois|tou(?:te)?s deux"
    r"|(?:two|deux|different|différents|several|plusieurs) (?:of the )?(?:different )?"
    r"(?:articles|sources|stories|pieces|reports|textes|dépêches))\b",
    re.IGNORECASE,
)
# a second question word joined by "and": "…, et à quelle occasion ?", "When and where…"
_SECOND_ASK = re.compile(
    r"(?:,\s*|\s)(?:et|and)\s+(?:(?:à|in|on|at|de|en|par|by|for|pour|avec|with)\s+)?"
    r"(?:qui|quand|où|combien|comment|pourquoi|quel(?:le)?s?|lesquel(?:le)?s?"
    r"|who|when|where|how|why|what|which)\b",
    re.IGNORECASE,
)
_YEAR_WORDS = re.compile(r"\b(?:years?|années?|an|year)\b", re.IGNORECASE)
_MONTH_WORDS = re.compile(r"\b(?:months?|mois)\b", re.IGNORECASE)
_DAY_OF_MONTH = re.compile(
    r"\b(?:dates?|exact day|day of the month|le combien|quel jour du mois|date (?:exacte|précise))",
    re.IGNORECASE,
)
_DAY_WORDS = re.compile(r"\b(?:days?|jours?)\b", re.IGNORECASE)
_EXACTLY = re.compile(
    r"\b(?:exact(?:ly|e)?|precise(?:ly)?|exactement|précis(?:e|ément)?)\b", re.IGNORECASE
)
# "D'où viennent les chiffres ?", "Where do the figures come from?": a source is asked
_SOURCE_ASKED = re.compile(
    r"\bd[’']où (?:vien\w+|provien\w+|sort\w*|tir\w+)\s+(?:\w+\s+){0,2}?"
    r"(?:chiffres?|données|statistiques?|estimations?|informations?|nombres?)\b"
    r"|\bwhere (?:do|does|did) (?:the |these |this |those )?(?:\w+\s+){0,2}?"
    r"(?:figures?|data|numbers?|statistics?|estimates?|information)\b[^?]{0,60}? come from\b",
    re.IGNORECASE,
)


_DESCRIPTION = re.compile(
    r"\b(?:what (?:kind|type|sort) of|quel(?:le)? (?:type|genre|sorte) de|quelle sorte de)\b",
    re.IGNORECASE,
)
# "Qui est Liu Wei, l'expert cité ?", "Who is Seth Center?", "C'est qui, ce Liu Wei
# cité… ?": the name is given, a description is asked
_CAPITALISED_WORDS = r"[A-ZÀ-Ý][\w'’-]*(?:\s+[A-ZÀ-Ý][\w'’-]*)*"
_WHO_IS_NAMED = re.compile(
    r"^\s*(?:[Ww]ho(?:['’]s| is| was| are| were)|[Qq]ui (?:est|était|sont|étaient)"
    rf"|[Cc]['’]est qui),?\s+(?:(?:ce|cet|cette|this|that)\s+{_CAPITALISED_WORDS}"
    rf"|{_CAPITALISED_WORDS}\s*(?:[,?.!]|(?:exactement|exactly|vraiment|really)\b|$))"
)


# dev4 g068: "Which edition of the forum was it when…" asks for "the third", not a date
_ORDINAL_ASKED = _any(
    r"\b(?:which|what) (?:edition|session|round)\b",
    r"\bquel(?:le)? (?:édition|session)\b|\bcombientième\b",
)


def asked_slot(question: str) -> Slot:
    """The kind of fact `question` asks for; 'open' when no question word says."""
    across = bool(_ACROSS.search(question) or _ORDER_ASKED.search(question))
    two_part = bool(_SECOND_ASK.search(question))
    if _DESCRIPTION.search(question) or _WHO_IS_NAMED.search(question):  # a description
        return Slot("open", "", across)
    if _SOURCE_ASKED.search(question):  # where figures come from: who gave them
        return Slot("organisation", "", across, two_part)
    if _ORDINAL_ASKED.search(question):  # "which edition… when": no date, the sentence says
        return Slot("open", "", across)
    # the question word that comes first is the one asked: "Which newspaper reported who
    # would lead…" asks for a newspaper
    found = [(m.start(), i) for i, (_, p) in enumerate(_ASKS) if (m := p.search(question))]
    if found:
        kind = _ASKS[min(found)[1]][0]
        granularity = _granularity(question) if kind == "date" else ""
        return Slot(kind, granularity, across, two_part)
    if _YES_NO.search(question.strip()) and not _QUESTION_WORD.search(question):
        return Slot("yesno", "", across)
    return Slot("open", "", across)


def _granularity(question: str) -> Granularity:
    if _DAY_OF_MONTH.search(question):
        return "day"
    if _YEAR_WORDS.search(question):
        return "year"
    if _MONTH_WORDS.search(question):
        return "month"
    if _EXACTLY.search(question):  # "when exactly", "quel jour précis": no weekday
        return "day"
    if _DAY_WORDS.search(question):
        return "weekday"
    return ""


# ---------------------------------------------------------------- fillers in a text

_MONTH = "|".join(MONTHS_FR + MONTHS_EN)
_WEEKDAY = "|".join(WEEKDAYS_FR + WEEKDAYS_EN)
_DAY = r"\d{1,2}(?:er|st|nd|rd|th)?"
DATE_PHRASE = re.compile(
    rf"\b(?:(?:les? )?{_DAY}(?:(?: et | and |-)(?:le )?{_DAY})? (?:{_MONTH})(?: \d{{4}})?"
    rf"|(?:{_MONTH}) {_DAY}(?:(?: and |-){_DAY})?(?:,? \d{{4}})?"
    rf"|(?:en )?(?:{_MONTH})(?: et (?:en )?(?:{_MONTH}))?(?: \d{{4}})?"
    rf"|(?:{_WEEKDAY})|(?:19|20)\d{{2}}(?:-\d{{2}}(?:-\d{{2}})?)?)\b",
    re.IGNORECASE,
)
_RELATIVE_DATE = re.compile(
    r"\b(?:(?:cette|la) semaine(?: dernière| prochaine)?|(?:this|last|next) (?:week|month|year)"
    r"|(?:l[’'])?année (?:dernière|prochaine)|au début du mois|(?:earlier|early) this month"
    r"|ce mois-ci)\b",
    re.IGNORECASE,
)
_ABOUT = r"(?:\b(?:au moins|environ|plus de|moins de|près de|at least|about|more than|nearly) )?"
# what a count counts, a plural noun: "pays", "grands modèles linguistiques", "years"
_UNIT = r" (?:[^\W\d_]+ ){0,2}[^\W\d_]+[sx]\b"
# "2 800" (French thousands, with a plain space) is one figure
_FIGURE = r"(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.]\d)|\d(?:[\d\u202f.,]*\d)?)"
_SCALE = r" (?:million|billion|milliard)s?(?: (?:d['’])?(?:euros?|dollars?|livres?|pounds?)\b)?"
NUMBER_PHRASE = re.compile(
    rf"{_ABOUT}(?:[£$€] ?)?{_FIGURE}(?: ?[%€$£]| (?:percent|pour ?cent)\b|{_SCALE}|{_UNIT})?",
    re.IGNORECASE,
)
_BIG_COUNTS = "dozens?|dizaines?|centaines?|hundreds?|thousands?|milliers?|millions?|milliards?"
COUNT_PHRASE = re.compile(
    rf"{_ABOUT}\b(?:{'|'.join(COUNT_WORDS)}|{_BIG_COUNTS}){_UNIT}", re.IGNORECASE
)
_ORDINAL = re.compile(r"^\d+(?:e|er|ère|ème|st|nd|rd|th)\b", re.IGNORECASE)
_NOT_A_UNIT = {*STOPWORDS, *(fold(m) for m in MONTHS_FR + MONTHS_EN)}
_CAP = r"[A-ZÀ-Ý][\w’'.-]*"
NAME_RUN = re.compile(rf"{_CAP}(?:[ -](?:de |du |des |d['’]|of |of the )?{_CAP})*")
# "à Genève", "in Geneva"; "has chosen Valladolid", "a retenu Lyon" (for a site)
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:à|au|aux|en|in|at|from|depuis|near|vers|chosen|chose|picks?|picked|selected|choisi"
    r"|retenu|opté pour)\s+)$",
    re.IGNORECASE,
)
# Capitalised words that begin the name of a body, not of a place or a person: "au
# Conseil de sécurité" is no city; "l'Académie chinoise des sciences" may answer "which
# institution".
_INSTITUTION = {
    fold(w)
    for w in word_list(
        "conseil council académie academy université university ministère ministry "
        "commission département department délégation delegation assemblée assembly "
        "parlement parliament gouvernement government"
    )
}
# Capitalised words that name no one and nothing alone: "L’ancien Premier", "Affaires",
# "IA", an event ("Sommet").
_COMMON_CAPITALISED = {
    *word_list(
        "ancien ancienne former affaires etrangeres sciences science technologie technology"
        " etat state ia ai ministre minister directeur director secretaire secretary envoye"
        " envoy porte parole spokesperson premier prime president vice"
        # events: "Sommet" names no organisation either
        " sommet summit conference forum dialogue initiative"
    )
}
# Neither a person's nor a place's name alone: common words, events and bodies.
_NOT_A_PERSON = _COMMON_CAPITALISED | _INSTITUTION
_CAUSE = re.compile(
    r"\b(?:because|since|due to|owing to|in order to|so that|so as to|as a result|for fear"
    r"|out of concern|for (?:security |national security )?reasons?|the reason"
    r"|reasons? (?:is|was|were)"
    r"|prompted|motivated|driven by|led (?:the|to)|pushed|aim(?:ed|s)? (?:at|to)|goal|purpose"
    r"|objective|parce qu|car|en raison|à cause|afin d|pour des raisons|dans le but|le but"
    r"|l[’']objectif|pouss[ée]s?|motiv[ée]s?|conduit|par crainte|raisons?"
    r"|pour (?:[a-zé]+(?:er|ir|re)))\b",
    re.IGNORECASE,
)
_GROUP_TAIL = r"\b(?:[ -](?!et\b|and\b)[\w’'-]+){0,3}"
# People or bodies named as a group: the answer to "who" when no name is given ("les
# inventeurs chinois"); countries as a group for "which countries" ("pays en développement").
_GROUP_PEOPLE = re.compile(
    r"\b(?:inventeurs?|inventors?|experts?|chercheurs?|researchers?|responsables|officials"
    r"|délégués|delegates|représentants|representatives|universitaires|academics|diplomates"
    r"|diplomats|entreprises|companies|sociétés|firms|gouvernements?|governments?"
    r"|participants|dirigeants|leaders|scientifiques|scientists|sources|ambassades?"
    r"|embass(?:y|ies)|ministères?|ministr(?:y|ies))" + _GROUP_TAIL,
    re.IGNORECASE,
)
# a question after one precise place: a group of countries does not answer it
_ONE_PLACE = re.compile(
    r"\b(?:lieu|endroit|ville|city|town|venue|location|site|exactly|exactement|précise?"
    r"|précisément|precise|precisely)\b",
    re.IGNORECASE,
)
_GROUP_PLACES = re.compile(
    r"\b(?:pays|countries|régions?|regions?|villes|cities)" + _GROUP_TAIL, re.IGNORECASE
)
# Verbs that say nothing by themselves: "The minister made an announcement" adds no fact.
_LIGHT = {
    stem(w)
    for w in word_list(
        "made make makes did do does done took take taken gave give given said "
        "says say held hold fait faire fais effectue mene dit declare tenu eu "
        "avoir ete"
    )
}
# Words about the sources say nothing of what they report: "The dangers are mentioned
# in extracts [1] and [3]" restates "Which dangers are mentioned?" (dev4 g036, g046).
_ABOUT_SOURCES = {
    stem(w)
    for w in word_list(
        "extract extracts extrait extraits passage passages article articles source sources "
        "mention mentions mentioned mentionne mentionnes cite cites cited appear appears "
        "apparait"
    )
}
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|rather than|instead|in fact|actually|ne|n[’']|pas|jamais"
    r"|plutôt|en fait|en réalité|non)\b",
    re.IGNORECASE,
)


# Words that make a claim stronger than its facts: the most, the next, the first, the
# only. A sentence that says one of them needs a source that says it too, and a question
# that asks for one ("which company launched the most models?") is not answered by a
# sentence without it ("Alibaba launched models").
QUALIFIERS = {
    "most": _any(
        r"(?<!at )\b(?:most|least)\b",  # not "at least 130": a bound, not a superlative
        r"\b(?:best|worst|largest|biggest|greatest|highest|lowest|smallest|fewest"
        r"|longest|shortest|strongest|weakest|oldest|youngest|fastest|majority"
        r"|meilleure?s?|pire|majorité|plupart)\b",
        r"\b(?:le|la|les|l[’']un\w* des|leurs?|son|sa|ses|du|des)\s+(?:plus|moins)\s+\w{3,}",
    ),
    "next": _any(r"\b(?:next|upcoming|prochaine?s?)\b", r"\bà venir\b"),
    "first": _any(
        r"\b(?:first|inaugural|premières?)\b",
        r"\b(?:le|les|son|leurs?|au|du|des)\s+premiers?\b(?!\s+ministres?)",
    ),
    # "convié au départ", "initially invited": a first plan, not what was done (dev4 g003)
    "initially": _any(
        r"\b(?:initially|originally|at first|in the first place)\b",
        r"\b(?:initialement|au départ|à l['’]origine|originellement|dans un premier temps)\b",
    ),
    "only": _any(
        r"\b(?<!not )(?:only|sole|solely|exclusively)\b",
        r"\b(?:seule?s?|uniquement|exclusivement)\b",
        r"(?<!non )\bseulement\b",
    ),
}


# The role someone or something had in an event: who chaired it, hosted it, founded a
# body, won, was elected. Like a qualifier, a sentence that states one needs a source that
# states it ("The summit was chaired by James Cleverly" from a passage where he only
# speaks), and a question that asks who had the role ("Who chaired the summit?") is not
# answered by a sentence that names someone without it. Verbs and role nouns only:
# "le président" is a title, "fondée sur" means "based on".
ROLES = {
    "chaired": _any(
        r"\b(?:chair(?:s|ed|ing|man|men|woman|women|person)?|presid(?:es|ed|ing)"
        r"|présid(?:e|é|ée|ées|és|ait|aient|era|eront|er|ant)|présidence)\b"
    ),
    "hosted": _any(
        r"\b(?:host(?:s|ed|ing)?|accueill\w*|organi[sz](?:e|es|ed|ing|er|ers|ateurs?|atrices?)"
        r"|organis(?:é|ée|és|ées|ait|aient|era|eront|ent))\b"
    ),
    "founded": _any(
        r"\b(?:(?:co-?)?found(?:ed|er|ers|ing)|(?:co)?fondat(?:eur|eurs|rice|rices))\b",
        r"\b(?:co)?fond(?:é|ée|és|ées|er|ait|aient)\b(?!\s+sur\b)",
    ),
    "won": _any(r"\b(?:won|wins|winners?|remport\w*|vainqueurs?|lauréate?s?)\b"),
    "elected": _any(r"\b(?:(?:re-?)?elected|(?:ré)?élue?s?)\b"),
    # verbs: not "leading" ("China's leading AI firms") nor "dirigeants" (a noun)
    "led": _any(
        r"\b(?:led|headed|at the head of)\b|(?<!\bthe )(?<!\ba )\bleads?\b",
        r"\b(?:dirig(?:e|é|ée|és|ées|eait|eaient|ea|era|eront|er|ent)|men(?:ait|aient|é|ée|és|ées"
        r"|er)|mène|mènent|mènera|mèneront|à la tête d\w*|conduite?s?\s+par)\b",
    ),
}
# Who leads is said by more than a verb: being sent to an event ("La Chine enverra Wu
# Zhaohui… à un sommet" says who leads China's delegation), taking the head ("élu lundi
# président du conseil", "désigné à sa tête", "la présidence"). Not a title alone: "les
# présidents" of a sentence on the Geneva talks are the two countries', and the
# spokesman who comments there leads nothing (dev4 g079: "Qui dirigeait la délégation
# chinoise…?", answered "Wang Wenbin").
_LEADS = _any(
    r"\b(?:send|sends|sending|sent|dispatch(?:es|ed|ing)?|presidency|at (?:its|the) head)\b",
    r"\b(?:elected|appointed|named)\s+(?:\w+\s+)?(?:president|chair|head|director)\b",
    r"\b(?:envo(?:ie|ient|yé|yée|yés|yées|yer|yait|yaient)|enverr\w+|dépêch\w+|présidence"
    r"|à (?:sa|la|leur) tête)\b",
    r"\b(?:élue?|nommée?|désignée?)\s+(?:\w+\s+)?(?:présidente?|chef|directeur|directrice)\b",
)
# The role asked is the question's own verb: right after the question word ("Who
# chaired", "Qui a présidé", "Quel pays accueillera", "Which company won") or a passive
# participle that ends it ("When was the group founded?", "… a-t-il été fondé ?"). A role
# that only describes the event ("the summit organised by London") is not asked.
_ROLE_ASKED = re.compile(
    r"^\s*(?:who|qui|(?:which|what|quel(?:le)?s?)\s+[\w’'-]+)\s+"
    r"(?:(?:a|ont|avait|avaient|has|have|had|was|were|will|would|is|va|vont|sera|seront)"
    r"\s+(?:été\s+|be\s+|been\s+)?)?(?P<verb>[\w’'-]+)",
    re.IGNORECASE,
)
_PASSIVE_LAST = re.compile(
    r"\b(?:was|were|is|are|been|été|est|sont)\b.*?\s(?P<verb>[\w’'-]+)\s*\?\s*$", re.IGNORECASE
)


def _said(patterns: dict[str, re.Pattern[str]], text: str) -> set[str]:
    return {name for name, pattern in patterns.items() if pattern.search(text)}


def qualifiers(text: str) -> set[str]:
    """Which of QUALIFIERS and ROLES a text says."""
    said = _said(QUALIFIERS, text) | _said(ROLES, text)
    if _LEADS.search(text):  # sent, or taking the head: who leads is said too
        said.add("led")
    return said


# a passive role whose holder is not said: "le sommet a été organisé les 1er et 2
# novembre", "the talks were hosted in Geneva"; "organisé par Londres" names one
_HOLDERLESS = re.compile(
    r"\b(?:été|est|sont|sera|seront|était|étaient|was|were|been|is|are|be)\s+"
    r"(?:\w+(?:ment|ly)\s+)?[\w’'-]+\b(?!\s+(?:\w+\s+){0,2}(?:par|by)\b)",
    re.IGNORECASE,
)


def claimed_roles(text: str) -> set[str]:
    """The qualifiers and roles a claim makes: a role given to no one, "the summit was
    organised on 1 and 2 November" (dev4 g053), claims a date, not who organised it."""
    return _said(QUALIFIERS, text) | _said(ROLES, _HOLDERLESS.sub(" ", text))


def asked_roles(question: str) -> set[str]:
    """The role the question asks about ("Who chaired…?" → chaired), if any."""
    verbs = [
        m.group("verb") for m in (_ROLE_ASKED.match(question), _PASSIVE_LAST.search(question)) if m
    ]
    return {name for name, pattern in ROLES.items() for verb in verbs if pattern.fullmatch(verb)}


# "the latest report", "le dernier bilan"; not "last week" nor "how long did it last"
_LATEST = re.compile(
    r"\b(?:latest|most recent|newest|(?:le|la|les)\s+plus\s+récente?s?|"
    r"(?:le|la|les)\s+derni(?:er|ère|ers|ères))\b",
    re.IGNORECASE,
)


def asks_latest(question: str) -> bool:
    """ "The latest", "le plus récent": answered by the articles' dates (rag.dates)."""
    return bool(_LATEST.search(question))


# Titles a question may ask a person by, in both languages: "the foreign ministry
# spokesman" is not whoever else the story names (Wu Zhaohui, vice-minister)
TITLES = {
    "spokesman": _any(r"\b(?:porte-parole|spokes(?:man|men|woman|women|person|people))\b"),
    "ambassador": _any(r"\bambassad(?:eur|eurs|rice|rices|or|ors)\b"),
    "envoy": _any(r"\benvoy(?:é|ée|és|ées|s)?\b"),
    "vice-minister": _any(r"\b(?:vice-ministres?|vice-ministers?|deputy ministers?)\b"),
    "prime minister": _any(r"\b(?:premiers? ministres?|prime ministers?)\b"),
    "researcher": _any(r"\b(?:chercheu(?:r|rs|se|ses)|researchers?)\b"),
    "director": _any(r"\b(?:directeur|directeurs|directrice|directrices|directors?)\b"),
}


def states_asked_title(text: str, question: str) -> bool:
    """Whether `text` gives each title the question asks a person by."""
    return _said(TITLES, question) <= _said(TITLES, text)


def asked_qualifiers(question: str) -> set[str]:
    """The qualifiers and the role an answer must say; "the most recent" is the articles'
    dates' to settle, and a role that describes the event is no question of its own."""
    said = _said(QUALIFIERS, question) - ({"most"} if asks_latest(question) else set())
    if _ORDER_ASKED.search(question):  # "which came first": the dates settle it
        said -= {"first"}
    return said | asked_roles(question)


def stated_roles(question: str) -> set[str]:
    """The roles a question states without asking them ("the summit organised by
    London"): an answer may repeat them."""
    return _said(ROLES, question) - asked_roles(question)


def asked_stems(question: str) -> set[str]:
    """The question's word stems and their French/English aliases ("china" → "chine")."""
    found = words(question)
    return {stem(w) for w in found} | {alias for w in found for alias in ALIASES.get(w, ())}


def new_terms(text: str, question: str) -> set[str]:
    """Content stems of `text` that the question (in either language) does not hold."""
    asked = asked_stems(question)
    return {
        stem(w)
        for w in words(CITATION.sub("", text))
        if w not in STOPWORDS and (len(w) > 1 or w.isdigit()) and not _in(w, asked)
    }


def _in(word: str, asked: set[str]) -> bool:
    """A folded word the question holds, in its language or the other ("british")."""
    return stem(word) in asked or bool(ALIASES.get(word, set()) & asked)


def restates(text: str, question: str) -> bool:
    """True for a reply that adds no content word to the question but light verbs: "The
    minister made an announcement at the conference" for "What did the minister
    announce at the conference?"."""
    return not added_terms(text, question)


def added_terms(text: str, question: str) -> set[str]:
    """What `text` says that the question does not, light verbs and words about the
    sources left out."""
    return new_terms(text, question) - _LIGHT - _ABOUT_SOURCES


def _sentences(text: str) -> list[tuple[int, int]]:
    return split_sentences(text) or [(0, len(text))]


_FULL_STOP_AFTER = re.compile(r"[^\W\d_]{3,}\.$")


_OPENING_MARKS = " «“\"‘'—–-"


def names(text: str, question: str, bodies: bool = False) -> list[tuple[int, int]]:
    """Runs of capitalised words that the question does not hold, in order: not a
    sentence's opening word alone (unless the reply is that word), not a dateline in
    capitals, not a stop word, not a common noun capitalised ("Affaires"), nor, unless
    `bodies` are asked for, a word that begins an institution's name ("Sommet")."""
    asked = asked_stems(question)
    held = asked_places(question)
    excluded = _COMMON_CAPITALISED if bodies else _NOT_A_PERSON
    bare = len(words(CITATION.sub("", text))) <= 3
    found = []
    for s, e in _sentences(text):
        sentence = text[s:e]
        for m in NAME_RUN.finditer(sentence):
            start = m.start() + _LEADING_STOPWORD.match(m.group(0)).end()  # "Par Laurie Chen"
            run_words = [w for w in words(sentence[start : m.end()]) if w not in STOPWORDS]
            if not run_words:
                continue
            before = sentence[:start]
            # "« Chaque pays…": the opening word of a sentence, or of a quotation in one
            opening = not before.strip(_OPENING_MARKS) or before.rstrip().endswith(("«", "“"))
            if opening and len(run_words) == 1 and not bare:
                nxt = sentence[m.end() : m.end() + 2]
                if not nxt.startswith(",") and run_words[0] not in ALIASES:
                    continue  # a sentence opener, not a name
            dateline = sentence[m.end() :].lstrip().startswith("(")  # "LONDON (Reuters) –"
            if m.group(0).isupper() and (len(m.group(0)) > 6 or dateline):
                continue  # a dateline (BEIJING/SHANGHAI), not a name
            if all(_in(w, asked) for w in run_words) or _place_key(m.group(0)) in held:
                continue  # held by the question, maybe in its other language ("Algiers")
            if all(w in excluded for w in run_words):
                continue  # "L’ancien Premier", "Affaires", "IA"; for a person, "Sommet"
            if not bodies and _ARTICLE_BEFORE.search(sentence[:start]):
                continue  # "la Grande-Bretagne", "les États-Unis": a person takes no article
            end = m.end()
            if _FULL_STOP_AFTER.search(sentence[start:end]):  # "Tencent.", not "U.S."
                end -= 1
            alone = run_words == [fold(sentence[start:end])]
            if bodies and alone and run_words[0] in _INSTITUTION:
                end += _lower_tail(sentence[end:])  # "Académie chinoise des sciences"
            found.append((s + start, s + end))
    return found


# French capitalises an institution's first word only: its name goes on in lower case
# up to a comma or a conjunction ("l'Académie chinoise des sciences, Alibaba et…")
_LOWER_TAIL = re.compile(
    r"(?: (?:(?:de|des|du|la|le|l['’]|d['’]) ?)*"
    r"(?!(?:et|and|a|ont|qui|que|est|sont|of|de|des|du|la|le)\b)[a-zà-ÿ][\w-]+){1,4}"
)


def _lower_tail(rest: str) -> int:
    m = _LOWER_TAIL.match(rest)
    return m.end() if m else 0


_ARTICLE_BEFORE = re.compile(r"(?:\b(?:le|la|les|du|des|au|aux|the)\s+|\b[lL]['’])$", re.I)
_LEADING_STOPWORD = re.compile(  # "Par Laurie Chen", "C'est Karine Deschamps"
    rf"(?:(?:c['’]est|{'|'.join(sorted(w for w in STOPWORDS if len(w) > 1))})\s+)*",
    re.IGNORECASE,
)


def agents(text: str, question: str, bodies: bool = False) -> list[tuple[int, int]]:
    """Names that may be a person or, with `bodies`, an organisation: not a country or a
    city ("Royaume-Uni" negotiated nothing; "Beijing" is nobody), not a news agency's
    credit ("(Reuters)") unless an outlet is asked, and not a name its sentence ties to
    another country than the one asked ("which Chinese companies": not "OpenAI, …, qui
    représentent les États-Unis")."""
    asked = asked_nation(question)
    credits = not _ASKS_OUTLET.search(question)
    absence_asked = asks_absence(question)
    byline = _BYLINE.match(text)
    # "Quel Premier ministre britannique recevait…" is not answered by "l'ancien Premier
    # ministre Tony Blair" (dev4 g098): a former holder of the asked title is not its holder
    former_excluded = bool(_said(TITLES, question)) and not _FORMER.search(question)
    return [
        (s, e)
        for s, e in names(text, question, bodies)
        if not is_place(text[s:e])
        and not (credits and text[:s].endswith("(") and text[e : e + 1] == ")")
        and not (byline and e <= byline.end() and not _ASKS_AUTHOR.search(question))
        and (asked is None or nation_near(text, s, e) in (None, asked))
        and (absence_asked or not stays_away(text, e))
        and (bodies or not _BODY_BEFORE.search(text[max(0, s - 80) : s]))
        and not (bodies and titled_person(text, s, e))
        and not (former_excluded and _FORMER_BEFORE.search(text[max(0, s - 80) : s]))
    ]


# "l'ancien Premier ministre Boris Johnson", "le porte-parole du ministère, Wang Wenbin",
# "Wu Zhaohui, vice-ministre des Sciences":
# a name that a person's title introduces or follows names a person, not a body
_PERSON_TITLE = (
    r"(?:(?:vice-|premiers? |prime )?minist(?:re|res|er|ers)|président\w*|presidents?"
    r"|porte-parole|spokes\w+|secrétaires?|secretar(?:y|ies)|ambassad\w+|envoy\w*"
    r"|diplomates?|diplomats?|chercheu\w+|researchers?|directeu\w+|directors?"
    r"|M\.|Mme|Mr\.?|Mrs\.?|Ms\.?)"
)
# Not across "à", "at"… nor an article: "chercheur à l'Académie…", "researcher at the
# Academy" name the body the person works at.
_TITLE_BEFORE = re.compile(
    rf"\b{_PERSON_TITLE}(?:\s+(?!(?:à|au|aux|at|in|chez|with|avec|for|pour)\b)[\w’'-]+){{0,6}}"
    r",?\s+(?<!\bthe )(?<!\ble )(?<!\bla )(?<!\bles )$",
    re.IGNORECASE,
)
_FORMER = re.compile(r"\b(?:anciens?|anciennes?|former|ex-|previous|précédente?s?)", re.I)
_FORMER_BEFORE = re.compile(
    rf"{_FORMER.pattern}\s*{_PERSON_TITLE}(?:\s+[\w’'-]+){{0,4}},?\s+$", re.IGNORECASE
)
_TITLE_AFTER = re.compile(
    rf"^,\s+(?:(?:l[’']|le |la |the |a |an |former |ancien )\s*)?{_PERSON_TITLE}"
)


def titled_person(text: str, start: int, end: int) -> bool:
    return bool(
        _TITLE_BEFORE.search(text[max(0, start - 80) : start])
        or _TITLE_AFTER.match(text[end : end + 40])
    )


# "les entreprises OpenAI, Anthropic et Cohere", "l'université de Tsinghua": names a
# company's or an institution's noun introduces are bodies, not people
_BODY_BEFORE = re.compile(
    r"\b(?:[Ee]ntreprises?|[Ss]ociétés?|[Cc]ompan(?:y|ies)|[Ff]irms?|[Gg]roupes?|[Gg]roups?"
    r"|[Ss]tart-ups?|[Ll]aboratoires?|[Ll]abs?|[Uu]niversités?|[Uu]niversit(?:y|ies)"
    r"|[Aa]cadémies?|[Aa]cadem(?:y|ies)|[Mm]inistères?|[Mm]inistr(?:y|ies))"
    r"(?:\s+(?:de la|de|du|des|of the|of)\s+|\s+d['’]|\s+)"
    r"(?:[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*(?:,\s*|\s+(?:et|and)\s+))*$"
)


# "ByteDance, Tencent et Baidu étaient absentes", "Google DeepMind a été informée, mais
# n'a pas participé": a name whose own clause says it stayed away does not answer who
# took part, unless the question asks who was absent
_ABSENT = re.compile(
    r"\babsent\w*|\b(?:n['’]|ne )(?:a|ont|avait|avaient|était|étaient|sera|seront)? ?pas"
    r" (?:participé|assisté|présent|présents|présente|présentes|venus?|été invité\w*)"
    r"|\b(?:did not|didn['’]t|will not|won['’]t|not) (?:take part|participate|attend|join)"
    r"|\b(?:stay(?:ed|s)? away|boycott\w*|(?:rest|tenu)\w* à l['’]écart)",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"\b(?:tandis|alors) qu|\b(?:whereas|while)\b|[;.!?]")


def stays_away(text: str, end: int) -> bool:
    """Whether the clause after a name ending at `end` says it stayed away ("ByteDance,
    Tencent et Baidu, étaient absentes des discussions")."""
    return bool(_ABSENT.search(_own_clause(text, end)))


def asks_absence(question: str) -> bool:
    return bool(_ABSENT.search(question))


def _own_clause(text: str, end: int) -> str:
    """The words after a name up to where its clause ends (at most a line)."""
    rest = text[end : end + 100]
    stop = _CLAUSE_END.search(rest)
    return rest[: stop.start()] if stop else rest


def asked_names(text: str, question: str, bodies: bool = False) -> list[tuple[int, int]]:
    """`agents`; for "which newspaper" or "where do the figures come from", only those
    that report ("selon le Financial Times"), not whoever acts in the sentence, unless
    `text` is the bare reply. For any other question, a name that reports comes last:
    in "Le Financial Times indique que les pourparlers ont été négociés par le Shaikh
    Group", the mediator is the Shaikh Group."""
    found = agents(text, question, bodies)
    if bodies and _ASKS_MINISTRY.search(question):  # its name begins in lower case
        ministries = [(m.start(), m.end()) for m in _MINISTRY.finditer(text)]
        found = ministries + [
            (s, e) for s, e in found if not any(a <= s < b for a, b in ministries)
        ]
    asks_source = _ASKS_OUTLET.search(question) or _SOURCE_ASKED.search(question)
    if asks_source and len(words(CITATION.sub("", text))) > 3:
        return [span for span in found if _reports(text, *span)]
    if not _ASKS_REPORTER.search(question):
        found.sort(key=lambda span: _reports(text, *span))
    return found


# "Quel ministère…" is answered by "le ministère (chinois) des Affaires étrangères",
# "the Ministry of Commerce", not by another body of the sentence (dev3 e058)
_ASKS_MINISTRY = _any(_WHICH + r"minist(?:ère|ères|ry|ries)\b")
_MINISTRY = re.compile(
    r"\b[Mm]inist(?:ère|ry)(?:\s+[a-zà-ÿ]+)?\s+(?:des|du|de la|de l['’]|of the|of)\s*"
    r"[A-ZÀ-Ý][\w’'-]*(?:\s+(?!(?:dans|pour|avec|sont|said|says|that|with)\b)[a-zà-ÿ][\w’'-]{3,}"
    # "des Sciences et de la Technologie"; not "…étrangères et de la Commission nationale"
    r"|\s+(?:et|and)\s+(?:de la |des |du |de l['’]|the )?(?!Commission|Académie|Conseil)"
    r"[A-ZÀ-Ý][\w’'-]*)?"
)
# "Who said…", "Qui a déclaré…", "according to whom": the one who speaks is asked
_ASKS_REPORTER = re.compile(
    r"\b(?:said|says|say|told|tells|stated|reported|reports|announced|quoted|according"
    r"|revealed|dit|déclar\w*|affirm\w*|indiqu\w*|rapport\w*|annonc\w*|révél\w*|cit[ée]\w*"
    r"|selon|d['’]après)\b",
    re.IGNORECASE,
)


def asks_what_was_said(question: str) -> bool:
    """ "What did X say…", "selon qui…": a question about what was said or reported."""
    return bool(_ASKS_REPORTER.search(question))


_ASKS_OUTLET = re.compile(
    r"\b(?:agen(?:cy|ce)|outlets?|newspapers?|journa(?:l|ux)|médias?|media)\b", re.IGNORECASE
)
# A name that reports: "selon le Financial Times", "selon la société de courtage CLSA",
# "according to Reuters", "(Reuters)", "Le Washington Post a cité", "the Post reported";
# a dateline's credit "(Reuters) –".
_SOURCE_BEFORE = re.compile(
    r"(?:\bselon|\bd['’]après|\baccording to|\bcités? par|\brapportés? par|\breported by"
    r"|\bquoted by|\brévélés? par|\brevealed by)\s+(?:(?:le|la|les|the)\s+|l['’])?"
    r"(?:[a-zà-ÿ’'-]+\s+){0,3}$",
    re.IGNORECASE,
)
_SOURCE_AFTER = re.compile(
    r"^\.?\s*(?:\)\s*[–—-]|(?:a|ont|has|have|had)?\s*(?:indiqu|rapport|révél|écrit|annonc|cit"
    r"|report|said|says|wrote|writes|reveal|quot))",
    re.IGNORECASE,
)


def _reports(text: str, start: int, end: int) -> bool:
    return bool(
        _SOURCE_BEFORE.search(text[max(0, start - 30) : start])
        or _SOURCE_AFTER.match(text[end : end + 30])
    )


# an article's first line naming its authors: "Par Laurie Chen et Brenda Goh"
_BYLINE = re.compile(r"^\s*(?:par|by) [^\n]{2,80}\n", re.IGNORECASE)
_ASKS_AUTHOR = re.compile(
    r"\b(?:wrote|written|writ|author|auteur|autrice|écrit|signe|signé|signed|signs|byline|journalist"
    r"|journaliste|reporters?|edited|édité)\w*",
    re.IGNORECASE,
)
# Words naming a country or its people (folded), and the country: a name is tied to
# the nearest one within NATION_REACH. Cities are left out: "the Geneva talks" are no
# one's nationality.
_NATION_WORDS = {
    "cn": "chine china chinois chinoise chinoises chinese",
    "us": "etats-unis americain americaine americains americaines american americans",
    "gb": "royaume-uni grande-bretagne britain britannique britanniques british",
    "eu": "europe europeen europeenne europeens europeennes european europeans",
    "fr": "france francais francaise francaises french",
    "ch": "suisse suisses switzerland swiss",
    "jp": "japon japan japonais japonaise japonaises japanese",
    "ru": "russie russia russe russes russian russians",
    "in": "inde india indien indienne indiens indiennes indian indians",
    "de": "allemagne germany allemand allemande allemands allemandes german germans",
}
_NATION_OF = {w: key for key, ws in _NATION_WORDS.items() for w in ws.split()}
_NATION_OF.update({"united states": "us", "united kingdom": "gb"})
_NATION = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _NATION_OF), key=len, reverse=True)) + r")\b"
)
_NATION_ABBREVIATIONS = {"US": "us", "U.S.": "us", "USA": "us", "UK": "gb", "EU": "eu"}
_NATION_ABBREVIATION = re.compile(r"\b(?:US|U\.S\.|USA|UK|EU)(?!\w|\.\w)")  # capitals only
NATION_REACH = 60  # characters: "les principales entreprises chinoises … telles que ByteDance"


def asked_nation(question: str) -> str | None:
    """The country of the asked noun: "Quelles entreprises technologiques chinoises…",
    "Which Chinese leaders…" (at most five words after the question word, up to the
    verb); None when there is none, or two."""
    pattern = r"\b(?:[Ww]hich|[Ww]hat|[Qq]uel(?:le)?s?|[Ll]esquel(?:le)?s)((?:\s+[\w.'’-]+){1,5})"
    m = re.search(pattern, question)
    if not m:
        return None
    phrase = []  # the asked noun phrase ends at its verb or preposition
    for word in m.group(1).split():
        if fold(word) in _PHRASE_END:
            break
        phrase.append(word)
    phrase_text = " ".join(phrase)
    found = {key for _, _, key in nation_words(phrase_text, fold(phrase_text))}
    return found.pop() if len(found) == 1 else None


_PHRASE_END = set(
    word_list(
        "did do does is are was were has have had will would can could ont a sont est "
        "etait etaient ont-ils ont-elles se s of in on at to for with from by de du des "
        "la le les l au aux dans en sur pour avec par"
    )
)


def nation_words(text: str, folded: str | None = None) -> list[tuple[int, int, str]]:
    """(start, end, country) of each nationality or country word of `text` (`folded`:
    `fold(text)`, when the caller has it already)."""
    folded = fold(text) if folded is None else folded
    found = [(m.start(), m.end(), _NATION_OF[m.group(0)]) for m in _NATION.finditer(folded)]
    abbreviations = _NATION_ABBREVIATION.finditer(text)
    return found + [(m.start(), m.end(), _NATION_ABBREVIATIONS[m.group(0)]) for m in abbreviations]


def country_named(phrase: str) -> str | None:
    """The country `phrase` is, when it is a country's name and nothing more."""
    phrase = phrase.rstrip(".,;:")
    found = nation_words(phrase)
    return found[0][2] if len(found) == 1 and found[0][1] - found[0][0] == len(phrase) else None


def nation_near(text: str, start: int, end: int) -> str | None:
    """The country of the nationality or country word nearest to text[start:end] in its
    text, within NATION_REACH characters; None when there is none."""
    folded = fold(text)
    if len(folded) != len(text):  # a ligature changed the offsets: do not guess
        return None
    best: tuple[int, str] | None = None
    for m_start, m_end, key in nation_words(text, folded):
        if m_start < end and m_end > start:
            continue  # inside the name itself
        gap = start - m_end if m_end <= start else m_start - end
        if gap <= NATION_REACH and (best is None or gap < best[0]):
            best = (gap, key)
    return best[1] if best else None


def is_place(phrase: str) -> bool:
    """Whether `phrase` is a country, region or large city named in `data/places.txt`."""
    return _place_key(phrase) in _places()


def _place_key(phrase: str) -> str:
    return " ".join(re.split(r"[\s'’-]+", fold(phrase).strip(" .,;:")))


PLACES_FILE = Path(__file__).parent / "data" / "places.txt"


@cache
def _place_lines() -> tuple[tuple[str, ...], ...]:
    lines = PLACES_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(
        tuple(x.strip() for x in line.split("|") if x.strip())
        for line in lines
        if line.strip() and not line.startswith("#")
    )


@cache
def _places() -> frozenset[str]:
    return frozenset().union(*_place_spellings())


@cache
def _french_place_names() -> tuple[re.Pattern[str], dict[str, str]]:
    english = {line[0]: line[1] for line in _place_lines() if len(line) > 1}
    alternation = "|".join(re.escape(x) for x in sorted(english, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])"), english


def places_and_dates_in_english(text: str) -> str:
    """`text` with the French names of listed places in English ("Genève" → "Geneva"),
    and French days and months ("mardi" → "Tuesday"): an answer in English names them
    the English way, as a careful translator would."""
    pattern, english = _french_place_names()
    text = pattern.sub(lambda m: english[m.group(0)], text)
    return _FRENCH_DAY_OR_MONTH.sub(lambda m: ENGLISH_DATE_WORDS[m.group(0)], text)


# lower case only, as French writes them: "Mars" in an English sentence is no month
_FRENCH_DAY_OR_MONTH = re.compile(rf"(?<![\w-])(?:{'|'.join(ENGLISH_DATE_WORDS)})(?![\w-])")


@cache
def _place_spellings() -> tuple[frozenset[str], ...]:
    """Each listed place's spellings, as `_place_key` writes them."""
    return tuple(frozenset(_place_key(x) for x in line) for line in _place_lines())


CITIES_MARK = "# Cities and sites"


@cache
def city_names() -> tuple[tuple[str, ...], ...]:
    """Each listed city or site's spellings, French first (the lines of places.txt
    after CITIES_MARK): where something takes place, unlike a country or a region."""
    lines = PLACES_FILE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(CITIES_MARK))
    return tuple(
        tuple(x.strip() for x in line.split("|") if x.strip())
        for line in lines[start + 1 :]
        if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=256)
def asked_places(question: str) -> frozenset[str]:
    """Every spelling of each listed place the question names ("Algiers": "Alger" too)."""
    key = f" {_place_key(question)} "
    return frozenset().union(
        *(keys for keys in _place_spellings() if any(f" {k} " in key for k in keys))
    )


_ACRONYM = re.compile(r"[A-Z]{2,}s?")  # "AI", and its plural: "LLMs" (dev4 g083)


def unknown_names(question: str, vocabulary: frozenset[str]) -> list[str]:
    """Names the question gives that no article holds a word of ("Qu'a déclaré Elon
    Musk…", "Which chipmakers, Nvidia for instance…"): the articles cannot say anything
    about them. `vocabulary`: the stems of every article's words. Left out, since they
    may be named another way: places, nationalities, acronyms ("AI" is "IA"), and in
    English the name of a body or an event ("the Belt and Road Forum" is "le Forum de la
    Ceinture et la Route")."""
    found = []
    for start, run in _question_names(question):
        if not run or _THE_BEFORE.search(question[max(0, start - 24) : start]):
            continue
        if question[start - 1 : start] == "-":  # "outre-Manche": a word, not a name
            continue
        name_words = [w for w in words(run) if w not in STOPWORDS]
        if not name_words or is_place(run) or all(_ACRONYM.fullmatch(w) for w in run.split()):
            continue
        if all(_never_written(w, vocabulary) for w in name_words):
            found.append(run)
    return found


def left_out(question: str, text: str) -> list[str]:
    """One-word names the question gives ("Baidu", "Huawei") that `text` does not: a
    sentence on China's 130 models says nothing of Baidu's. People, whose sentence may
    call them "he" or by another title, places, nationalities and acronyms are not
    asked for."""
    stems = {stem(w) for w in words(text)}
    found = []
    for m in NAME_RUN.finditer(question):
        name = m.group(0)
        if " " in name or _opens(question, m.start(), name) or name.isupper():
            continue
        word = fold(name)
        if is_place(name) or _names_nobody(word) or word in STOPWORDS:
            continue
        if not _in(word, stems):
            found.append(name)
    return found


def absent_names(question: str, text: str) -> list[str]:
    """Full names the question gives ("Li Qiang", "Hanseo Energy") that `text`, a whole
    article, never writes: an article that does not name Li Qiang tells no version of
    where Li Qiang spoke. One capitalised word may be a nationality ("Spanish") or a
    place written otherwise; those are not asked for."""
    stems = {stem(w) for w in words(text)}
    found = []
    for _, name in _question_names(question):
        if " " not in name or name.isupper() or is_place(name):
            continue
        kept = [w for w in words(name) if w not in STOPWORDS and not _names_nobody(w)]
        if not all(_in(w, stems) for w in kept):
            found.append(name)
    return found


def names_written_elsewhere(question: str, texts: Mapping[str, str]) -> dict[str, list[str]]:
    """For each article, the full names the question gives ("Tarun Chhabra") that it
    never writes while another article writes them word for word (a name no article
    writes as given, misspelt or translated, is no sign that one is about someone else)."""
    folded = {doc_id: fold(text) for doc_id, text in texts.items()}
    given = {fold(name) for _, name in _question_names(question) if " " in name}
    written = {n for n in given if any(n in text for text in folded.values())}
    return {doc_id: [n for n in written if n not in text] for doc_id, text in folded.items()}


def _question_names(question: str) -> Iterator[tuple[int, str]]:
    """Each capitalised run of the question and where it starts, without the sentence's
    opening word ("Besides", "Pourquoi Xi Jinping"; a lone opener leaves "")."""
    for m in NAME_RUN.finditer(question):
        start, run = m.start(), m.group(0)
        first, _, rest = run.partition(" ")
        if _opens(question, start, first) and (fold(first) in _OPENERS or not rest):
            start, run = start + len(first) + 1, rest
        yield start, run


def _opens(question: str, start: int, word: str) -> bool:
    """Whether `word`, at `start`, opens a sentence: the question's own, or one written
    in brackets after it when it is a question word (a follow-up read with the turn
    before it, "… ? (Pourquoi dit-on…)": dev2 k02), not a name in brackets ("(Tencent)")."""
    if _SENTENCE_START.search(question[:start]):
        return True
    return question[start - 1 : start] == "(" and fold(word) in _OPENERS


def subject_names(question: str, texts: Iterable[str]) -> list[str]:
    """The names the question is about, its opening word included when the articles
    (`texts`) write that word with its capital ("OpenAI comes up in two of the stories")."""
    names = [name for _, name in _question_names(question) if name]
    opening = NAME_RUN.match(question.lstrip())
    if opening and " " not in opening.group(0) and fold(opening.group(0)) not in _OPENERS:
        word = re.compile(rf"\b{re.escape(opening.group(0))}\b")
        if any(word.search(text) for text in texts):
            names.insert(0, opening.group(0))
    return names


_OPENERS = {*STOPWORDS, *word_list("pourquoi quand comment combien ou d'apres")}
_THE_BEFORE = re.compile(r"\bthe\s+(?:[\w-]+\s+)?$", re.IGNORECASE)
_SENTENCE_START = re.compile(r"(?:^|[.?!]\s+)$")


def _never_written(word: str, vocabulary: frozenset[str]) -> bool:
    return not (stem(word) in vocabulary or word in ALIASES or _names_nobody(word))


def _names_nobody(word: str) -> bool:
    """A nationality, or a word that names no one alone ("Sommet", "Affaires")."""
    return word in _NATION_OF or word in _NOT_A_PERSON


def group_nouns(text: str, question: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Words naming people, bodies or countries as a group that add to the question."""
    return [(m.start(), m.end()) for m in pattern.finditer(text) if new_terms(m.group(0), question)]


# "travelled to Beijing", not "to Wang Yi"; "dans Grande-Bretagne" (dev4 g074), not "dans Le Monde"
_TO = re.compile(r"\b(?:to|into|dans)\s+$", re.IGNORECASE)


_ASKS_COUNTRY = _any(_WHICH + r"(?:pays|countr(?:y|ies))\b")


def places(text: str, question: str) -> list[tuple[int, int]]:
    """Names after a place preposition ("à Genève", "in Geneva", a listed place after
    "to"), or the bare reply, whose first word does not begin an event's or a body's
    name."""
    bare = len(words(CITATION.sub("", text))) <= 3
    countries = nation_words(question)
    asked_in = {country for *_, country in countries}  # "where in the UK"
    # a city is not its country: "Beijing" answers "where… China rolled out" (dev4 g063)
    # although it stands for China elsewhere
    held = question
    for start, end, _ in sorted(countries, reverse=True):
        held = held[:start] + " " + held[end:]
    found = []
    for s, e in names(text, held):
        first = fold(text[s:e].split()[0]).strip("’'-.")
        if first in _NOT_A_PERSON or first.split("-")[0] in _NOT_A_PERSON:
            continue
        country = country_named(text[s:e])
        if country in asked_in:  # "Grande-Bretagne" is the UK again
            continue
        if country is None and _ASKS_COUNTRY.search(question):  # a city is no country
            continue
        before = text[max(0, s - 12) : s]
        near = fold(text[max(0, s - 30) : s])
        if _VISIT_BEFORE.search(near) and not _ASKS_VISIT.search(fold(question)):
            continue  # "après la visite à Pékin du plus haut diplomate": not where a summit is
        if _TO_SOMEONE.search(near):
            continue  # "Faisant écho à Liu, Lü Xiang…"
        if bare or _PLACE_BEFORE.search(before) or (_TO.search(before) and is_place(text[s:e])):
            found.append((s, e))
    return found


# where someone went ("la visite à Pékin", "his trip to Beijing"), folded: no venue of an
# event, unless the question asks where someone went
_VISIT_BEFORE = re.compile(
    r"\b(?:visites?|visits?|voyages?|trips?|deplacements?|tournees?|tours?)"
    r"(?:\s+(?:officielle?s?|official|recente?s?|recent))?\s+(?:a|au|aux|en|in|to)\s+$"
)
_ASKS_VISIT = re.compile(
    r"\b(?:visit\w*|trips?|travel\w*|went|go|gone|goes|voyag\w*|deplac\w*|rend\w*|alle\w*"
    r"|tour\w*)\b"
)
# "à" after an echo or a reply introduces a person, not a place (folded); not after
# "a déclaré", "a dit", "a parlé": "a-t-il déclaré à Shanghai"
_TO_SOMEONE = re.compile(r"\b(?:echo|repond\w*|adress\w*)\s+(?:a|au)\s+$")


def dates(text: str, question: str, granularity: Granularity = "") -> list[tuple[int, int]]:
    """Date phrases at the asked granularity that the question does not hold."""
    asked = fold(question)
    found = []
    for m in [*DATE_PHRASE.finditer(text), *_RELATIVE_DATE.finditer(text)]:
        phrase = fold(m.group(0)).strip()
        if phrase in asked:
            continue
        if _fits(phrase, granularity):
            found.append((m.start(), m.end()))
    return sorted(found)


_HAS_MONTH = re.compile(rf"\b(?:{fold(_MONTH)})\b|\d{{4}}-\d{{2}}|mois|month")
_HAS_WEEKDAY = re.compile(rf"\b(?:{fold(_WEEKDAY)})\b")


def _fits(phrase: str, granularity: Granularity) -> bool:
    """Whether a folded date phrase gives the asked granularity."""
    has_month = bool(_HAS_MONTH.search(phrase))
    # not the month of "2024-07"
    has_day = bool(re.search(r"(?<!-)\b\d{1,2}(?:er|st|nd|rd|th)?\b(?!\d)", phrase)) and has_month
    weekday = bool(_HAS_WEEKDAY.search(phrase))
    if granularity == "year":
        return bool(re.search(r"\b(?:19|20)\d{2}\b|year|annee", phrase))
    if granularity == "month":
        return has_month
    if granularity == "day":
        return has_day or bool(re.search(r"\d{4}-\d{2}-\d{2}", phrase))
    if granularity == "weekday":
        return weekday or has_day
    return True


_SHARE = re.compile(
    r"\b(?:what share|what percentage|what proportion|quelle part|quelle proportion"
    r"|quel pourcentage|percent|pourcentage)\b",
    re.IGNORECASE,
)
_DURATION = re.compile(r"\b(?:how long|combien de temps|pendant combien)\b", re.IGNORECASE)
_DURATION_UNITS = {
    stem(w)
    for w in word_list(
        "ans annees mois jours semaines heures minutes decennies siecles years months days"
        " weeks hours minutes decades centuries"
    )
}
_ASKED_UNIT = re.compile(r"\b(?:how many |combien (?:de |d['’]))((?:[\w-]+ ){0,2}[\w-]+)", re.I)
_UNIT_AFTER = 40  # characters after a figure where what it counts may still be said
_UNIT_CLAUSE = re.compile(r"[,;.:()]|\d")  # ... up to the end of its clause
_UNIT_STEMS = {stem(fold(fr)): stem(en) for fr, en in UNIT_WORDS.items()}
_UNIT_STEMS |= {en: fr for fr, en in _UNIT_STEMS.items()}


# Units that count the same thing: "31 morts" answers how many people died; "2 800
# hectares" how large an area burned; "£14.5 million" how large a fine was.
_UNIT_GROUPS = [
    {stem(w) for w in words(group)}
    for group in (
        "personnes people gens persons morts dead deaths décès victimes victims tués killed"
        " blessés injured habitants residents salariés employés employees workers travailleurs"
        " emplois jobs postes",
        "surface superficie area hectares km² kilomètres acres",
        "électeurs voix votes voters ballots suffrages votants",
        "logements foyers ménages households homes maisons habitations clients abonnés",
        "montant amount somme sum amende fine penalty coût cost prix price euros dollars livres"
        " pounds £ $ € million millions milliard milliards billion",
    )
]


def _unit_stems(text: str) -> set[str]:
    found = {stem(w) for w in words(text) if w not in STOPWORDS}
    if re.search(r"[£$€]", text):
        found.add("euros")
    found |= {_UNIT_STEMS[s] for s in found if s in _UNIT_STEMS}
    return found.union(*(g for g in _UNIT_GROUPS if g & found))


def _asked_unit(question: str) -> set[str] | None:
    """What a count question counts: '%' for a share, the units of time for a duration,
    the words after "how many" / "combien de"; None when it does not say."""
    if _SHARE.search(question):
        return {"%"}
    if _DURATION.search(question):
        return _DURATION_UNITS
    m = _ASKED_UNIT.search(question)
    if m:
        return _unit_stems(m.group(1))
    asked = _unit_stems(question)  # "quelle surface", "how large was the fine"
    group = next((g for g in _UNIT_GROUPS[1:] if g & asked), None)
    return group


def _counts_the_asked(phrase: str, unit: set[str] | None, after: str = "") -> bool:
    """'130 grands modèles' does not answer "how many employees"; "40 %" answers a
    share; "cinq ans" a duration; "1,150 workers will lose their jobs" how many jobs
    (what a figure counts may be said just after it)."""
    if unit is None:
        return True
    share = bool(re.search(r"%|percent|pour ?cent", phrase, re.IGNORECASE))
    if unit == {"%"}:
        return share
    if share:  # a share counts no models, no years, no hectares (dev3 e011)
        return False
    return bool((_unit_stems(phrase) | _unit_stems(after)) & unit)


def counts(text: str, question: str) -> list[tuple[int, int]]:
    """A figure with what it counts ("130 grands modèles", "40 %") or a count in words
    with its unit ("cinq ans"), of what the question counts when it says; never a year,
    an ordinal ("3e Forum"), a day of a date or a figure the question gives. Without a
    figure, a list of what is counted (`listed`)."""
    unit = _asked_unit(question)
    asked = {key for _, _, key in nation_words(question)}
    return (
        [
            (s, e)
            for s, e in _count_phrases(text, question)
            if _counts_the_asked(text[s:e], unit, _UNIT_CLAUSE.split(text[e : e + _UNIT_AFTER])[0])
            and not (len(asked) == 1 and _counted_for(text, s) - asked)
        ]
        or listed(text, question)
        or _counted_list(text)
        or (_day_ranges(text) if _DAYS_ASKED.search(question) else [])
    )


# A list of names, or of names with what they are for ("l'Initiative pour la sécurité
# mondiale"): "OpenAI, Anthropic et Cohere", "A, B, and C".
_ITEM = (
    r"(?:(?:l['’]|the |les? |la )?[A-ZÀ-Ý][\w'’-]*(?: [A-ZÀ-Ý][\w'’-]*)*"
    r"(?: (?:pour|for|de|du|des|of|on|sur) [^,;:.()]{2,40}?)?)"
)
_LIST = re.compile(rf"{_ITEM}(?:, {_ITEM})*,? (?:et|and) {_ITEM}(?=\s*[,;:.)]|$)")
# what a count question counts, for a list: "How many (other) American AI firms…",
# "combien d'autres « initiatives mondiales »"
_LISTED_UNIT = re.compile(
    r"\b(?:how many (?:other |more )?|combien (?:de |d['’])(?:autres )?)«?\s*"
    r"((?:[\w-]+ ){0,2}[\w-]+)",
    re.IGNORECASE,
)
_LIST_SEPARATOR = re.compile(r",\s+(?:et\s+|and\s+)?|\s+(?:et|and)\s+")
# "des sociétés dont Alibaba et Tencent" names some of them, not how many there are
_SOME_OF = re.compile(
    r"\b(?:dont|including|such as|notamment|tel(?:le)?s? que|comme|among|parmi|like|e\.g\.)\s+$",
    re.IGNORECASE,
)
_UNIT_BEFORE_LIST = 3  # words before a list where what it counts is said


def listed(text: str, question: str) -> list[tuple[int, int]]:
    """For "how many" when no figure is given: a list of what is counted, said just
    before it or heading each item ("Les entreprises OpenAI, Anthropic et Cohere" for
    "How many American AI firms took part?"; "l'Initiative pour …, l'Initiative pour …
    et l'Initiative pour …" for "combien d'autres initiatives"). Its items are the
    count (`list_size`); a list of some of them ("dont Alibaba et Tencent") is not."""
    m = _LISTED_UNIT.search(question)
    if not m:
        return []
    # "American", "AI" say which ones are counted, not what: "la Chine et les États-Unis"
    asked = [w for w in words(m.group(1)) if len(w) > 2 and not nation_words(w)]
    unit = {stem(w) for w in asked} | {a for w in asked for a in ALIASES.get(w, ())}
    country = {key for *_, key in nation_words(m.group(1))}
    found = []
    for match in _LIST.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        if _SOME_OF.search(before):
            continue
        # as for a name: "OpenAI, Anthropic et Cohere, qui représentent les États-Unis"
        # are no British firms (blind b113)
        if len(country) == 1 and nation_near(text, *match.span()) not in (None, *country):
            continue
        heads = [words(item)[:2] for item in _LIST_SEPARATOR.split(match.group(0))]
        said_before = any(stem(w) in unit for w in words(before)[-_UNIT_BEFORE_LIST:])
        # each item headed by it: not "Forum de la Ceinture et la Route", one name
        each_one = all(any(stem(w) in unit for w in head) for head in heads)
        if said_before or each_one:
            found.append(match.span())
    return found


_COUNT_OF_LIST = re.compile(r"\b(\d+) \(([^()]+)\)")


def _counted_list(text: str) -> list[tuple[int, int]]:
    """A figure with the list it counts, as the instant answer gives it: "3 (OpenAI,
    Anthropic et Cohere)"."""
    return [
        m.span() for m in _COUNT_OF_LIST.finditer(text) if list_size(m.group(2)) == int(m.group(1))
    ]


# how long a meeting lasted, from its dates: "les 1er et 2 novembre", "du 1er au 3
# novembre", "November 1-2" (dev4 g011: "durait combien de jours ?")
_DAY_RANGE = re.compile(
    rf"\b(?:les |du |from |on )?(\d{{1,2}})(?:er|st|nd|rd|th)?(?: et | au | and | to |-|–)"
    rf"(?:le )?(\d{{1,2}})(?:er|st|nd|rd|th)? (?:{_MONTH})\b"
    rf"|\b(?:{_MONTH}) (\d{{1,2}})(?:st|nd|rd|th)?(?: to | and |-|–)(\d{{1,2}})(?:st|nd|rd|th)?\b",
    re.IGNORECASE,
)
_DAYS_ASKED = re.compile(
    r"\b(?:combien de jours|how many days|how long|durée|a duré|durait|durera|last(?:ed|s)?)\b",
    re.IGNORECASE,
)


def _days(m: re.Match[str]) -> int | None:
    """How many days a matched range of dates covers; None when it runs backwards or
    past a month."""
    first, last = (int(d) for d in m.groups() if d is not None)
    return last - first + 1 if 0 < last - first < 31 else None


def _day_ranges(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _DAY_RANGE.finditer(text) if _days(m)]


def days_spanned(phrase: str) -> int | None:
    """How many days a range of dates covers ("les 1er et 2 novembre": 2)."""
    m = _DAY_RANGE.fullmatch(phrase.strip())
    return _days(m) if m else None


def day_counts(text: str) -> set[str]:
    """How many days each range of dates in `text` covers: "les 1er et 2 novembre"
    backs "two days"."""
    return {str(days) for m in _DAY_RANGE.finditer(text) if (days := _days(m))}


def list_size(phrase: str) -> int | None:
    """How many items a list phrase holds, when it gives no figure itself."""
    if re.search(r"\d", phrase) or not _LIST.fullmatch(phrase.strip()):
        return None
    return len(_LIST_SEPARATOR.split(phrase.strip()))


def listed_counts(text: str) -> set[str]:
    """The sizes of the lists `text` gives: "Three firms took part: OpenAI, Anthropic and
    Cohere" counts its own list (whose names are checked like any other)."""
    return {str(size) for m in _LIST.finditer(text) if (size := list_size(m.group(0)))}


def _counted_for(text: str, start: int) -> set[str]:
    """The country that opens the figure's clause, its subject: "La Chine compte … 130
    grands modèles" counts China's, not what the United States have ("le premier voyage
    d'un ministre britannique en cinq ans" has no country for subject)."""
    clause = re.split(r"[,;:.]\s", text[:start])[-1].lstrip()
    return {key for s, _, key in nation_words(clause) if s <= SUBJECT_REACH}


SUBJECT_REACH = 4  # characters before a clause's subject: "La ", "Les ", "The "


def _count_phrases(text: str, question: str) -> list[tuple[int, int]]:
    asked = set(re.findall(r"\d+", question))
    days = [(m.start(), m.end()) for m in DATE_PHRASE.finditer(text)]
    found = []
    for m in NUMBER_PHRASE.finditer(text):
        figure = re.search(_FIGURE, m.group(0))
        assert figure is not None
        digits = figure.group(0).rstrip(".,")
        at = m.start() + figure.start()
        if re.fullmatch(r"(?:19|20)\d{2}", digits) or digits in asked:
            continue
        if _ORDINAL.match(text[at:]) or any(s <= at < e for s, e in days):
            continue
        rest = m.group(0)[figure.end() :].strip()
        unit = words(rest)[:1]
        money = bool(re.search(r"[£$€]", m.group(0)))
        if not money and (not rest or (unit and unit[0] in _NOT_A_UNIT and "%" not in rest)):
            continue  # a bare figure counts nothing
        found.append((m.start(), m.end()))
    for m in COUNT_PHRASE.finditer(text):
        unit = words(m.group(0))[-1]
        if unit not in _NOT_A_UNIT and not any(s < m.end() and m.start() < e for s, e in found):
            found.append((m.start(), m.end()))
    return sorted(found)


def fillers(slot: Slot, text: str, question: str) -> list[tuple[int, int]]:
    """Spans of `text` that fill `slot` for `question` (names before group nouns); for a
    reason, an open or a yes/no question, the whole text when it adds what is asked."""
    if slot.kind in ("person", "organisation"):
        bodies = slot.kind == "organisation"
        named = asked_names(text, question, bodies)
        # "which companies", "which leaders" ask for names: "les entreprises américaines"
        # restates the question, "des représentants" says no one's name
        if bodies or _ASKS_OUTLET.search(question) or _NAMES_ASKED.search(question):
            return named
        return named or group_nouns(text, question, _GROUP_PEOPLE)
    if slot.kind == "place":
        if _ONE_PLACE.search(question):  # "entre pays" names no venue
            return places(text, question)
        return places(text, question) or group_nouns(text, question, _GROUP_PLACES)
    if slot.kind == "date":
        return dates(text, question, slot.granularity)
    if slot.kind == "count":
        return counts(text, question)
    added = added_terms(text, question)
    if slot.kind == "reason":  # a cause, or enough new facts to hold one
        enough = (bool(_CAUSE.search(text)) and len(added) >= 2) or len(added) >= 4
    else:
        enough = len(added) >= 1
    return [(0, len(text))] if enough else []


# Who is "the next" holder of a post is said by naming someone to it: "X will become
# its director", "a désigné X comme directrice", "X succède à…".
_APPOINTED = _any(
    r"\b(?:appoint\w*|named?|names|chos[ea]n?|choose|picked|succe(?:ed|eds|eding|ssor)"
    r"|replac(?:e|es|ing)|will (?:become|take over))\b",
    r"\b(?:nomm\w*|désign\w*|choisi\w*|succ(?:ède|èdera|esseur)|remplac\w*|deviendra)\b",
)


def _unsaid_qualifiers(slot: Slot, text: str, question: str) -> set[str]:
    unsaid = asked_qualifiers(question) - qualifiers(text)
    if slot.kind == "person" and _APPOINTED.search(text):
        unsaid.discard("next")
    return unsaid


def fills(slot: Slot, text: str, question: str) -> bool:
    """Whether a sentence answers: a filler of the asked kind, and the question's "the
    most", "the next"… said too (or the question's premise corrected)."""
    if _unsaid_qualifiers(slot, text, question):  # "the most", "the next"… left unsaid
        return corrects_premise(text, question)
    return holds_kind(slot, text, question)


def holds_kind(slot: Slot, text: str, question: str) -> bool:
    """Whether a text holds a filler of the asked kind (a shown phrase, "Boris Johnson",
    holds one; its sentence is what says "the lowest")."""
    return bool(fillers(slot, text, question)) or corrects_premise(text, question)


# Kinds of event a news story dates and places; a claim about one is not backed by an
# extract that speaks only of another ("the summit" against "ces discussions").
_EVENTS = {
    "summit": re.compile(r"\b(?:sommets?|summits?)\b"),
    "talks": re.compile(
        r"\b(?:pourparlers|talks|discussions?|dialogues?|negociations?|negotiations?"
        r"|reunions?|meetings?|rassemblements?|gatherings?)\b"
    ),
    "forum": re.compile(r"\bforums?\b"),
    "conference": re.compile(r"\b(?:conferences?|waic|salons?|fairs?)\b"),
}


@lru_cache(maxsize=1024)  # an article is read once per question, not once per sentence
def events(text: str) -> frozenset[str]:
    """The kinds of event `text` names (summit, talks, forum, conference)."""
    folded = fold(text)
    return frozenset(kind for kind, pattern in _EVENTS.items() if pattern.search(folded))


def another_event(claim: str, source: str) -> str:
    """The event the source speaks of, when the claim names a kind of event and the
    source names only others; '' otherwise."""
    claimed, sourced = events(claim), events(source)
    if not claimed or not sourced or claimed & sourced:
        return ""
    return ", ".join(sorted(sourced))


# a body named with its country, "la délégation chinoise", "the US delegation" (folded)
_BODY = (
    r"(delegations?|gouvernements?|governments?|ambassades?|embassy|embassies|ministeres?"
    r"|ministry|ministries|administrations?|negociateurs|negotiators)"
)
_BODY_BEFORE_COUNTRY = re.compile(rf"\b{_BODY}\s+(?:\w+\s+)?$")  # "la délégation chinoise"
_BODY_AFTER_COUNTRY = re.compile(rf"\s+{_BODY}\b")  # "the Chinese delegation"


@lru_cache(maxsize=256)  # the question's, once for all its sentences
def _bodies(text: str) -> frozenset[tuple[str, str]]:
    """(body, country) pairs: the country word right after a French body or right
    before an English one."""
    folded = fold(text)
    if len(folded) != len(text):
        return frozenset()
    found = set()
    for start, end, key in nation_words(text, folded):
        for m in (
            _BODY_BEFORE_COUNTRY.search(folded[:start]),
            _BODY_AFTER_COUNTRY.match(folded[end:]),
        ):
            if m:
                found.add((stem(m.group(1)), key))
    return frozenset(found)


def about_another_body(question: str, sentence: str) -> bool:
    """Whether the sentence speaks of the same kind of body as the question but of
    another country's only ("la délégation américaine sera dirigée par Seth Center"
    for "Qui dirigeait la délégation chinoise… ?": dev4 g079, test q79)."""
    asked = _bodies(question)
    if not asked:
        return False
    said = _bodies(sentence)
    same_kind = {body for body, _ in asked} & {body for body, _ in said}
    return bool(same_kind) and not asked & said


def about_another_event(question: str, sentence: str, article: str) -> bool:
    """Whether `sentence` speaks of another event than the one `question` names: by its
    own words, or, when it names none, by its article's, which never names the
    question's ("la délégation américaine sera dirigée par Seth Center", in the story of
    the Geneva talks, names no one at the summit)."""
    if not events(question):
        return False
    return bool(another_event(question, sentence if events(sentence) else article))


# "the anonymous participant", "une personne présente, sans être nommée"
_UNNAMED = _any(
    r"\b(?:anonymous(?:ly)?|unnamed|unidentified|not named)\b",
    r"\b(?:anonymes?|sans être nommée?s?|non nommée?s?|non identifiée?s?)\b",
)


def asks_unnamed(question: str) -> bool:
    """Whether the question describes whom it asks about as unnamed: no article gives
    the name of someone it keeps anonymous."""
    return bool(_UNNAMED.search(question))


def negates(text: str) -> bool:
    return bool(_NEGATION.search(text))


def corrects_premise(text: str, question: str) -> bool:
    """A reply that denies what the question assumes and says what is so instead ("It
    was not in Paris: the talks took place in Geneva")."""
    asked = asked_prefixes(question)
    if not any(_denies(clause, asked) for clause in _NEGATED.findall(text)):
        return False  # a denial of something else: "n'a pas donné beaucoup de détails"
    shared = set(content_terms(text)) & asked_stems(question)  # about the question's subject
    return len(shared) >= 2 and len(added_terms(text, question)) >= 2


# a negation and the words it denies, up to the clause's end: "ne pas inviter la Chine"
_NEGATED = re.compile(
    r"\b(?:not|never|no longer|rather than|instead of|ne|n[’']|jamais|plutôt que)\b"
    r"((?:[\s’']+[^\W\d_]+){1,6})",
    re.IGNORECASE,
)


def asked_prefixes(question: str) -> set[str]:
    """The first four letters of the question's (or a sentence's) content words, in
    either language they meet: "inviter" for "invitation", "négociera" for "negotiate"."""
    asked = {w[:4] for w in words(question) if len(w) > 3 and w not in STOPWORDS}
    return asked - {w[:4] for w in _LIGHT}


def _denies(clause: str, asked: set[str]) -> bool:
    """Whether the denied words hold one the question asks about (`asked_prefixes`)."""
    return any(w[:4] in asked for w in words(clause) if len(w) > 3 and w not in STOPWORDS)


_MISSING_KEYS: dict[str, str] = {
    "person": "missing_person",
    "organisation": "missing_organisation",
    "place": "missing_place",
    "count": "missing_count",
    "reason": "missing_reason",
}


def missing_key(slot: Slot) -> str:
    """The key of the phrase naming what the articles do not give (prompts/messages.json)."""
    if slot.kind == "date":
        return f"missing_date_{slot.granularity or 'any'}"
    return _MISSING_KEYS.get(slot.kind, "missing_open")


_LOWER_WORD = re.compile(r"(?<![\w’'-])[a-zà-ÿ][\w’'-]*")
_TYPED_WORD = re.compile(r"[\w’'-]+(?:\.[\w’'-]+)*")
_RUN_SENTENCES = re.compile(r"(?<=\.) ")  # "Genève. Commentant": two sentences
_CAPITALISED = re.compile(r"[A-ZÀ-Ý][a-zà-ÿ]")  # "Liu", not "AI" nor "UK"
_OPENS_SENTENCE = re.compile(r"(?:^|[.?!\n])[\s«“\"(–-]*$")
LONGEST_NAME = 4  # words


def name_forms(texts: Iterable[str]) -> dict[str, str]:
    """The names the articles write, folded → as written: capitalised runs, less a
    sentence's first word, and less single words the articles also write in lower case
    ("Sommet" opening a heading, "sommet" everywhere else)."""
    forms: dict[str, str] = {}
    lower: set[str] = set()
    for text in texts:
        lower.update(fold(w) for w in _LOWER_WORD.findall(text))
        for m in NAME_RUN.finditer(text):
            before = text[max(0, m.start() - 4) : m.start()]
            for i, run in enumerate(_RUN_SENTENCES.split(m.group(0))):
                run = run.rstrip(".")
                if i > 0 or _OPENS_SENTENCE.search(before):  # a sentence's first word
                    run = run.partition(" ")[2]
                while run and fold(run.split(" ")[0]) in _OPENERS:  # "La Chine", "de Laurie"
                    run = run.partition(" ")[2]
                if run:
                    forms.setdefault(fold(run), run)
    return {
        key: run
        for key, run in forms.items()
        # not an acronym ("US" for "us"), nor a word also written in lower case
        if " " in key or not (key in lower or key in _OPENERS or run.isupper())
    }


def in_lower_case(question: str) -> bool:
    """Whether a question writes no capitalised word but its first (acronyms aside)."""
    typed = _TYPED_WORD.findall(question)[1:]
    return not any(_CAPITALISED.match(word) for word in typed)


def with_capitals(question: str, forms: Mapping[str, str]) -> str:
    """A question typed in lower case (`in_lower_case`) with its names written as the
    articles write them ("who's liu wei?" → "who's Liu Wei?"): names are found by their
    capitals. A question that writes a capitalised word of its own is left as typed:
    its lower-case words were meant ("What initiative…", "direct talks")."""
    if not in_lower_case(question):
        return question
    typed = list(_TYPED_WORD.finditer(question))
    pieces, at, i = [], 0, 0
    while i < len(typed):
        for n in range(min(LONGEST_NAME, len(typed) - i), 0, -1):
            start, end = typed[i].start(), typed[i + n - 1].end()
            span = question[start:end]
            key = fold(" ".join(t.group(0) for t in typed[i : i + n]))
            if span == span.lower() and key in forms and span.count(" ") == n - 1:
                pieces += [question[at:start], forms[key]]
                at, i = end, i + n
                break
        else:
            i += 1
    return "".join([*pieces, question[at:]])
