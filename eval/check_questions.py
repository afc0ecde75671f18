"""Check that every evidence string of a question file is an exact substring of its source.

Usage: python -m eval.check_questions [QUESTIONS.jsonl] [CORPUS_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from eval.dataset import DEFAULT_QUESTIONS, check_evidence, load_questions
from rag.config import SAMPLE_CORPUS
from rag.corpus import load_documents


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    questions = load_questions(Path(args[0]) if args else DEFAULT_QUESTIONS)
    corpus = Path(args[1]) if len(args) > 1 else SAMPLE_CORPUS
    texts = {d.id: d.text for d in load_documents([corpus], 50_000_000).documents}
    problems = check_evidence(questions, texts)
    for problem in problems:
        print(problem)
    print(f"{len(questions)} questions, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
