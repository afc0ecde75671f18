"""The extractive answerer: the passage sentences that best answer the question.

It is the grounded default and the fallback of the generative path: every
sentence it returns is an exact span of an article. A sentence scores by its
embedding similarity to the question plus a small bonus for shared content
words; when even the best sentence is below `answer_threshold`, the articles
are taken not to contain the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.chunking import split_sentences
from rag.embed import Embedder
from rag.text import STOPWORDS, content_terms, fold
from rag.types import Hit

LEXICAL_WEIGHT = 0.15  # chosen on eval/questions.jsonl: best top-3 key facts and refusal AUC
SECOND_SENTENCE_MARGIN = 0.015  # how far below the best a further sentence may score
MAX_SENTENCES = 3
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
_ASKS = (
    (re.compile(r"\b(who|whom|qui)\b", re.IGNORECASE), _PERSON),
    (
        re.compile(
            r"\b(when|quand|what day|which day|quel jour|quelle date|what date|"
            r"quelle année|which year|what year)\b",
            re.IGNORECASE,
        ),
        _TIME,
    ),
    (
        re.compile(
            r"\b(where|où|in which city|dans quelle ville|in which country|dans quel pays)\b",
            re.IGNORECASE,
        ),
        _PLACE,
    ),
    (
        re.compile(
            r"\b(how many|how much|combien|what share|quelle part|percent|pourcentage)\b",
            re.IGNORECASE,
        ),
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


def score_sentences(question: str, hits: list[Hit], embedder: Embedder) -> list[ScoredSentence]:
    """Every sentence of the retrieved passages, best first."""
    seen: set[tuple[str, int]] = set()
    candidates: list[tuple[Hit, int, int, str]] = []
    for hit in hits:
        for s, e in split_sentences(hit.chunk.text, offset=hit.chunk.start):
            text = hit.chunk.text[s - hit.chunk.start : e - hit.chunk.start]
            key = (hit.chunk.doc_id, s)
            if key in seen or len(text.split()) < 4:  # headings and fragments answer nothing
                continue
            seen.add(key)
            candidates.append((hit, s, e, text))
    if not candidates:
        return []
    q_vec = embedder.embed([question], "query")[0]
    sims = embedder.embed([c[3] for c in candidates], "passage") @ q_vec
    q_terms = set(content_terms(question))
    wanted = [fact for asks, fact in _ASKS if asks.search(question)]
    scored = []
    for (hit, s, e, text), sim in zip(candidates, sims, strict=True):
        overlap = len(q_terms & set(content_terms(text))) / max(len(q_terms), 1)
        score = float(sim) + LEXICAL_WEIGHT * overlap
        bonus = TYPE_BONUS * any(fact.search(text) for fact in wanted)
        scored.append(ScoredSentence(hit, s, e, text, float(sim), score, score + bonus))
    return sorted(scored, key=lambda x: -x.rank_score)


def select_sentences(scored: list[ScoredSentence], threshold: float) -> list[ScoredSentence]:
    """The best sentence and close runners-up; empty when the best is below `threshold`."""
    if not scored or max(s.score for s in scored) < threshold:
        return []
    best = scored[0]
    chosen = [best]
    for s in scored[1:]:
        if len(chosen) == MAX_SENTENCES or s.rank_score < best.rank_score - SECOND_SENTENCE_MARGIN:
            break
        chosen.append(s)
    return sorted(chosen, key=lambda s: (s.hit.rank, s.start))
