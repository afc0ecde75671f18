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
    "january": {"janvi"},
    "february": {"fevri"},
    "march": {"mars"},
    "april": {"avril"},
    "may": {"mai"},
    "june": {"juin"},
    "july": {"juill"},
    "august": {"aout"},
    "september": {"septe"},
    "october": {"octob"},
    "november": {"novem"},
    "december": {"decem"},
    "monday": {"lundi"},
    "tuesday": {"mardi"},
    "wednesday": {"mercr"},
    "thursday": {"jeudi"},
    "friday": {"vendr"},
}


def fold(text: str) -> str:
    """Lower case without accents: 'Genève' → 'geneve'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def stem(word: str) -> str:
    return word[:5]


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
