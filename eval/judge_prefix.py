"""Experiment: can the sentence judges share the answer's prompt prefix?

Issue 21 asks the model to read the question and its evidence once per question: the
judges and the answer would share one prefix (instructions, extracts, question) and
differ only in a short task at the end. This measures what that does to the judge,
on the same sentences, against the judge the product uses (the sentence read alone):

- alone: the product's `judge_sentence` (judge system prompt, question, sentence);
- shared: the answer's system prompt and extracts, the question, then the sentence and
  the yes/no task (prompts/experiments/judge_shared_*.txt);
- pointer: the same prefix, then one task for all: "which extract gives the answer?",
  read as a distribution over the extract numbers, 0 for none (judge_pointer_*.txt).

A sentence is labelled as answering when it holds a key fact of an answerable question.
Reported: the area under the ROC curve of each judge (sentences; and questions:
answerable or not, from the best sentence, or 1 − P(none) for the pointer), how often
the sentence judged best is one that answers, and the prompt tokens each design reads.

Usage: `python -m eval.judge_prefix [--splits dev4,dev3] [--limit N]`.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eval.dataset import DEFAULT_QUESTIONS, EvalQuestion, load_questions
from eval.metrics import key_facts_present
from rag.answer import Assistant, evidence_order, judge_sentence, retrieve
from rag.config import Settings
from rag.extractive import Evidence, ScoredSentence, evidence_passages
from rag.generate import LlamaCppGenerator
from rag.progress import ProgressLine, cpu
from rag.prompts import answer_messages, render

JUDGED = 3  # candidate sentences judged per question, as many as the product may read
OUT = Path(__file__).resolve().parent / "out" / "judge_prefix.json"


@dataclass
class Judged:
    question_id: str
    answerable: bool
    answers: bool  # the sentence holds a key fact of the question
    alone: float
    shared: float
    pointer: float  # the pointer's probability of the sentence's extract


@dataclass
class Reads:
    alone: int = 0
    shared: int = 0
    pointer: int = 0
    answer_after_shared: int = 0  # the answer's prompt after the shared judges
    answer_fresh: int = 0  # the answer's prompt as the product reads it


def with_task(messages: list[dict], task: str) -> list[dict]:
    return [messages[0], {"role": "user", "content": messages[1]["content"] + task}]


def digit_distribution(g: LlamaCppGenerator, messages: list[dict], n: int) -> list[float]:
    """P(the reply starts with 0, 1, … n), normalised over those digits."""
    logits = g.first_token_logits(messages, [str(i) for i in range(n + 1)])
    top = max(logits)
    weights = [math.exp(v - top) for v in logits]
    return [w / sum(weights) for w in weights]


def extract_of(x: ScoredSentence, evidence: list[Evidence]) -> int:
    """The number [n] of the extract holding sentence `x`, 0 if none does."""
    for n, e in enumerate(evidence, 1):
        if e.hit.chunk.doc_id == x.hit.chunk.doc_id and e.start <= x.start < e.end:
            return n
    return 0


def judge_question(
    assistant: Assistant, g: LlamaCppGenerator, q: EvalQuestion, s: Settings, reads: Reads
) -> tuple[list[Judged], float]:
    """Each design's judgement of the question's best candidate sentences; and the
    pointer's P(no extract answers)."""
    r = retrieve(q.question, assistant.retriever(), s)
    docs = {d: assistant.store.documents[d].text for d in {x.hit.chunk.doc_id for x in r.scored}}
    evidence = evidence_passages(evidence_order(r), docs, s.evidence_chars, s.evidence_sentences)
    evidence = evidence[:9]  # one digit per extract
    prefix = answer_messages(
        s.prompts_dir, r.lang, r.question, [e.text for e in evidence], assistant.canary
    )
    yes, no = ("oui", "non") if r.lang == "fr" else ("yes", "no")
    lang = "fr" if r.lang == "fr" else "en"
    before = g.prompt_tokens_read
    pointer = digit_distribution(
        g,
        with_task(prefix, render(s.prompts_dir, f"experiments/judge_pointer_{lang}.txt")),
        len(evidence),
    )
    reads.pointer += g.prompt_tokens_read - before
    # the shared judges one after the other, then the answer's prompt: as the design
    # would run them (a judge read alone in between would make the cache start over)
    sentences = [" ".join(f"{x.context} {x.text}".split()) for x in r.candidates[:JUDGED]]
    shared = []
    for sentence in sentences:
        task = render(s.prompts_dir, f"experiments/judge_shared_{lang}.txt", sentence=sentence)
        before = g.prompt_tokens_read
        shared.append(g.yes_probability(with_task(prefix, task), yes, no))
        reads.shared += g.prompt_tokens_read - before
    before = g.prompt_tokens_read
    for _ in g.stream(prefix, 1):
        pass
    reads.answer_after_shared += g.prompt_tokens_read - before
    reads.answer_fresh += g.count_tokens(prefix[1]["content"])
    judged = []
    for x, sentence, shared_yes in zip(r.candidates, sentences, shared, strict=False):
        before = g.prompt_tokens_read
        alone = judge_sentence(g, r.question, x, s)
        reads.alone += g.prompt_tokens_read - before
        answers = (
            q.answerable
            and bool(q.must_include)
            and any(key_facts_present(sentence, [key]) for key in q.must_include)
        )
        n = extract_of(x, evidence)
        judged.append(
            Judged(q.id, q.answerable, answers, alone, shared_yes, pointer[n] if n else 0.0)
        )
    return judged, pointer[0]


def auc(scored: list[tuple[float, bool]]) -> float | None:
    """Probability that a positive scores above a negative (ties count half)."""
    positives = [v for v, y in scored if y]
    negatives = [v for v, y in scored if not y]
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def summary(judged: list[Judged], none: dict[str, float], reads: Reads) -> dict[str, Any]:
    by_question: dict[str, list[Judged]] = {}
    for j in judged:
        by_question.setdefault(j.question_id, []).append(j)
    designs = ("alone", "shared", "pointer")
    mixed = [js for js in by_question.values() if len({j.answers for j in js}) == 2]
    result: dict[str, Any] = {"sentences": len(judged), "answering": sum(j.answers for j in judged)}
    for d in designs:
        question_scores = [
            (1 - none[qid] if d == "pointer" else max(getattr(j, d) for j in js), js[0].answerable)
            for qid, js in by_question.items()
        ]
        result[d] = {
            "sentence_auc": auc([(getattr(j, d), j.answers) for j in judged]),
            "question_auc": auc(question_scores),
            "best_judged_answers": sum(
                max(js, key=lambda j: getattr(j, d)).answers for js in mixed
            ),
            "questions_with_both": len(mixed),
            "tokens_read": getattr(reads, d),
        }
    result["answer_tokens"] = {
        "fresh": reads.answer_fresh,
        "after_shared": reads.answer_after_shared,
    }
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", default="dev4,dev3")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    s = Settings(mode="hybrid")
    assistant = Assistant(s)
    g = assistant.generator(s)
    if not isinstance(g, LlamaCppGenerator):
        raise SystemExit("this experiment reads llama.cpp's logits: it needs a GGUF model")
    wanted = args.splits.split(",")
    questions = [q for q in load_questions(DEFAULT_QUESTIONS) if q.split in wanted]
    questions = questions[: args.limit] if args.limit else questions
    judged: list[Judged] = []
    none: dict[str, float] = {}
    reads = Reads()
    progress = ProgressLine("judged questions", len(questions))
    for done, q in enumerate(questions, 1):
        found, none[q.id] = judge_question(assistant, g, q, s, reads)
        judged += found
        progress(done)
    result = {
        "splits": wanted,
        "questions": len(questions),
        "cpu": cpu(),
        **summary(judged, none, reads),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**result, "judged": [asdict(j) for j in judged]}, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
