"""Metric functions: each takes plain values and returns a number, so each can be
tested on hand-made cases.

Citation recall and precision follow the ALCE benchmark (Gao et al., 2023), with
the core's offline support check in place of an NLI model (none ships in a pip
package that works here): a sentence is recalled when its cited passages together
support it; a citation is precise when the sentence is recalled and that passage
is needed (it supports the sentence alone, or removing it breaks support).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence

from rag.slots import NAME_RUN
from rag.text import CITATION, detect_language, fold
from rag.types import Answer

SupportFn = Callable[[str, list[str]], bool]


def normalise_for_match(text: str) -> str:
    text = fold(text)
    text = re.sub(r"(?<=\d)[\s\u202f.](?=\d{3}\b)", "", text)  # 1 000 / 1.000 -> 1000
    text = re.sub(r"(\d)\s*%", r"\1%", text)
    text = text.replace("’", "'")
    return re.sub(r"\s+", " ", text)


def key_facts_present(answer_text: str, must_include: Sequence[str]) -> bool:
    """All keys present (case-, accent- and spacing-insensitive); 'a|b' accepts either."""
    haystack = normalise_for_match(answer_text)
    return all(
        any(normalise_for_match(alt).strip() in haystack for alt in key.split("|"))
        for key in must_include
    )


def citation_scores(
    sentences: Sequence[tuple[str, Sequence[str]]], supports: SupportFn
) -> tuple[float, float]:
    """ALCE citation (recall, precision) over (sentence, cited passage texts) pairs."""
    if not sentences:
        return 0.0, 0.0
    recalled = 0
    precise = 0
    total_citations = 0
    for claim, passages in sentences:
        passages = list(passages)
        total_citations += len(passages)
        if not passages or not supports(claim, passages):
            continue
        recalled += 1
        for i, passage in enumerate(passages):
            others = passages[:i] + passages[i + 1 :]
            if len(passages) == 1 or supports(claim, [passage]) or not supports(claim, others):
                precise += 1
    recall = recalled / len(sentences)
    precision = precise / total_citations if total_citations else 0.0
    return recall, precision


def refusal_scores(should_refuse: Sequence[bool], refused: Sequence[bool]) -> dict[str, float]:
    tp = sum(s and r for s, r in zip(should_refuse, refused, strict=True))
    fp = sum((not s) and r for s, r in zip(should_refuse, refused, strict=True))
    fn = sum(s and not r for s, r in zip(should_refuse, refused, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"refusal_precision": precision, "refusal_recall": recall, "refusal_f1": f1}


def reciprocal_rank(relevant: Sequence[bool]) -> float:
    for rank, is_relevant in enumerate(relevant, 1):
        if is_relevant:
            return 1.0 / rank
    return 0.0


def answer_language(text: str) -> str:
    """Language of the answer's own words: quotes, names and [n] markers left out."""
    own = CITATION.sub(" ", re.sub(r"«[^»]*»|“[^”]*”|\"[^\"]*\"", " ", text))
    own = NAME_RUN.sub(" ", own)  # a French name ("Genève") is no French sentence
    return detect_language(own)


def reply_language(answer: Answer) -> str:
    """The reply's language. An extractive answer's own words are its framing line: under
    "quoted in their original language", a French phrase for an English question is the
    source's wording, as announced, not a reply in French."""
    extractive = answer.mode == "extractive" and answer.preamble
    return answer_language(answer.preamble if extractive else answer.text)


def summarise_latency(values: Sequence[float | None]) -> dict[str, float | None]:
    present = sorted(v for v in values if v is not None)
    if not present:
        return {"mean": None, "p50": None, "p95": None}
    p95 = present[min(len(present) - 1, round(0.95 * (len(present) - 1)))]
    return {"mean": statistics.fmean(present), "p50": statistics.median(present), "p95": p95}
