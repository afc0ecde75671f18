"""Benchmark: index build, retrieval, extractive answers, and generation (time to
first token by prompt size, tokens/s), with peak memory. Figures are printed and
written to JSON; nothing is asserted, since these machines are noisy. Compare
ratios within one run.

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

from rag.answer import Assistant
from rag.config import SAMPLE_CORPUS, Settings
from rag.generate import get_generator
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


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(out: Path, generation: bool) -> dict:
    figures: dict = {}
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
            started = time.perf_counter()
            generator = get_generator(settings.generator_model)
            figures["generator_load_s"] = time.perf_counter() - started
            rows = []
            for budget in (600, 1200, 2400, 4800):
                run_settings = settings.replace(mode="hybrid", max_context_chars=budget)
                answer = assistant.ask(QUESTIONS[1], run_settings)
                rows.append(
                    {
                        "max_context_chars": budget,
                        "prompt_tokens": answer.timings.prompt_tokens,
                        "first_token_s": answer.timings.first_token_s,
                        "tokens_per_s": answer.timings.tokens_per_s,
                        "total_s": answer.timings.total_s,
                    }
                )
            figures["generation_by_context"] = rows
            base = rows[0]
            for row in rows:
                if base["first_token_s"] and row["first_token_s"]:
                    ratio = row["first_token_s"] / base["first_token_s"]
                    row["first_token_ratio_vs_smallest"] = ratio
            figures["generator"] = generator.name
            figures["peak_rss_mb_with_generator"] = peak_mb()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=1), "utf-8")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
