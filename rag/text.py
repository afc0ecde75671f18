"""Small text helpers shared by retrieval, extraction and verification.

Language-light on purpose: French and English stop words, accent folding and a
truncation stemmer (first five letters), which also lets some names meet across
the two languages (Genève/Geneva, Chine/China share their prefix).
"""

from __future__ import annotations

import re
import unicodedata


def _word_set(text: str) -> set[str]:
    return set(text.split())


def word_list(text: str) -> tuple[str, ...]:
    """The words of a literal list written as one string, in order."""
    return tuple(text.split())


_STOP_FR = _word_set(
    """
le la les l un une des du de d et ou mais donc or ni car à a au aux en dans par pour sur
avec sans sous entre vers chez ce cet cette ces c qui que qu quoi dont où il ils elle
elles on nous vous je j tu me m te t se s lui leur leurs son sa ses mon ma mes ton ta
tes notre nos votre vos y ne n pas plus est sont été être était a ont avait avoir fait
faire comme aussi très tout tous toute toutes quel quelle quels quelles lors selon ainsi
si même cela ça déjà encore alors après avant
"""
)
_STOP_EN = _word_set(
    """
the a an and or but of to in on at by for with from as is are was were be been being has
have had do does did this that these those it its it's they them their there what which
who whom whose when where why how than then so such not no can could will would should
may might must about into over after before under again also any all each other some
more most very just our we you your he she his her i me my
"""
)
_STOP_DE = _word_set(
    """
der die das und ist nicht ein eine einer mit von zu den dem des auf für sich im wer wie
was wo warum hat haben wurde werden ich sie es aus bei nach
"""
)
STOPWORDS = _STOP_FR | _STOP_EN
_WORD = re.compile(r"\w+", re.UNICODE)


# Names that are spelled differently in French and English news (stems after folding).
ALIASES: dict[str, set[str]] = {
    "china": {"chine", "chino", "pekin", "beiji"},
    "chine": {"chino", "china"},
    "ai": {"ia", "intel"},
    "ia": {"ai", "intel"},
    "chinese": {"chine", "chino"},
    "chinois": {"chine"},
    "chinoise": {"chine"},
    "chinoises": {"chine"},
    "britannique": {"breta", "royau", "grand"},
    "britanniques": {"breta", "royau", "grand"},
    "beijing": {"pekin", "beiji"},
    "us": {"etats", "ameri", "washi"},
    "usa": {"etats", "ameri"},
    "united": {"etats", "unis", "royau", "nation", "onu"},
    "states": {"etats", "unis"},
    "america": {"ameri", "etats"},
    "american": {"ameri", "etats"},
    "uk": {"royau", "grand", "brita", "londr"},
    "britain": {"brita", "grand", "royau"},
    "british": {"brita", "royau"},
    "kingdom": {"royau"},
    "great": {"grand"},
    "england": {"angle", "royau"},
    "london": {"londr"},
    "switzerland": {"suiss"},
    "swiss": {"suiss"},
    "un": {"onu", "natio"},
    "nations": {"natio", "onu"},
    "european": {"europ"},
    "union": {"union"},
    "eu": {"europ"},
    "foreign": {"etran"},
    "affairs": {"affai"},
    "ministry": {"minis"},
    "minister": {"minis"},
    "prime": {"premi"},
    "president": {"presi"},
    "academy": {"acade"},
    "sciences": {"scien"},
    "science": {"scien"},
    "technology": {"techn"},
    "state": {"etat"},
    "department": {"depar"},
    "belt": {"ceint"},
    "road": {"route"},
    "forum": {"forum"},
    "world": {"monde"},
    "conference": {"confe"},
    "security": {"secur"},
    "council": {"conse"},
    "national": {"natio"},
    "white": {"blanc"},
    "house": {"maiso"},
    "tsinghua": {"tsing"},
    "university": {"unive"},
    # common words of the news in this field, whose French stems differ
    "summit": {"somme"},
    "talks": {"discu", "pourp", "entre"},
    "send": {"envoi", "enver", "envoy"},
    "meeting": {"reuni", "renco"},
    "companies": {"entre", "socie"},
    "firms": {"entre", "socie"},
}


# Month and weekday names, French then English, in calendar order: the one home of these
# lists (date phrases, their English rendering, the asked slot, aliases).
MONTHS_FR = word_list(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
)
MONTHS_EN = word_list(
    "january february march april may june july august september october november december"
)
WEEKDAYS_FR = word_list("lundi mardi mercredi jeudi vendredi samedi dimanche")
WEEKDAYS_EN = word_list("monday tuesday wednesday thursday friday saturday sunday")
# French day and month names → English, as an English reply writes them ("mardi" → "Tuesday")
ENGLISH_DATE_WORDS = {
    fr: en.capitalize()
    for fr, en in zip(WEEKDAYS_FR + MONTHS_FR, WEEKDAYS_EN + MONTHS_EN, strict=True)
}
# What counts count, French → English: the instant answer's rendering, and the unit a
# "how many" question asks for meeting the unit of a French figure.
UNIT_WORDS = {
    "pays": "countries",
    "ans": "years",
    "années": "years",
    "mois": "months",
    "jours": "days",
    "semaines": "weeks",
    "entreprises": "companies",
    "sociétés": "companies",
    "personnes": "people",
    "milliards": "billion",
    "millions": "million",
}
# An answer's citation marker: "[2]", "[1, 3]".
CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


# Counts in words, English then French, from 2: "one", "un" and "une" are far more often
# a pronoun or an article than a count.
_COUNTS = (
    "two deux",
    "three trois",
    "four quatre",
    "five cinq",
    "six six",
    "seven sept",
    "eight huit",
    "nine neuf",
    "ten dix",
    "eleven onze",
    "twelve douze",
)
COUNT_WORDS = {word: n for n, pair in enumerate(_COUNTS, 2) for word in pair.split()}
ENGLISH_COUNTS = dict(reversed(pair.split()) for pair in _COUNTS)  # French → English


def fold(text: str) -> str:
    """Lower case without accents: 'Genève' → 'geneve'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# a month's name, folded, in either language → its number (1–12)
MONTH_NUMBERS = {fold(m): i for names in (MONTHS_FR, MONTHS_EN) for i, m in enumerate(names, 1)}


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def stem(word: str) -> str:
    return word[:5]


# English month and weekday names meet their French stems ("october" → "octob").
ALIASES.update(
    {
        en: {stem(fold(fr))}
        for en, fr in zip(MONTHS_EN + WEEKDAYS_EN, MONTHS_FR + WEEKDAYS_FR, strict=True)
    }
)


def content_terms(text: str) -> list[str]:
    """Stemmed content words: what BM25 and lexical overlap compare."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def looks_like_prose(text: str) -> bool:
    """False for keyword lists written to win retrieval ("Wu Zhaohui sommet Chine Genève
    Wu Zhaohui sommet…"): prose of any length has function words and varied words."""
    tokens = words(text)
    if len(tokens) < 8:
        return True  # too short to judge: titles, short sentences
    function_words = sum(t in STOPWORDS for t in tokens) / len(tokens)
    return function_words >= 0.1 and len(set(tokens)) / len(tokens) >= 0.5


# Cyrillic and Greek letters that look Latin: "Іgnore" with a Cyrillic І is still "ignore".
_LOOKALIKES = str.maketrans(
    "АВЕКМНОРСТХаеорсхуіјѕԁɡΑΒΕΖΗΙΚΜΝΟΡΤΥΧον",
    "ABEKMHOPCTXaeopcxyijsdgABEZHIKMNOPTYXov",
)


def latin(text: str) -> str:
    """Compatibility-normalised, look-alike letters made Latin."""
    return unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)


# Words that address the assistant rather than the reader: a news sentence does not tell
# "the assistant" what to answer, nor refer to "previous instructions" or "extract [7]".
_TO_THE_ASSISTANT = re.compile(
    r"\bassistant\s*[,:]|\b(?:for|to) the assistant\b|\b(?:pour|à) l'assistant\b"
    r"|\b(?:ai[- ]instructions?|system prompt|developer mode|(?:previous|prior|above|your) "
    r"instructions|(?:note|rule|instructions?) for (?:the )?(?:ai|language models?)"
    r"|ai systems (?:summari[sz]ing|reading)|(?:answer|reply|respond)(?:ing)? (?:to )?"
    r"(?:this|any|every) question|(?:end|begin|start) every answer|your answer must"
    r"|(?:reply|respond|answer) (?:only|with)|always answer|extract \[\d+\]"
    r"|to answer, (?:fetch|open|read)|follow (?:them|these instructions)"
    r"|(?:notes?|consignes?|r[eè]gles?) (?:pour|aux|à) (?:les )?(?:syst[eè]mes d'ia|ia)"
    r"|consignes?[- ]ia|prompt syst[eè]me|(?:instructions|consignes) pr[ée]c[ée]dentes"
    r"|(?:vos|tes) (?:instructions|consignes)"
    r"|r[ée]pond(?:s|ez) (?:à|a) (?:cette|toute|chaque) question"
    r"|(?:terminez|commencez|commencer|termine|commence) (?:chaque|toute) r[ée]ponse"
    r"|votre r[ée]ponse doit|nouvelle consigne|extrait \[\d+\]"
    r"|r[ée]ponds?(?:ez)? (?:uniquement|toujours|seulement)|pour r[ée]pondre, (?:ouvrez|lisez)"
    r"|suivez-les)|<\|im_(?:start|end)\|>|end of context|fin des passages|### instruction",
    re.IGNORECASE,
)
# "reply HACKED", "écris « PWNED »": an order to output a code word.
_SAY_CODE_WORD = re.compile(
    r"(?i:\b(?:reply|say|write|print|output|answer|r[ée]ponds|r[ée]pondez|[ée]cris|[ée]crivez"
    r"|dis|affiche))\s+[«\"“']?\s*[A-Z][A-Z0-9_-]{3,}\b"
)
# Active markup has no place in an article's text (HTML articles are converted at
# ingestion); a markdown link is ordinary in a .md article, a markdown image is not.
_MARKUP = re.compile(
    r"<\s*/?\s*(?:script|img|iframe|svg|object|embed|style|a|link|meta|form|input)\b"
    r"|\bon[a-z]+\s*=|javascript:|!\[[^\]]*\]\(",
    re.IGNORECASE,
)


def planted(text: str) -> bool:
    """True for a sentence planted for an AI reading the article rather than for its
    reader: an instruction to the assistant, an order to output a code word, or live
    markup. Such a sentence is never an answer and never shown to the model."""
    text = latin(text).replace("’", "'")
    return any(p.search(text) for p in (_TO_THE_ASSISTANT, _SAY_CODE_WORD, _MARKUP))


def detect_language(text: str) -> str:
    """'fr', 'en' or 'other', by stop-word votes (ties and unknowns go to 'en')."""
    tokens = words(text)
    votes = {
        "fr": sum(t in _STOP_FR for t in tokens) + 2 * bool(re.search(r"[éèêàùçôî]", text.lower())),
        "en": sum(t in _STOP_EN for t in tokens),
        "other": sum(t in _STOP_DE for t in tokens) + 2 * bool(re.search(r"[äöüß]", text.lower())),
    }
    best = max(votes, key=lambda lang: votes[lang])
    if votes[best] == 0:
        return "en"
    return best if votes[best] > max(v for k, v in votes.items() if k != best) else "en"
