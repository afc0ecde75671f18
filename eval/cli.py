"""`rag eval`: load a question file, run it, print the table, write the report."""

from __future__ import annotations

import argparse
import sys

from eval.dataset import DEFAULT_QUESTIONS, load_questions
from eval.dialogues import load_dialogues, run_dialogues
from eval.hostile import run_probes
from eval.hostile import table as hostile_table
from eval.report import terminal_table, write_report
from eval.runner import run
from rag.answer import Assistant
from rag.config import MODES, Settings
from rag.errors import UsageError


def parse_thresholds(specs: list[str]) -> dict[str, float]:
    thresholds = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        try:
            thresholds[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise UsageError(f"--fail-under takes METRIC=VALUE, got '{spec}'")
    return thresholds


def failures(results: dict, thresholds: dict[str, float]) -> list[str]:
    found = []
    tables = {
        f"{m}/{split}": summary
        for m, r in results["modes"].items()
        for split, summary in r["splits"].items()
    }
    for split, summary in results["retrieval"]["splits"].items():
        tables[f"retrieval/{split}"] = summary
    tables = {name: t for name, t in tables.items() if t.get("questions")}  # empty splits
    for metric, floor in thresholds.items():
        seen = [(m, t[metric]) for m, t in tables.items() if isinstance(t.get(metric), int | float)]
        if not seen:
            raise UsageError(f"unknown metric for --fail-under: {metric}")
        found += [f"{metric} = {v:.3f} < {floor} ({m})" for m, v in seen if v < floor]
    return found


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    questions = load_questions(args.questions or DEFAULT_QUESTIONS)
    if args.split != "all":
        questions = [q for q in questions if q.split == args.split]
    if args.limit:
        questions = questions[: args.limit]
    modes = [m.strip() for m in (args.modes or settings.mode).split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise UsageError(f"unknown mode(s): {', '.join(unknown)}; choose from {', '.join(MODES)}")
    thresholds = parse_thresholds(args.fail_under)
    assistant = Assistant(settings)
    if questions:  # a filter that matches nothing stops here, with what there is
        assistant.check_filter(settings, "en")
    results = run(assistant, questions, modes, retrieval_only=args.retrieval_only)
    if args.hostile:  # each hostile article indexed beside the corpus, per mode
        results["hostile"] = run_probes(settings, modes)
    if args.dialogues:  # follow-up questions, same split and modes
        dialogues = load_dialogues()
        if args.split != "all":
            dialogues = [d for d in dialogues if d.split == args.split]
        results["dialogues"] = run_dialogues(assistant, dialogues, modes)
    print(terminal_table(results))
    if "hostile" in results:
        print("\n" + hostile_table(results["hostile"]["summary"]))
    report = write_report(results, args.out)
    print(f"\nreport: {report}\nresults: {args.out / 'results.json'}")
    problems = failures(results, thresholds)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0
