"""Check that an answer sentence is supported by the passages it cites.

No NLI model or cross-encoder ships in a pip package that works offline, and
cosine similarity alone cannot tell "28 countries" from "13 countries". So a
claim counts as supported only when all three hold:
1. every number in the claim appears in a cited passage;
2. every name in the claim (capitalised words, mapped across French and
   English by a small alias table) appears in a cited passage;
3. the claim is semantically close to its best cited sentence.
Deliberately left out: negation and paraphrased numbers ("a dozen").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.chunking import split_sentences
from rag.embed import Embedder
from rag.text import STOPWORDS, fold, stem, words

CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_CAPITALISED = re.compile(r"\b[A-ZÀ-Ý][\w'’-]*")

# Names that are spelled differently in French and English news (stems after folding).
_ALIASES: dict[str, set[str]] = {
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
_COMMON_CAPITALISED = {"according", "however", "also", "in", "on", "at", "during", "both"}


@dataclass(frozen=True)
class Support:
    supported: bool
    similarity: float
    reason: str = ""


def parse_citations(text: str, n_passages: int) -> tuple[str, tuple[int, ...], int]:
    """Strip [n] markers from a sentence: (clean text, valid passage numbers, dropped count)."""
    found: list[int] = []
    dropped = 0
    for match in CITATION.finditer(text):
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part)
            if 1 <= n <= n_passages:
                if n not in found:
                    found.append(n)
            else:
                dropped += 1
    clean = re.sub(r"\s+([.,;:!?])", r"\1", CITATION.sub("", text)).strip()
    return re.sub(r"\s{2,}", " ", clean), tuple(found), dropped


def _normal_number(raw: str) -> str:
    value = raw.replace(",", ".")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def numbers(text: str) -> set[str]:
    return {_normal_number(n) for n in _NUMBER.findall(text)}


def names(text: str) -> set[str]:
    """Folded capitalised words that are names, not sentence openers or stop words."""
    found: set[str] = set()
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        tokens = _CAPITALISED.findall(sentence)
        for i, token in enumerate(tokens):
            word = re.sub(r"['’]s$", "", fold(token)).strip("'’-")
            if not word or word in STOPWORDS or word in _COMMON_CAPITALISED:
                continue
            is_opener = sentence.startswith(token) and i == 0
            followed = sentence[len(token) :].lstrip()[:1].isupper()
            if is_opener and not followed and word not in _ALIASES:
                continue
            found.add(word)
    return found


def _name_in(name: str, passage_stems: set[str]) -> bool:
    parts = [p for p in re.split(r"[-'’]", name) if p]
    return all(
        stem(p) in passage_stems or bool(_ALIASES.get(p, set()) & passage_stems) for p in parts
    )


def check_claim(
    claim: str, passages: list[str], embedder: Embedder, threshold: float
) -> tuple[Support, list[tuple[int, int, int]]]:
    """Support of `claim` by the cited `passages`, and the best sentence span in each
    passage as (passage index, start, end) for quoting, best first."""
    if not passages:
        return Support(False, 0.0, "no citation"), []
    joined = " ".join(passages)
    missing_numbers = numbers(claim) - numbers(joined)
    stems = {stem(w) for w in words(joined)}
    missing_names = {n for n in names(claim) if not _name_in(n, stems)}
    spans = [(i, s, e) for i, p in enumerate(passages) for s, e in split_sentences(p)]
    claim_vec = embedder.embed([claim], "query")[0]
    sentence_vecs = embedder.embed([passages[i][s:e] for i, s, e in spans], "passage")
    sims = sentence_vecs @ claim_vec if len(spans) else np.zeros(0)
    order = list(np.argsort(-sims)) if len(spans) else []
    best = float(sims[order[0]]) if order else 0.0
    best_spans = []
    seen: set[int] = set()
    for j in order:  # best sentence of each cited passage
        if spans[j][0] not in seen:
            seen.add(spans[j][0])
            best_spans.append(spans[j])
    if missing_numbers:
        return Support(
            False, best, f"number not in source: {', '.join(sorted(missing_numbers))}"
        ), best_spans
    if missing_names:
        return Support(
            False, best, f"name not in source: {', '.join(sorted(missing_names))}"
        ), best_spans
    if best < threshold:
        return Support(False, best, f"not close enough to the source ({best:.2f})"), best_spans
    return Support(True, best), best_spans
