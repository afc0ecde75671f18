"""Choose the refusal thresholds on the dev split, by replaying `rag.answer.decide`
on recorded answers (no model run per setting).

Record first with every gate open, so that each question gets the model's answer,
every sentence that passed the rule checks, and all the signals:

    rag eval --split dev --modes hybrid --answer-threshold 0 --sentence-threshold 0 \
        --claim-threshold 0 --out eval/out/tune
    python -m eval.tune eval/out/tune/results.json

For each setting, the claim threshold first removes the sentences it would have
dropped; then a refused question scores no key fact, and an answered one scores
the key facts of the answer `decide` picks (the model's remaining sentences, or
the instant extractive answer). The objective is key-fact accuracy plus refusal
F1 (unanswerable questions), among settings whose refusal precision is at least
--min-refusal-precision; ties broken towards fewer judged sentences, then towards
answering. The number of judged sentences is tried up to the number the record
judged. Only dev rows are read.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

from eval.dataset import DEFAULT_QUESTIONS, load_questions
from eval.metrics import key_facts_present, refusal_scores
from rag.answer import decide
from rag.config import Settings
from rag.slots import asked_slot, fills
from rag.types import Signals

SIGNAL_FIELDS = {f.name for f in dataclasses.fields(Signals)}  # older results hold others


def _kept(item: dict[str, Any], claim_threshold: float) -> list[str]:
    if item.get("mode_used") != "generative":
        return []
    return [
        s["text"]
        for s in item["sentences"]
        if s["supported"] and (s.get("judge") is None or s["judge"] >= claim_threshold)
    ]


def replay(
    items: list[dict[str, Any]], settings: Settings, must: dict[str, tuple[str, ...]]
) -> dict[str, float]:
    """Key-fact accuracy and refusal F1 that `settings` would have given."""
    facts, should_refuse, refused = [], [], []
    for item in items:
        kept = _kept(item, settings.claim_threshold)
        recorded = {k: v for k, v in item["signals"].items() if k in SIGNAL_FIELDS}
        recorded["sentence_yes"] = tuple(recorded.get("sentence_yes") or ())
        if kept and "question" in item:  # the replayed claim threshold decides what remains
            slot = asked_slot(item["question"])
            recorded["model_fills"] = any(fills(slot, t, item["question"]) for t in kept)
        signals = Signals(**{**recorded, "sentences_verified": len(kept)})
        choice = decide(signals, settings)
        should_refuse.append(not item["answerable"])
        refused.append(choice in ("refuse", "missing"))
        if item["answerable"]:
            if choice == "model":
                facts.append(key_facts_present(" ".join(kept), must[item["id"]]))
            elif choice == "extractive":
                facts.append(bool(item["first_key_facts"]))
            else:
                facts.append(False)
    scores = refusal_scores(should_refuse, refused)
    return {"key_fact_accuracy": sum(facts) / max(len(facts), 1), **scores}


def _grid(lo: float, hi: float, step: float) -> list[float]:
    n = round((hi - lo) / step)
    return [round(lo + i * step, 4) for i in range(n + 1)]


def search(
    items: list[dict[str, Any]],
    base: Settings,
    must: dict[str, tuple[str, ...]],
    min_refusal_precision: float = 0.0,
) -> list[tuple[float, dict[str, Any]]]:
    ranked = []
    if base.mode == "extractive":  # one threshold: the evidence score is the only signal
        for t in _grid(0.78, 0.94, 0.01):
            scores = replay(items, base.replace(extractive_threshold=t), must)
            objective = scores["key_fact_accuracy"] + scores["refusal_f1"]
            ranked.append((objective, {"extractive_threshold": t, **scores}))
        ranked.sort(key=lambda r: (-r[0], r[1]["extractive_threshold"]))
        return ranked
    judged_counts = range(1, base.judged_sentences + 1)  # the record judged this many
    for judged, answer_t, sentence_t, claim_t in itertools.product(
        judged_counts, _grid(0.80, 0.92, 0.02), _grid(0.0, 0.8, 0.05), _grid(0, 0.6, 0.05)
    ):
        settings = base.replace(
            judged_sentences=judged,
            answer_threshold=answer_t,
            sentence_threshold=sentence_t,
            claim_threshold=claim_t,
        )
        scores = replay(items, settings, must)
        if scores["refusal_precision"] < min_refusal_precision:
            continue  # too many answerable questions refused
        objective = scores["key_fact_accuracy"] + scores["refusal_f1"]
        chosen = {
            "judged_sentences": judged,
            "answer_threshold": answer_t,
            "sentence_threshold": sentence_t,
            "claim_threshold": claim_t,
            **scores,
        }
        ranked.append((objective, chosen))
    # ties: fewer judges (each costs ~0.7 s before the first token), then the most
    # permissive setting (answering over refusing)
    ranked.sort(
        key=lambda r: (
            -r[0],
            r[1]["judged_sentences"],
            r[1]["sentence_threshold"],
            r[1]["claim_threshold"],
            r[1]["answer_threshold"],
        )
    )
    return ranked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="results.json of an open-gates dev run")
    parser.add_argument("--mode", default="hybrid")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument(
        "--min-refusal-precision",
        type=float,
        default=0.8,
        help="only settings whose refusals are right this often (a wrong refusal costs a "
        "user an answer the articles hold)",
    )
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text("utf-8"))
    items = [i for i in results["modes"][args.mode]["items"] if i["split"] == "dev"]
    items = [i for i in items if i.get("signals")]
    must = {q.id: q.must_include for q in load_questions(args.questions)}
    base = Settings(mode=args.mode)
    print(f"{len(items)} dev answers; current defaults: {replay(items, base, must)}")
    for objective, chosen in search(items, base, must, args.min_refusal_precision)[: args.top]:
        print(f"{objective:.3f} " + ", ".join(f"{k}={v:.3g}" for k, v in chosen.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
