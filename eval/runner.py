"""Run a question set through the assistant and score every answer.

Retrieval is scored once (it does not depend on the mode); each requested mode
(extractive, generative, hybrid) answers every question, so modes can be
compared side by side in one run. Every figure is given for the dev split
(where thresholds are tuned), the test split (only reported) and both.

Each row keeps what the answer rested on (`signals`), what produced it
(`provenance`), the model's draft before verification, and the key facts of both
the final answer and the instant first one, so that `eval.tune` can replay the
refusal rule offline.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.dataset import SPLITS, EvalQuestion
from eval.metrics import (
    citation_scores,
    key_facts_present,
    reciprocal_rank,
    refusal_scores,
    reply_language,
    summarise_latency,
)
from rag.answer import Assistant
from rag.errors import RagError
from rag.progress import ProgressLine, cpu
from rag.prompts import message
from rag.slots import asked_slot, holds_kind, restates
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
            q.question,
            k,
            hybrid=hybrid,
            per_doc=assistant.settings.max_chunks_per_doc,
            only=assistant.settings.articles,
        )
        flags = [_relevant(h, q, store.documents[h.chunk.doc_id].text) for h in hits]
        covered = {h.chunk.doc_id for h in hits}
        rows.append(
            {
                "id": q.id,
                "split": q.split,
                "evidence_hit": any(e for e, _ in flags),
                "article_hit": any(a for _, a in flags),
                "all_sources_hit": all(s in covered for s in q.sources),
                "rr": reciprocal_rank([e for e, _ in flags]),
            }
        )
    return {"k": k, "splits": _per_split(rows, lambda r: _retrieval_summary(r, k)), "items": rows}


def _retrieval_summary(rows: list[dict[str, Any]], k: int) -> dict[str, Any]:
    n = max(len(rows), 1)
    return {
        "questions": len(rows),
        f"evidence_recall@{k}": sum(r["evidence_hit"] for r in rows) / n,
        f"article_recall@{k}": sum(r["article_hit"] for r in rows) / n,
        f"all_sources_recall@{k}": sum(r["all_sources_hit"] for r in rows) / n,
        "mrr": sum(r["rr"] for r in rows) / n,
    }


def splits_of(rows: list[dict[str, Any]]) -> list[str]:
    """The splits present: dev, test and blind in that order, then any other set (a
    question file without splits is one set, named after the file)."""
    found = {r["split"] for r in rows}
    return [s for s in SPLITS if s in found] + sorted(found - set(SPLITS))


def _per_split(rows: list[dict[str, Any]], summarise_rows: Any) -> dict[str, Any]:
    return {
        **{s: summarise_rows([r for r in rows if r["split"] == s]) for s in splits_of(rows)},
        "all": summarise_rows(rows),
    }


def _key_facts(q: EvalQuestion, answer: Answer | None) -> bool | None:
    if not q.answerable:
        return None
    return (
        answer is not None and not answer.refused and key_facts_present(answer.text, q.must_include)
    )


def score_answer(assistant: Assistant, q: EvalQuestion, answer: Answer) -> dict[str, Any]:
    embedder = assistant.retriever().embedder
    s = assistant.settings
    documents = assistant.store.documents

    by_n = {c.n: c for c in answer.citations}
    # the article of each cited passage: its metadata and full names count, as in the answer
    source_of = {
        documents[c.doc_id].text[c.context_start : c.context_end]: assistant.source(c.doc_id)
        for c in answer.citations
    }

    def supports(claim: str, passages: list[str]) -> bool:
        sources = [source_of[p] for p in passages]
        return check_claim(
            claim,
            passages,
            embedder,
            s.support_threshold,
            s.cross_support_threshold,
            sources,
            q.question,
        )[0].supported

    pairs = [
        (
            _QUOTE_MARKS.sub("", sentence.text),
            [
                documents[c.doc_id].text[c.context_start : c.context_end]
                for c in (by_n[n] for n in sentence.citations if n in by_n)
            ],
        )
        for sentence in answer.sentences
    ]
    from_model = answer.mode == "generative"
    c_recall, c_precision = citation_scores(pairs, supports) if from_model else (None, None)
    key_facts = _key_facts(q, answer)
    return {
        **_answer_checks(q, answer, bool(key_facts), s.prompts_dir),
        **_about(q),
        "reference": q.answer,
        "refused": answer.refused,
        "mode_used": answer.mode,
        "text": answer.text,
        "first_text": answer.first.text if answer.first else None,
        "draft": answer.draft,
        "sentences": [dataclasses.asdict(x) for x in answer.sentences],
        "citations": [
            {"n": c.n, "doc_id": c.doc_id, "start": c.start, "end": c.end, "quote": c.quote}
            for c in answer.citations
        ],
        "key_facts": key_facts,
        "first_key_facts": _key_facts(q, answer.first or answer)
        and (answer.first or answer).mode != "reading",
        "citation_recall": c_recall,
        "citation_precision": c_precision,
        "language_ok": reply_language(answer) == q.lang,
        "timings": dataclasses.asdict(answer.timings),
        "signals": dataclasses.asdict(answer.signals),
        "provenance": dataclasses.asdict(answer.provenance) if answer.provenance else None,
        "notes": list(answer.notes),
    }


def _body(answer: Answer, prompts_dir: Path) -> str:
    """What the answer says: each line of a per-article answer without the source it
    names ("Reuters (undated) says: Geneva" says "Geneva")."""
    by_source = _by_source_line(prompts_dir, answer.language)
    return " ".join(
        m.group(1) if (m := by_source.match(s.text)) else s.text for s in answer.sentences
    )


@functools.lru_cache(maxsize=8)
def _by_source_line(prompts_dir: Path, language: str) -> re.Pattern[str]:
    """The "{source} says: {said}" line of `prompts/messages.json`, `said` captured."""
    template = message(prompts_dir, language, "by_source", source="\0", said="\1")
    head, rest = template.split("\0")
    middle, tail = rest.split("\1")
    return re.compile(f"{re.escape(head)}.+?{re.escape(middle)}(.*){re.escape(tail)}$", re.S)


def _answer_checks(
    q: EvalQuestion, answer: Answer, key_facts: bool, prompts_dir: Path
) -> dict[str, Any]:
    """Whether what was shown as an answer answers (rag.slots): the asked slot filled,
    no restated question, no instant answer taken back by a refusal."""
    slot = asked_slot(q.question)
    shown = [a for a in (answer.first, answer) if a and a.mode in ("extractive", "generative")]
    first_shown = answer.first is not None and answer.first.mode == "extractive"
    return {
        "slot": slot.kind,
        "first_mode": answer.first.mode if answer.first else None,
        "wrong_type": any(not holds_kind(slot, _body(a, prompts_dir), q.question) for a in shown),
        "restated": answer.mode == "generative"
        and restates(_body(answer, prompts_dir), q.question),
        "instant_then_refused": first_shown and answer.refused,
        "corrected": q.type == "false-premise" and key_facts and bool(answer.citations),
    }


def _about(q: EvalQuestion) -> dict[str, Any]:
    return {
        "id": q.id,
        "split": q.split,
        "type": q.type,
        "lang": q.lang,
        "question": q.question,
        "answerable": q.answerable,
    }


def _rejected(q: EvalQuestion, error: str) -> dict[str, Any]:
    """A question the assistant rejects counts as a refusal."""
    return {
        **_about(q),
        "refused": True,
        "error": error,
        "key_facts": False if q.answerable else None,
        "first_key_facts": False if q.answerable else None,
        "text": "",
        "draft": "",
        "citation_recall": None,
        "citation_precision": None,
        "language_ok": False,
        "timings": {},
        "signals": {},
        "wrong_type": False,
        "restated": False,
        "instant_then_refused": False,
        "corrected": False,
        "sentences": [],
        "citations": [],
        "notes": [],
    }


def summarise(items: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [i for i in items if i["answerable"]]
    cited = [i for i in items if i["citation_recall"] is not None]
    english = [i for i in items if i["lang"] == "en"]
    summary: dict[str, Any] = {
        "questions": len(items),
        "key_fact_accuracy": _mean(i["key_facts"] for i in answerable),
        "first_answer_key_facts": _mean(i["first_key_facts"] for i in answerable),
        "answered_rate": _mean(not i["refused"] for i in answerable),
        "model_answer_rate": _mean(i.get("mode_used") == "generative" for i in items),
        "citation_recall": _mean(i["citation_recall"] for i in cited) if cited else None,
        "citation_precision": _mean(i["citation_precision"] for i in cited) if cited else None,
        "language_match": _mean(i["language_ok"] for i in items),
        "english_language_match": _mean(i["language_ok"] for i in english),
        **refusal_scores([not i["answerable"] for i in items], [i["refused"] for i in items]),
        "answerable_refused": sum(i["refused"] for i in answerable),
        "wrong_type_shown_answerable": sum(i["wrong_type"] for i in answerable),
        "wrong_type_shown_unanswerable": sum(i["wrong_type"] for i in items if not i["answerable"]),
        "restated_answers": sum(i["restated"] for i in items),
        "instant_then_refused": sum(i["instant_then_refused"] for i in items),
        "false_premises_corrected": _mean(
            i["corrected"] for i in items if i["type"] == "false-premise"
        ),
    }
    for name in (
        "retrieval_ms",
        "first_answer_s",
        "first_token_s",
        "total_s",
        "tokens_per_s",
        "prompt_tokens",
        "prompt_tokens_read",
    ):
        # 0 prompt tokens means the model was not asked (refusal, extractive): not measured
        stats = summarise_latency([i["timings"].get(name) or None for i in items])
        summary[f"{name}_p50"] = stats["p50"]
        summary[f"{name}_p95"] = stats["p95"]
    # tokens the model read for a question, against those of its question, extracts and
    # task (which it must read once): how often the same words were read again
    ratios = [
        i["timings"]["prompt_tokens_read"] / i["timings"]["reading_tokens"]
        for i in items
        if i["timings"].get("reading_tokens")
    ]
    summary["prompt_read_ratio_p50"] = summarise_latency(ratios)["p50"]
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
            "cpu": cpu(),  # times depend on it: AVX-512 reads prompts about 1.7x faster
        },
        "retrieval": score_retrieval(assistant, questions, settings.k, settings.hybrid_search),
        "modes": {},
    }
    if retrieval_only:
        return results
    progress = ProgressLine("answering", len(questions) * len(modes))
    for mode in modes:
        mode_settings = settings.replace(mode=mode)
        items = []
        for q in questions:
            try:
                answer = assistant.ask(q.question, mode_settings)
                items.append(score_answer(assistant, q, answer))
            except RagError as exc:
                items.append(_rejected(q, str(exc)))
            progress.step()
        results["modes"][mode] = {"splits": _per_split(items, summarise), "items": items}
    return results
