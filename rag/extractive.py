"""The extractive answerer: the passage sentences that best answer the question,
the short phrase inside the best one that answers it, and the evidence given to
the model.

It is the first, instant answer and the fallback of the generative path: every
phrase and sentence it returns is an exact span of an article. A sentence
scores by its embedding similarity to the question plus a small bonus for
shared content words; when even the best sentence is below `answer_threshold`,
the articles are taken not to contain the answer. The phrase is found by the
kind of fact the question asks for (a name for who, a date for when, a place
for where, a number for how many); when none is found, the sentence is the
answer. Deliberately left out: parsing; the rules are patterns for French and
English news prose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.chunking import split_sentences
from rag.embed import Embedder
from rag.text import (
    ALIASES,
    COUNT_WORDS,
    ENGLISH_COUNTS,
    STOPWORDS,
    content_terms,
    fold,
    looks_like_prose,
    planted,
    stem,
    words,
)
from rag.types import Hit

LEXICAL_WEIGHT = 0.15  # chosen on eval/questions.jsonl: best top-3 key facts and refusal AUC
TYPE_BONUS = 0.07  # ranking only: a sentence holding the kind of fact the question asks for

_NAME_PAIR = re.compile(r"\b([A-ZÀ-Ý][\w’'-]+) [A-ZÀ-Ý][\w’'-]+")


class _PersonName:
    """Two capitalised words in a row, the first not a stop word ('La Chine' is no name)."""

    @staticmethod
    def search(text: str) -> bool:
        return any(fold(m.group(1)) not in STOPWORDS for m in _NAME_PAIR.finditer(text))


_PERSON = _PersonName()
_TIME = re.compile(
    r"\b(1er|\d{4}|janvier|février|mars|avril|mai|juin|juillet|août|septembre|"
    r"octobre|novembre|décembre|lundi|mardi|mercredi|jeudi|vendredi|samedi|"
    r"dimanche|\d{1,2} [a-zé]+)\b",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_PLACE = re.compile(r"\b(?:à|au|aux|en|in|at)\s+[A-ZÀ-Ý]")
# (what the question says, the kind of fact it asks for, what a sentence holding one shows)
_ASKS = (
    (re.compile(r"\b(who|whom|qui)\b", re.IGNORECASE), "person", _PERSON),
    (
        re.compile(
            r"\b(when|quand|(?:what|which) (?:days?|dates?|months?|years?)|"
            r"quel(?:le)?s? (?:jours?|dates?|mois|années?))\b",
            re.IGNORECASE,
        ),
        "date",
        _TIME,
    ),
    (
        re.compile(
            r"\b(where|où|in which city|dans quelle ville|in which country|dans quel pays)\b",
            re.IGNORECASE,
        ),
        "place",
        _PLACE,
    ),
    (
        re.compile(
            r"\b(how many|how much|combien|what share|quelle part|percent|pourcentage)\b",
            re.IGNORECASE,
        ),
        "number",
        _DIGIT,
    ),
)


@dataclass(frozen=True)
class ScoredSentence:
    hit: Hit
    start: int  # offsets in the document
    end: int
    text: str
    similarity: float
    score: float  # similarity + lexical bonus: what the answer threshold is compared with
    rank_score: float  # score + answer-type bonus: what orders the sentences


def score_sentences(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    stored: Callable[[str, int], np.ndarray | None] | None = None,
) -> list[ScoredSentence]:
    """Every sentence of the retrieved passages, best first. `stored` gives the vectors
    computed at index time, so that only the question (and any sentence the index does
    not hold) is embedded now."""
    seen: set[tuple[str, int]] = set()
    candidates: list[tuple[Hit, int, int, str]] = []
    for hit in hits:
        for s, e in split_sentences(hit.chunk.text, offset=hit.chunk.start):
            text = hit.chunk.text[s - hit.chunk.start : e - hit.chunk.start]
            key = (hit.chunk.doc_id, s)
            if key in seen or len(text.split()) < 4:  # headings and fragments answer nothing
                continue
            if not looks_like_prose(text) or planted(text):
                continue  # keyword stuffing and planted instructions answer nothing
            seen.add(key)
            candidates.append((hit, s, e, text))
    if not candidates:
        return []
    q_vec = embedder.embed([question], "query")[0]
    sims = _sentence_vectors(candidates, embedder, stored) @ q_vec
    q_terms = set(content_terms(question))
    wanted = [fact for asks, _, fact in _ASKS if asks.search(question)]
    scored = []
    for (hit, s, e, text), sim in zip(candidates, sims, strict=True):
        overlap = len(q_terms & set(content_terms(text))) / max(len(q_terms), 1)
        score = float(sim) + LEXICAL_WEIGHT * overlap
        bonus = TYPE_BONUS * any(fact.search(text) for fact in wanted)
        scored.append(ScoredSentence(hit, s, e, text, float(sim), score, score + bonus))
    return sorted(scored, key=lambda x: -x.rank_score)


def _sentence_vectors(
    candidates: list[tuple[Hit, int, int, str]],
    embedder: Embedder,
    stored: Callable[[str, int], np.ndarray | None] | None,
) -> np.ndarray:
    found = [stored(hit.chunk.doc_id, s) if stored else None for hit, s, _, _ in candidates]
    missing = [i for i, v in enumerate(found) if v is None]
    if missing:
        fresh = embedder.embed([candidates[i][3] for i in missing], "passage")
        for i, vector in zip(missing, fresh, strict=True):
            found[i] = vector
    return np.stack(found)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the answer phrase

_MONTHS = (
    "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_WEEKDAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
_DAY = r"\d{1,2}(?:er)?"
_DATE_PHRASE = re.compile(
    rf"\b(?:(?:les? )?{_DAY}(?: et (?:le )?{_DAY})? (?:{_MONTHS})(?: \d{{4}})?"
    rf"|(?:en )?(?:{_MONTHS})(?: et (?:en )?(?:{_MONTHS}))?(?: \d{{4}})?"
    rf"|(?:{_WEEKDAYS})|(?:19|20)\d{{2}})\b",
    re.IGNORECASE,
)
_ABOUT = r"(?:\b(?:au moins|environ|plus de|moins de|at least|about|more than) )?"
_UNIT = r" (?:[^\W\d_]+ ){0,2}[^\W\d_]+s\b"  # "pays", "grands modèles linguistiques"
_NUMBER_PHRASE = re.compile(rf"{_ABOUT}\d(?:[\d\u202f.,]*\d)?(?: ?%|{_UNIT})?", re.IGNORECASE)
# "cinq ans": a count in words, with what it counts ("les deux" alone is "both")
_COUNT_PHRASE = re.compile(rf"{_ABOUT}\b(?:{'|'.join(COUNT_WORDS)}){_UNIT}", re.IGNORECASE)
_CAP = r"[A-ZÀ-Ý][\w’'.-]*"
_NAME_RUN = re.compile(rf"{_CAP}(?:[ -](?:de |du |des |d['’])?{_CAP})*")
_LIST_JOIN = re.compile(r"^(?:, | et | and |, et |, and )$")
_PLACE_PHRASE = re.compile(rf"\b(?:à|au|aux|en|in|at) ({_CAP}(?: {_CAP})*)")


def _kind(question: str) -> str | None:
    """The kind of fact asked for: 'person', 'date', 'place', 'number', or None (then the
    sentence is the answer: "which initiative…" has no pattern that finds it reliably)."""
    return next((kind for asks, kind, _ in _ASKS if asks.search(question)), None)


_ARTICLE_BEFORE = re.compile(r"(?:\b(?:le|la|les|du|des|the)|[ld]['’])\s*$", re.IGNORECASE)


def question_stems(question: str) -> set[str]:
    """The question's word stems and their French/English aliases ("china" → "chine")."""
    found = words(question)
    return {stem(w) for w in found} | {alias for w in found for alias in ALIASES.get(w, ())}


def _names(sentence: str, question: str, person: bool) -> list[tuple[int, int]]:
    """Runs of capitalised words not already in the question (in either language),
    lists joined; a person's name has two words at least, and runs after an article
    ('le Washington Post') come last."""
    asked = question_stems(question)
    runs = []
    for m in _NAME_RUN.finditer(sentence):
        words_in_run = words(m.group(0))
        if m.start() == 0 and len(words_in_run) == 1:
            continue  # a sentence opener, not a name
        if m.group(0).isupper() and len(m.group(0)) > 2:
            continue  # a dateline (BEIJING), not a name
        if person and len([w for w in words_in_run if w not in STOPWORDS]) < 2:
            continue
        if all(stem(w) in asked or w in STOPWORDS for w in words_in_run):
            continue
        runs.append((m.start(), m.end()))
    if person:  # a full name first; organisations ("le Washington Post", "(Reuters)") last
        runs.sort(
            key=lambda r: (
                bool(_ARTICLE_BEFORE.search(sentence[: r[0]])) or sentence[: r[0]].endswith("("),
                " " not in sentence[r[0] : r[1]],
            )
        )
    if not runs:
        return []
    start, end = runs[0]
    for s, e in runs[1:]:  # "OpenAI, Anthropic et Cohere" is one answer
        if not _LIST_JOIN.match(sentence[end:s]):
            break
        end = e
    return [(start, end)]


def answer_phrase(question: str, sentence: str) -> tuple[int, int] | None:
    """(start, end) of the words of `sentence` that answer `question`, or None."""
    kind = _kind(question)
    if kind == "date":
        found = [(m.start(), m.end()) for m in _DATE_PHRASE.finditer(sentence)]
    elif kind == "number":  # a figure first; a count in words when there is none
        found = [
            (m.start(), m.end())
            for m in _NUMBER_PHRASE.finditer(sentence)
            if not re.fullmatch(r"(?:19|20)\d{2}", m.group(0).strip())
        ] or [(m.start(), m.end()) for m in _COUNT_PHRASE.finditer(sentence)]
    elif kind == "place":
        found = [(m.start(1), m.end(1)) for m in _PLACE_PHRASE.finditer(sentence)]
        asked = fold(question)
        found = [(s, e) for s, e in found if fold(sentence[s:e]) not in asked]
    elif kind == "person":
        found = _names(sentence, question, person=True)
    else:
        return None
    if not found:
        return None
    start, end = found[0]
    while end > start and sentence[end - 1] in " ,.;:":
        end -= 1
    return start, end


_ENGLISH_WORDS = {
    **dict(
        zip(
            _MONTHS.split("|")[:12],
            [m.capitalize() for m in _MONTHS.split("|")[12:]],
            strict=True,
        )
    ),
    **dict(
        zip(
            _WEEKDAYS.split("|"),
            ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
            strict=True,
        )
    ),
    "et": "and",
    "environ": "about",
    "pays": "countries",
    "ans": "years",
    "années": "years",
    "mois": "months",
    "jours": "days",
    "semaines": "weeks",
    "entreprises": "companies",
    "personnes": "people",
    "milliards": "billion",
    "millions": "million",
}
_ENGLISH_PHRASES = {"au moins": "at least", "plus de": "more than", "moins de": "less than"}
_DROPPED = {"le", "les", "en"}


def phrase_in_english(question: str, phrase: str) -> str:
    """The answer phrase of a date or quantity question in English ("le 18 octobre" →
    "18 October", "les 1er et 2 novembre" → "1 and 2 November", "environ 100 pays" →
    "about 100 countries", "cinq ans" → "five years"), word for word; as it is when a
    word is not in the table (names, places and other phrases are never translated:
    "Mars" may be a name)."""
    if _kind(question) not in ("date", "number"):
        return phrase
    return _in_english(phrase) or phrase


def _in_english(phrase: str) -> str | None:
    text = phrase.strip()
    for french, english in _ENGLISH_PHRASES.items():
        text = re.sub(rf"\b{french}\b", english.replace(" ", "_"), text, flags=re.IGNORECASE)
    out = []
    for word in text.split():
        lower = word.lower()
        if lower in _DROPPED and not out:
            continue
        if lower == "en" and out and out[-1] == "and":
            continue  # "en juillet et en octobre"
        if re.fullmatch(r"\d+er", lower):
            word = lower[:-2]
        elif lower in _ENGLISH_WORDS:
            word = _ENGLISH_WORDS[lower]
        elif lower in ENGLISH_COUNTS:
            word = ENGLISH_COUNTS[lower]
        elif not re.fullmatch(r"[\d\u202f.,%]+|[a-z]+_[a-z]+", lower):
            return None  # a word this table cannot translate: the phrase stays French
        out.append(word.replace("_", " "))
    return " ".join(out) or None


# ---------------------------------------------------------------- evidence for the model


@dataclass(frozen=True)
class Evidence:
    """A contiguous run of sentences of one article, given to the model as [n]."""

    hit: Hit  # the retrieved passage it grew from
    start: int  # offsets in the document
    end: int
    text: str
    score: float  # the best sentence score inside it


def evidence_passages(
    scored: list[ScoredSentence], doc_texts: dict[str, str], budget_chars: int, max_sentences: int
) -> list[Evidence]:
    """The best sentences, then their neighbours (the one before first: it holds the
    antecedents of 'he', 'the talks'), within `budget_chars`; adjacent sentences of
    one article are merged. Passages come in the order of their best sentence."""
    chosen: dict[tuple[str, int, int], ScoredSentence] = {}
    used = 0
    for s in scored[:max_sentences]:
        if used + len(s.text) > budget_chars and chosen:
            break
        chosen[(s.hit.chunk.doc_id, s.start, s.end)] = s
        used += len(s.text)
    neighbours: dict[tuple[str, int, int], ScoredSentence] = {}
    doc_spans: dict[str, list[tuple[int, int]]] = {}  # each article split once
    for (doc_id, start, end), s in list(chosen.items()):
        if doc_id not in doc_spans:
            doc_spans[doc_id] = split_sentences(doc_texts[doc_id])
        spans = doc_spans[doc_id]
        i = spans.index((start, end)) if (start, end) in spans else -1
        for j in (i - 1, i + 1):
            if i < 0 or not 0 <= j < len(spans):
                continue
            key = (doc_id, *spans[j])
            text = doc_texts[doc_id][spans[j][0] : spans[j][1]]
            if key in chosen or key in neighbours or len(text.split()) < 4:
                continue
            if planted(text):  # a planted instruction never reaches the model
                continue
            if used + len(text) <= budget_chars:
                neighbours[key] = s
                used += len(text)
    return _merge_runs(chosen, neighbours, doc_texts)


def _merge_runs(
    chosen: dict[tuple[str, int, int], ScoredSentence],
    neighbours: dict[tuple[str, int, int], ScoredSentence],
    doc_texts: dict[str, str],
) -> list[Evidence]:
    spans = sorted({**neighbours, **chosen}.items())
    runs: list[Evidence] = []
    for (doc_id, start, end), s in spans:
        score = s.rank_score if (doc_id, start, end) in chosen else float("-inf")
        last = runs[-1] if runs else None
        text = doc_texts[doc_id]
        if last and last.hit.chunk.doc_id == doc_id and not text[last.end : start].strip():
            runs[-1] = Evidence(
                last.hit, last.start, end, text[last.start : end], max(last.score, score)
            )
        else:
            runs.append(Evidence(s.hit, start, end, text[start:end], score))
    return sorted(runs, key=lambda e: -e.score)


PHRASE_TIE_MARGIN = 0.03  # sentences this close to the best compete on their phrase
_WINDOW = 60  # characters each side of a phrase where the question's words count


def best_answer(
    question: str, scored: list[ScoredSentence]
) -> tuple[ScoredSentence, tuple[int, int] | None]:
    """The sentence and phrase for the instant answer. Among sentences that score
    within `PHRASE_TIE_MARGIN` of the best, the one whose answer phrase stands
    closest to the question's words wins ("La Chine enverra Wu Zhaohui … à un
    sommet" over "… la Chine … après la visite … de James Cleverly")."""
    q_terms = question_stems(question) - {stem(w) for w in STOPWORDS}
    best, best_span, best_key = scored[0], None, (-1, 0.0)
    for s in scored:
        if s.rank_score < scored[0].rank_score - PHRASE_TIE_MARGIN:
            break
        span = answer_phrase(question, s.text)
        if span is None:
            key = (0, s.rank_score)
        else:
            window = s.text[max(0, span[0] - _WINDOW) : span[1] + _WINDOW]
            key = (1 + len(q_terms & set(content_terms(window))), s.rank_score)
        if key > best_key:
            best, best_span, best_key = s, span, key
    return best, best_span
