"""The disagreement suite: pairs of news articles that give one fact differently (who,
how many, when, where), and control pairs that agree. All pairs are indexed together
(each pair has its own story, people and places) and the question of each pair is
asked in each mode.

- both shown: for a disagreeing pair, the answer marks a disagreement, holds both
  versions and cites both articles;
- silent: only one version is in the answer (the other article's fact is lost);
- false alarm: a control pair's answer marks a disagreement.

Usage: `python -m eval.disagree [--modes extractive,hybrid] [--limit N]`.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.answer import Assistant
from rag.config import Settings
from rag.progress import ProgressLine
from rag.store import build_index
from rag.text import fold
from rag.types import Answer

DISAGREE_DIR = Path(__file__).resolve().parent / "disagree"


@dataclass(frozen=True)
class Pair:
    id: str
    files: tuple[str, ...]
    agree: bool
    slot: str
    lang: str
    question: str
    keys: tuple[str, ...]  # each version's key ("a|b": alternatives)


def load_pairs(folder: Path = DISAGREE_DIR) -> list[Pair]:
    pairs = []
    for line in (folder / "pairs.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        pairs.append(
            Pair(
                id=raw["id"],
                files=tuple(raw["files"]),
                agree=bool(raw["agree"]),
                slot=raw["slot"],
                lang=raw["lang"],
                question=raw["question"],
                keys=tuple(v["key"] for v in raw["versions"]),
            )
        )
    return pairs


def _plain(text: str) -> str:
    """Folded, figures without group separators: "1 200" and "1,200" both "1200"."""
    return re.sub(r"(?<=\d)[\s\u202f\u00a0.,](?=\d{3}\b)", "", fold(text))


def holds(answer: Answer, key: str) -> bool:
    text = _plain(answer.text)
    return any(_plain(k) in text for k in key.split("|"))


def score(pair: Pair, answer: Answer) -> dict[str, Any]:
    kept = [holds(answer, k) for k in pair.keys]
    cited = {c.doc_id for c in answer.citations}
    flagged = len(answer.disagreements) >= 2
    return {
        "both_shown": flagged and all(kept) and set(pair.files) <= cited,
        "silent": sum(kept) == 1 and not pair.agree,
        "false_alarm": flagged and pair.agree,
        "refused": answer.refused,
        "key_kept": all(kept),
    }


def run_pairs(settings: Settings, modes: list[str], pairs: list[Pair]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        run_settings = settings.replace(index_dir=Path(tmp) / "index")
        files = [DISAGREE_DIR / f for p in pairs for f in p.files]
        build_index(files, run_settings)
        assistant = Assistant(run_settings)
        progress = ProgressLine("disagreement pairs", len(pairs) * len(modes))
        for mode in modes:
            for pair in pairs:
                answer = assistant.ask(pair.question, run_settings.replace(mode=mode))
                rows.append(
                    {
                        "id": pair.id,
                        "mode": mode,
                        "slot": pair.slot,
                        "agree": pair.agree,
                        "answer": answer.text,
                        **score(pair, answer),
                    }
                )
                progress(len(rows))
    return {"summary": summarise(rows, modes), "rows": rows}


def summarise(rows: list[dict[str, Any]], modes: list[str]) -> dict[str, Any]:
    summary = {}
    for mode in modes:
        differ = [r for r in rows if r["mode"] == mode and not r["agree"]]
        agree = [r for r in rows if r["mode"] == mode and r["agree"]]
        summary[mode] = {
            "pairs": len(differ),
            "both_shown_rate": sum(r["both_shown"] for r in differ) / max(1, len(differ)),
            "silent": sum(r["silent"] for r in differ),
            "refused": sum(r["refused"] for r in differ),
            "controls": len(agree),
            "false_alarms": sum(r["false_alarm"] for r in agree),
            "controls_answered": sum(r["key_kept"] for r in agree),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description="disagreement suite")
    parser.add_argument("--modes", default="extractive,hybrid")
    parser.add_argument("--limit", type=int, help="only the first N pairs")
    parser.add_argument("--out", type=Path, default=Path("eval/out/disagree.json"))
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",")]
    pairs = load_pairs()[: args.limit] if args.limit else load_pairs()
    results = run_pairs(Settings(), modes, pairs)
    print(json.dumps(results["summary"], indent=1))
    for row in results["rows"]:
        if not (row["both_shown"] or (row["agree"] and not row["false_alarm"])):
            print(f"  {row['mode']} {row['id']} {row['slot']}: {row['answer'][:200]!r}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
