"""Benchmark: index build, retrieval, the instant extractive answer, and the model's
answer (load time, time to first token against prompt tokens, cold and with the
fixed instructions cached, decode tokens/s), with peak memory. Figures are
printed and written to JSON; nothing is asserted, since these machines are
noisy. Compare ratios within one run.

Usage: python -m eval.bench [--out eval/out/bench.json] [--no-generation]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.dataset import DEFAULT_QUESTIONS, load_questions
from rag.answer import Assistant
from rag.config import SAMPLE_CORPUS, Settings
from rag.embed import MemoEmbedder
from rag.generate import LlamaCppGenerator
from rag.progress import cpu
from rag.retrieve import Retriever
from rag.store import build_index

QUESTIONS = [
    "Qui représente la Chine au sommet sur l'IA au Royaume-Uni ?",
    "Where did the US and China hold their AI talks?",
    "Combien de grands modèles linguistiques la Chine compte-t-elle ?",
    "Which US companies took part in the confidential talks in Geneva?",
    "Who won the 2022 World Cup?",
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _forget_vectors(retriever: Retriever) -> None:
    """An empty vector memo: every question is timed as a question never seen."""
    if isinstance(retriever.embedder, MemoEmbedder):
        retriever.embedder = MemoEmbedder(retriever.embedder.inner)


def _median_cold_ms(retriever: Retriever, fn: Any, questions: list[str]) -> float:
    times = []
    for question in questions:
        _forget_vectors(retriever)
        started = time.perf_counter()
        fn(question)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _extractive_ms(assistant: Assistant, questions: list[str], stored: bool) -> float:
    """Median ms of the extractive answer with the sentence vectors stored at index time,
    or (`stored=False`, as before they were stored) embedding every sentence of the
    retrieved passages at question time."""
    store = assistant.store
    if not stored:
        store.sentence_vector = lambda doc_id, start: None  # type: ignore[method-assign]
    try:
        return _median_cold_ms(assistant.retriever(), assistant.ask, questions)
    finally:
        vars(store).pop("sentence_vector", None)


def _generation(assistant: Assistant, settings: Settings) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    generator = assistant.generator(settings)
    figures["generator"] = generator.name
    figures["generator_load_s"] = time.perf_counter() - started
    rows = []
    for budget in (450, 900, 1800):
        run_settings = settings.replace(mode="hybrid", evidence_chars=budget)
        for cache in ("cold", "instructions cached"):
            if isinstance(generator, LlamaCppGenerator):
                generator.clear_cache()
            if cache != "cold":  # another French question first: only the prefix is shared
                assistant.ask(QUESTIONS[0], run_settings)
            answer = assistant.ask(QUESTIONS[2], run_settings)
            t = answer.timings
            rows.append(
                {
                    "evidence_chars": budget,
                    "cache": cache,
                    "prompt_tokens": t.prompt_tokens,
                    # the model reads the best sentences alone before it writes
                    "judge_s": t.judge_s,
                    "first_token_s": t.first_token_s,
                    "tokens_per_s": t.tokens_per_s,
                    "total_s": t.total_s,
                }
            )
    figures["generation_by_evidence"] = rows
    warm = [assistant.ask(q, settings.replace(mode="hybrid")).timings for q in QUESTIONS]
    shown = [t.first_answer_s for t in warm if t.first_answer_s is not None]
    figures["first_answer_s_median_warm"] = statistics.median(shown) if shown else None
    ttft = [t.first_token_s for t in warm if t.first_token_s is not None]
    figures["first_token_s_median_warm"] = statistics.median(ttft) if ttft else None
    rates = [t.tokens_per_s for t in warm if t.tokens_per_s]
    figures["decode_tokens_per_s_median"] = statistics.median(rates) if rates else None
    if isinstance(generator, LlamaCppGenerator) and rates:
        alone = _llama_cpp_alone(generator)
        figures["decode_tokens_per_s_llama_cpp_alone"] = alone
        figures["decode_share_of_llama_cpp_alone"] = figures["decode_tokens_per_s_median"] / alone
    figures["peak_rss_mb_with_generator"] = peak_mb()
    return figures


ALONE_TOKENS = 64
ALONE_PROMPT_TOKENS = 650  # about an answer's prompt: decode slows as the context grows


def _llama_cpp_alone(generator: LlamaCppGenerator) -> float:
    """Tokens/s of llama.cpp's own greedy loop, nothing of ours around it, after a prompt
    as long as an answer's: the ceiling an answer's decode is compared with, in the
    same run."""
    llm = generator.llm
    generator.clear_cache()
    article = next(iter(sorted(SAMPLE_CORPUS.glob("*.txt")))).read_text("utf-8")
    prompt = llm.tokenize(article.encode(), add_bos=False)[:ALONE_PROMPT_TOKENS]
    produced, started = 0, 0.0
    for produced, _ in enumerate(llm.generate(prompt, temp=0.0, top_k=1), 1):
        if produced == 1:  # the prompt is read by then
            started = time.perf_counter()
        if produced > ALONE_TOKENS:
            break
    seconds = time.perf_counter() - started
    generator.clear_cache()
    return (produced - 1) / seconds


def run(out: Path, generation: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {"cpu": cpu()}  # every time below depends on it
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index", mode="extractive")
        started = time.perf_counter()
        store, _ = build_index([SAMPLE_CORPUS], settings)
        figures["index_build_s"] = time.perf_counter() - started
        figures["chunks"] = len(store.chunks)
        started = time.perf_counter()
        _, again = build_index([SAMPLE_CORPUS], settings)
        figures["reindex_unchanged_s"] = time.perf_counter() - started
        figures["reindex_unchanged_embedded"] = again.chunks_embedded

        figures["index_sentences"] = len(store.sentence_spans)
        assistant = Assistant(settings)
        retriever = assistant.retriever()
        questions = [q.question for q in load_questions(DEFAULT_QUESTIONS)[:40]]
        figures["retrieval_ms_median"] = _median_cold_ms(
            retriever, lambda q: retriever.search(q, 5), questions
        )
        figures["dense_only_ms_median"] = _median_cold_ms(
            retriever, lambda q: retriever.search(q, 5, hybrid=False), questions
        )
        for stored in (False, True, False, True):  # alternated: the machine is noisy
            key = "stored_sentence_vectors" if stored else "sentences_embedded_per_question"
            ms = _extractive_ms(assistant, questions, stored)
            name = f"extractive_answer_ms_median_{key}"
            figures[name] = min(ms, figures.get(name, ms))
        figures["peak_rss_mb_without_generator"] = peak_mb()
        if generation:
            figures.update(_generation(assistant, settings))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=1), "utf-8")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("eval/out/bench.json"))
    parser.add_argument("--no-generation", action="store_true")
    args = parser.parse_args()
    figures = run(args.out, generation=not args.no_generation)
    for key, value in figures.items():
        if isinstance(value, list):
            for row in value:
                print(f"{key}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in row.items()))
        else:
            print(f"{key}: {_fmt(value)}")
    print(f"written to {args.out}")


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
