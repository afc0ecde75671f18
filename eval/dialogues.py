"""Dialogue evaluation: conversations of 2–3 turns whose last turn is a follow-up
("Et les États-Unis ?", "When was he appointed?"), each with the same last question
written to stand alone (eval/dialogues.jsonl, dev/dev2/test/blind splits like the
questions; dev2 by another hand, as the questions' dev2–dev4).

Per dialogue and mode: the earlier turns are asked in order in the same mode, their
answers becoming the conversation, as a user would have them; then the last turn with
that history, and the standalone question alone. Scored:

- follow-up key facts against standalone key facts on the same questions (the gap
  shows what the conversation costs);
- rewrite accuracy: the question as understood retrieves the gold evidence in the
  top 5;
- unanswerable follow-ups refused;
- the rewrite's time.

Usage: `python -m eval.dialogues [--split dev] [--modes hybrid] [--limit N]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.dataset import EvalQuestion
from eval.runner import _key_facts, _relevant
from rag.answer import Assistant
from rag.config import Settings
from rag.conversation import Turn, turn_of
from rag.errors import RagError
from rag.progress import ProgressLine, cpu

DEFAULT_DIALOGUES = Path(__file__).resolve().parent / "dialogues.jsonl"
REWRITE_TOP = 5


@dataclass(frozen=True)
class Dialogue:
    id: str
    split: str
    turns: tuple[str, ...]
    standalone: EvalQuestion  # the last turn, written to stand alone, with its keys


def load_dialogues(path: Path = DEFAULT_DIALOGUES) -> list[Dialogue]:
    found = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            question = EvalQuestion(
                id=raw["id"],
                lang=raw["lang"],
                question=raw["standalone"],
                answerable=bool(raw["answerable"]),
                answer=raw.get("answer", ""),
                must_include=tuple(raw.get("must_include", [])),
                sources=tuple(raw.get("sources", [])),
                evidence=tuple(raw.get("evidence", [])),
                type=raw.get("type", "single-fact"),
                split=raw.get("split") or path.stem,
            )
            found.append(Dialogue(raw["id"], question.split, tuple(raw["turns"]), question))
        except (KeyError, ValueError, TypeError) as exc:
            raise RagError(f"{path}:{number}: not a valid dialogue ({exc})") from exc
    return found


def _retrieves_evidence(assistant: Assistant, q: EvalQuestion, question: str) -> bool | None:
    if not q.evidence:
        return None
    hits = assistant.retriever().search(question, REWRITE_TOP)
    docs = assistant.store.documents
    return any(_relevant(h, q, docs[h.chunk.doc_id].text)[0] for h in hits)


def score_dialogue(
    assistant: Assistant, d: Dialogue, mode: str, history_mode: str | None = None
) -> dict[str, Any]:
    s = assistant.settings
    turns: list[Turn] = []
    for asked in d.turns[:-1]:
        earlier = s.replace(mode=history_mode or mode)
        turns.append(turn_of(assistant.ask(asked, earlier, turns)))
    follow = assistant.ask(d.turns[-1], s.replace(mode=mode), turns)
    alone = assistant.ask(d.standalone.question, s.replace(mode=mode))
    understood = follow.understood_as or follow.question
    q = d.standalone
    return {
        "id": d.id,
        "split": d.split,
        "mode": mode,
        "lang": q.lang,
        "answerable": q.answerable,
        "turns": list(d.turns),
        "understood_as": follow.understood_as,
        "rewritten_by": follow.provenance.rewritten_by if follow.provenance else "",
        "answer": follow.text,
        "standalone_answer": alone.text,
        "follow_up_key_facts": _key_facts(q, follow),
        "standalone_key_facts": _key_facts(q, alone),
        "rewrite_retrieves": _retrieves_evidence(assistant, q, understood),
        "refused": follow.refused,
        "rewrite_s": follow.timings.rewrite_s,
    }


def _rate(values: Sequence[bool | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    unanswerable = [r["refused"] for r in rows if not r["answerable"]]
    follow = _rate([r["follow_up_key_facts"] for r in rows])
    alone = _rate([r["standalone_key_facts"] for r in rows])
    times = [r["rewrite_s"] for r in rows if r["rewrite_s"]]
    return {
        "dialogues": len(rows),
        "follow_up_key_facts": follow,
        "standalone_key_facts": alone,
        "gap": None if follow is None or alone is None else alone - follow,
        "rewrite_accuracy": _rate([r["rewrite_retrieves"] for r in rows]),
        "unanswerable_refused": f"{sum(unanswerable)}/{len(unanswerable)}",
        "rewritten": sum(bool(r["understood_as"]) for r in rows),
        "rewrite_s_p50": statistics.median(times) if times else None,
    }


def run_dialogues(
    assistant: Assistant,
    dialogues: Sequence[Dialogue],
    modes: Sequence[str],
    history_mode: str | None = None,
) -> dict[str, Any]:
    rows = []
    progress = ProgressLine("dialogues", len(dialogues) * len(modes))
    for mode in modes:
        for d in dialogues:
            rows.append(score_dialogue(assistant, d, mode, history_mode))
            progress.step()
    splits = sorted({r["split"] for r in rows})
    summary = {
        mode: {
            split: summarise([r for r in rows if r["mode"] == mode and r["split"] == split])
            for split in splits
        }
        for mode in modes
    }
    history = history_mode or "the same"
    return {"cpu": cpu(), "history_mode": history, "summary": summary, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description="dialogue (follow-up question) evaluation")
    parser.add_argument("--dialogues", type=Path, default=DEFAULT_DIALOGUES)
    parser.add_argument("--split", default="all", help="dev, dev2, test, blind or all")
    parser.add_argument("--modes", default="extractive,hybrid")
    parser.add_argument(
        "--history-mode", help="mode of the earlier turns (default: the mode being scored)"
    )
    parser.add_argument("--limit", type=int, help="only the first N dialogues")
    parser.add_argument("--out", type=Path, default=Path("eval/out/dialogues.json"))
    args = parser.parse_args()
    dialogues = load_dialogues(args.dialogues)
    if args.split != "all":
        dialogues = [d for d in dialogues if d.split == args.split]
    dialogues = dialogues[: args.limit] if args.limit else dialogues
    modes = [m.strip() for m in args.modes.split(",")]
    results = run_dialogues(Assistant(Settings()), dialogues, modes, args.history_mode)
    print(json.dumps(results["summary"], indent=1))
    for row in results["rows"]:
        missed = row["follow_up_key_facts"] is False or (
            not row["answerable"] and not row["refused"]
        )
        if missed:
            print(
                f"  {row['mode']} {row['id']} as {row['understood_as']!r}: {row['answer'][:150]!r}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
