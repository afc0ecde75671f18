"""Run a question set through the assistant and score every answer.

Retrieval is scored once (it does not depend on the mode); each requested mode
(extractive, generative, hybrid) answers every question, so modes can be
compared side by side in one run.
"""

from __future__ import annotations

import re
import statistics
import sys
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tqdm import tqdm

from eval.dataset import EvalQuestion
from eval.metrics import (
    answer_language,
    citation_scores,
    key_facts_present,
    reciprocal_rank,
    refusal_scores,
    summarise_latency,
)
from rag.answer import Assistant
from rag.errors import RagError
from rag.types import Answer, Hit
from rag.verify import check_claim

_QUOTE_MARKS = re.compile(r"^[«“\"]\s*|\s*[»”\"]$")


def _relevant(hit: Hit, q: EvalQuestion, doc_text: str) -> tuple[bool, bool]:
    """(evidence-level, article-level) relevance of one retrieved passage."""
    in_source = hit.chunk.doc_id in q.sources
    if not in_source:
        return False, False
    for span in q.evidence:
        start = doc_text.find(span)
        if start >= 0 and hit.chunk.start < start + len(span) and hit.chunk.end > start:
            return True, True
    return not q.evidence, True


def score_retrieval(
    assistant: Assistant, questions: Sequence[EvalQuestion], k: int, hybrid: bool
) -> dict[str, Any]:
    store = assistant.store
    rows = []
    for q in questions:
        if not q.sources:
            continue
        hits = assistant.retriever().search(
            q.question, k, hybrid=hybrid, per_doc=assistant.settings.max_chunks_per_doc
        )
        flags = [_relevant(h, q, store.documents[h.chunk.doc_id].text) for h in hits]
        covered = {h.chunk.doc_id for h in hits}
        rows.append(
            {
                "id": q.id,
                "evidence_hit": any(e for e, _ in flags),
                "article_hit": any(a for _, a in flags),
                "all_sources_hit": all(s in covered for s in q.sources),
                "rr": reciprocal_rank([e for e, _ in flags]),
            }
        )
    n = max(len(rows), 1)
    return {
        "k": k,
        "questions": len(rows),
        f"evidence_recall@{k}": sum(r["evidence_hit"] for r in rows) / n,
        f"article_recall@{k}": sum(r["article_hit"] for r in rows) / n,
        f"all_sources_recall@{k}": sum(r["all_sources_hit"] for r in rows) / n,
        "mrr": sum(r["rr"] for r in rows) / n,
        "items": rows,
    }


def score_answer(assistant: Assistant, q: EvalQuestion, answer: Answer) -> dict[str, Any]:
    embedder = assistant.retriever().embedder
    threshold = assistant.settings.support_threshold
    chunks = {c.id: c.text for c in assistant.store.chunks}

    def supports(claim: str, passages: list[str]) -> bool:
        return check_claim(claim, passages, embedder, threshold)[0].supported

    by_n = {c.n: c for c in answer.citations}
    pairs = [
        (_QUOTE_MARKS.sub("", s.text), [chunks[by_n[n].chunk_id] for n in s.citations if n in by_n])
        for s in answer.sentences
    ]
    c_recall, c_precision = (None, None) if answer.refused else citation_scores(pairs, supports)
    return {
        "id": q.id,
        "type": q.type,
        "lang": q.lang,
        "question": q.question,
        "answerable": q.answerable,
        "reference": q.answer,
        "refused": answer.refused,
        "mode_used": answer.mode,
        "text": answer.text,
        "sentences": [
            {
                "text": s.text,
                "citations": list(s.citations),
                "supported": s.supported,
                "reason": s.reason,
            }
            for s in answer.sentences
        ],
        "citations": [
            {"n": c.n, "doc_id": c.doc_id, "start": c.start, "end": c.end, "quote": c.quote}
            for c in answer.citations
        ],
        "key_facts": key_facts_present(answer.text, q.must_include)
        if q.answerable and not answer.refused
        else (False if q.answerable else None),
        "citation_recall": c_recall,
        "citation_precision": c_precision,
        "language_ok": answer_language(answer.text) == q.lang,
        "timings": answer.timings.__dict__,
        "notes": list(answer.notes),
    }


def summarise(items: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [i for i in items if i["answerable"]]
    cited = [i for i in items if i["citation_recall"] is not None]
    summary: dict[str, Any] = {
        "questions": len(items),
        "key_fact_accuracy": _mean(i["key_facts"] for i in answerable),
        "answered_rate": _mean(not i["refused"] for i in answerable),
        "citation_recall": _mean(i["citation_recall"] for i in cited),
        "citation_precision": _mean(i["citation_precision"] for i in cited),
        "language_match": _mean(i["language_ok"] for i in items),
        **refusal_scores([not i["answerable"] for i in items], [i["refused"] for i in items]),
    }
    for field, name in (
        ("retrieval_ms", "retrieval_ms"),
        ("first_token_s", "first_token_s"),
        ("total_s", "total_s"),
        ("tokens_per_s", "tokens_per_s"),
    ):
        stats = summarise_latency([i["timings"].get(field) for i in items])
        summary[f"{name}_p50"] = stats["p50"]
        summary[f"{name}_p95"] = stats["p95"]
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in items:
        by_type[i["type"]].append(i)
    summary["by_type"] = {
        t: {
            "n": len(group),
            "score": _mean(
                (i["refused"] if not i["answerable"] else i["key_facts"]) for i in group
            ),
        }
        for t, group in sorted(by_type.items())
    }
    return summary


def _mean(values: Any) -> float:
    present = [float(v) for v in values if v is not None]
    return statistics.fmean(present) if present else 0.0


def run(
    assistant: Assistant,
    questions: Sequence[EvalQuestion],
    modes: Sequence[str],
    retrieval_only: bool = False,
) -> dict[str, Any]:
    settings = assistant.settings
    results: dict[str, Any] = {
        "settings": {
            "k": settings.k,
            "embedding_model": settings.embedding_model,
            "generator_model": settings.generator_model,
            "hybrid_search": settings.hybrid_search,
        },
        "retrieval": score_retrieval(assistant, questions, settings.k, settings.hybrid_search),
        "modes": {},
    }
    if retrieval_only:
        return results
    bar = tqdm(total=len(questions) * len(modes), desc="answering", unit="q", file=sys.stderr)
    for mode in modes:
        mode_settings = settings.replace(mode=mode)
        items = []
        for q in questions:
            try:
                answer = assistant.ask(q.question, mode_settings)
                items.append(score_answer(assistant, q, answer))
            except RagError as exc:  # a question the assistant rejects counts as a refusal
                items.append(
                    {
                        "id": q.id,
                        "type": q.type,
                        "lang": q.lang,
                        "question": q.question,
                        "answerable": q.answerable,
                        "refused": True,
                        "error": str(exc),
                        "key_facts": False if q.answerable else None,
                        "text": "",
                        "citation_recall": None,
                        "citation_precision": None,
                        "language_ok": False,
                        "timings": {},
                        "sentences": [],
                        "citations": [],
                        "notes": [],
                    }
                )
            bar.update(1)
        results["modes"][mode] = {"summary": summarise(items), "items": items}
    bar.close()
    return results
