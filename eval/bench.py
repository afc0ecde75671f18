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

from rag.answer import Assistant
from rag.config import SAMPLE_CORPUS, Settings
from rag.generate import LlamaCppGenerator, get_generator
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


def _median_ms(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _generation(assistant: Assistant, settings: Settings) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    generator = get_generator(settings.generator_model)
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
                    # the judge reads the prompt first; the answer then reuses it
                    "judge_s": t.judge_s,
                    "first_token_s": t.first_token_s,
                    "tokens_per_s": t.tokens_per_s,
                    "total_s": t.total_s,
                }
            )
    figures["generation_by_evidence"] = rows
    warm = [assistant.ask(q, settings.replace(mode="hybrid")).timings for q in QUESTIONS]
    figures["first_answer_s_median_warm"] = statistics.median(
        t.first_answer_s for t in warm if t.first_answer_s is not None
    )
    ttft = [t.first_token_s for t in warm if t.first_token_s is not None]
    figures["first_token_s_median_warm"] = statistics.median(ttft) if ttft else None
    rates = [t.tokens_per_s for t in warm if t.tokens_per_s]
    figures["decode_tokens_per_s_median"] = statistics.median(rates) if rates else None
    figures["peak_rss_mb_with_generator"] = peak_mb()
    return figures


def run(out: Path, generation: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {}
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

        assistant = Assistant(settings)
        retriever = assistant.retriever()
        figures["retrieval_ms_median"] = statistics.median(
            _median_ms(lambda q=q: retriever.search(q, 5), 5) for q in QUESTIONS
        )
        figures["dense_only_ms_median"] = statistics.median(
            _median_ms(lambda q=q: retriever.search(q, 5, hybrid=False), 5) for q in QUESTIONS
        )
        figures["extractive_answer_ms_median"] = statistics.median(
            _median_ms(lambda q=q: assistant.ask(q), 3) for q in QUESTIONS
        )
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
