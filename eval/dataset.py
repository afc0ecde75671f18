"""Evaluation questions in JSONL, one object a line.

Fields: id, split ("dev": thresholds and weights are tuned on these; "dev2",
"dev3", "dev4": the same use, each written by another hand from the articles alone,
so that a rule is not tuned to one writer's phrasing; "test": only reported;
"blind", "blind2", "blind3": written by another hand before the system ever ran on
them, never used for a choice (blind2 once blind had been read for two rules; blind3
once blind2 had been run twice); a file without
splits, such as a user's own questions, is one set named after the file), lang
("fr"/"en"), question, answerable (bool; a false-premise question is answerable: its
answer corrects the premise), answer, must_include
(key strings; one key may list alternatives as "a|b"), sources (article file
names), evidence (exact substrings of those articles), type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag.errors import RagError

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"
QUESTION_TYPES = {
    "single-fact",
    "multi-article",
    "numeric",
    "who",
    "when",
    "where",
    "why/summary",
    "unanswerable",
    "false-premise",
    "cross-lingual",
}
_REQUIRED = ("id", "lang", "question", "answerable")
SPLITS = ("dev", "dev2", "dev3", "dev4", "test", "blind", "blind2", "blind3")


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    lang: str
    question: str
    answerable: bool
    answer: str = ""
    must_include: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    type: str = "single-fact"
    split: str = "dev"


def load_questions(path: Path) -> list[EvalQuestion]:
    """Parse a question file; a malformed line is an error naming the line. A question
    without a split belongs to the set named after the file ("my-questions")."""
    try:
        lines = path.read_text("utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RagError(f"cannot read question file {path}: {exc}") from exc
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            missing = [k for k in _REQUIRED if k not in raw]
            if missing:
                raise ValueError(f"missing field(s) {', '.join(missing)}")
            questions.append(
                EvalQuestion(
                    id=str(raw["id"]),
                    lang=str(raw["lang"]),
                    question=str(raw["question"]),
                    answerable=bool(raw["answerable"]),
                    answer=str(raw.get("answer", "")),
                    must_include=tuple(raw.get("must_include", [])),
                    sources=tuple(raw.get("sources", [])),
                    evidence=tuple(raw.get("evidence", [])),
                    type=str(raw.get("type", "single-fact")),
                    split=str(raw.get("split") or path.stem),
                )
            )
        except (ValueError, TypeError) as exc:
            raise RagError(f"{path}:{number}: not a valid question ({exc})") from exc
    if not questions:
        raise RagError(f"{path} holds no questions")
    return questions


def check_evidence(questions: list[EvalQuestion], texts: dict[str, str]) -> list[str]:
    """Problems with a question set: evidence not found verbatim in its sources, unknown
    types, a split other than dev, test and blind in a file that has them."""
    problems = []
    split_file = any(q.split in SPLITS for q in questions)
    for q in questions:
        if q.type not in QUESTION_TYPES:
            problems.append(f"{q.id}: unknown type '{q.type}'")
        if split_file and q.split not in SPLITS:
            problems.append(f"{q.id}: unknown split '{q.split}'")
        for source in q.sources:
            if source not in texts:
                problems.append(f"{q.id}: source {source} is not in the corpus")
        for span in q.evidence:
            if not any(span in texts.get(s, "") for s in q.sources):
                problems.append(f"{q.id}: evidence not found verbatim: {span[:60]!r}")
    return problems
