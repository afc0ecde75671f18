"""The pipeline: question → retrieve → score sentences → first (extractive) answer
→ sentence judge → the model's draft → verify → final `Answer`.

`Assistant` holds what is costly to load (index, embedder, generator) and is
what the CLI, the chat page and the evaluation all call. `stream()` yields, in
order: the instant extractive answer (`final=False`), `Waiting` while other
questions have the model (see `rag.model_queue`), the model's draft as it grows
(plain strings), then the final `Answer`. In extractive mode, or when the
evidence is too weak, the first answer is the final one.

Citation-first: the model never decides alone. Whether to refuse rests on the
evidence score; on the model reading each of the best sentences alone before it
writes (a one-token judge: does this sentence give the answer?); on whether it
wrote the fixed "not in the articles" phrase; and on verification: a model
sentence is kept only when its cited extract supports it (see `rag.verify`).
`decide()` is that rule, written once.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rag import __version__
from rag.config import Settings
from rag.errors import QuestionError
from rag.extractive import (
    Evidence,
    ScoredSentence,
    best_answer,
    evidence_passages,
    phrase_in_english,
    score_sentences,
)
from rag.generate import Generator, get_generator
from rag.model_queue import MODEL_QUEUE
from rag.prompts import (
    LANGUAGES,
    answer_messages,
    claim_messages,
    message,
    phrases,
    prompt_language,
    prompts_version,
    sentence_messages,
)
from rag.retrieve import Retriever
from rag.store import MANIFEST, BuildReport, IndexStore, Progress, build_index, load
from rag.text import detect_language, fold
from rag.types import (
    Answer,
    AnswerSentence,
    Citation,
    Document,
    Hit,
    Provenance,
    Signals,
    Timings,
    Waiting,
)
from rag.verify import CheckedSentence, check_draft

log = logging.getLogger(__name__)

# The settings that shape an answer, recorded with it (paths and limits are left out).
ANSWER_SETTINGS = (
    "mode",
    "top_k",
    "hybrid_search",
    "max_chunks_per_doc",
    "evidence_chars",
    "evidence_sentences",
    "max_new_tokens",
    "answer_threshold",
    "extractive_threshold",
    "support_threshold",
    "cross_support_threshold",
    "claim_threshold",
    "judged_sentences",
    "sentence_threshold",
)


def reply_language(question: str) -> str:
    return prompt_language(detect_language(question))


def ask_yes_no(generator: Generator, messages: list[dict[str, str]], prompts_dir: Path) -> float:
    """P(yes) for a yes/no question; the judge prompts are French, like the articles."""
    yes, no = (message(prompts_dir, "fr", key) for key in ("judge_yes", "judge_no"))
    return generator.yes_probability(messages, yes, no)


def decide(signals: Signals, settings: Settings) -> str:
    """'refuse', 'model' (the verified model answer; before the model has written,
    'go on and ask it') or 'extractive' (the first answer). Called at each stage
    with the signals known so far."""
    extractive = settings.mode == "extractive"
    threshold = settings.extractive_threshold if extractive else settings.answer_threshold
    if signals.evidence_score is None or signals.evidence_score < threshold:
        return "refuse"
    if extractive:  # the evidence score is the only signal
        return "extractive"
    judged = signals.sentence_yes[: settings.judged_sentences]  # fewer when tuning replays
    if judged and max(judged) < settings.sentence_threshold:
        return "refuse"
    if signals.model_refused is None:  # the model has not written yet
        return "model"
    if signals.model_refused:
        return "refuse"
    kept = signals.sentences_verified if settings.mode == "hybrid" else signals.sentences_written
    return "model" if kept else "extractive"


class Assistant:
    def __init__(
        self,
        settings: Settings,
        *,
        generator: Generator | None = None,
    ) -> None:
        self.settings = settings
        self._generator = generator  # a seam for tests; else loaded from the settings
        self._store: IndexStore | None = None
        self._retriever: Retriever | None = None
        self._lock = threading.RLock()
        # One canary per process: the system prompt stays the same from question to
        # question, so llama.cpp reads it once; it is still unknown to any article.
        self.canary = secrets.token_hex(8)

    # ------------------------------------------------------------ index

    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                settings = self.settings
                if not (settings.index_dir / MANIFEST).exists():  # first run
                    log.info("indexing the bundled articles into %s (once)…", settings.index_dir)
                    build_index([settings.corpus_dir], settings)
                self._use(load(settings.index_dir, settings))
            assert self._retriever is not None
            return self._retriever

    @property
    def store(self) -> IndexStore:
        return self.retriever().store

    def _use(self, store: IndexStore) -> None:
        self._store = store
        self._retriever = Retriever.from_store(store, self.settings)

    def index(
        self,
        paths: list[Path],
        *,
        rebuild: bool = False,
        prune: bool = True,
        progress: Progress | None = None,
    ) -> BuildReport:
        """Index articles; questions asked meanwhile are served by the previous index."""
        store, report = build_index(
            paths, self.settings, rebuild=rebuild, prune=prune, progress=progress
        )
        with self._lock:
            self._use(store)
        return report

    def generator(self, settings: Settings | None = None) -> Generator:
        return self._generator or get_generator((settings or self.settings).generator_model)

    def warm_up(self) -> None:
        """Load the model and read each prompt family's fixed instructions once (the
        answer in each language, the two judges), so that the first visitor does not
        pay for them: llama.cpp keeps one cache per family."""
        s = self.settings
        with MODEL_QUEUE.turn():  # questions that arrive meanwhile wait in line
            generator = self.generator(s)
            for lang in LANGUAGES:
                messages = answer_messages(s.prompts_dir, lang, "?", ["…"], self.canary)
                for _ in generator.stream(messages, 1):
                    pass
            for judge in (
                sentence_messages(s.prompts_dir, "?", "…"),
                claim_messages(s.prompts_dir, "…", "…"),
            ):
                ask_yes_no(generator, judge, s.prompts_dir)

    # ------------------------------------------------------------ questions

    def check_question(self, question: str) -> str:
        question = question.strip() if isinstance(question, str) else ""
        lang = reply_language(question[:2000])
        if not question:
            raise QuestionError(message(self.settings.prompts_dir, lang, "empty"))
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                message(
                    self.settings.prompts_dir,
                    lang,
                    "too_long",
                    length=len(question),
                    limit=self.settings.max_question_chars,
                )
            )
        return question

    def ask(self, question: str, settings: Settings | None = None) -> Answer:
        """The final answer; the first one, when there was one, is in its `first`."""
        first: Answer | None = None
        final: Answer | None = None
        for event in self.stream(question, settings):
            if isinstance(event, Answer):
                first, final = (event, None) if not event.final else (first, event)
        assert final is not None
        return replace(final, first=first) if first is not None else final

    def stream(
        self, question: str, settings: Settings | None = None
    ) -> Iterator[str | Answer | Waiting]:
        """The first answer (`final=False`), `Waiting` while in line for the model, the
        draft as it grows, then the final `Answer`."""
        s = settings or self.settings
        started = time.perf_counter()
        question = self.check_question(question)
        retriever = self.retriever()
        hits = retriever.search(question, s.k, hybrid=s.hybrid_search, per_doc=s.max_chunks_per_doc)
        turn = _Turn(
            question,
            reply_language(question),
            hits,
            s,
            started,
            Timings(retrieval_ms=(time.perf_counter() - started) * 1000),
            self._provenance(s),
        )
        scored = score_sentences(
            question, hits, retriever.embedder, retriever.store.sentence_vector
        )
        turn.signals = Signals(evidence_score=max((x.score for x in scored), default=None))
        if decide(turn.signals, s) == "refuse":  # too weak to ask the model about
            yield self._refusal(turn)
            return
        first = self._extractive(turn, scored)
        if s.mode == "extractive":
            yield first
            return
        turn.timings = replace(turn.timings, first_answer_s=time.perf_counter() - started)
        yield replace(turn.finish(first), final=False)
        yield from self._when_model_free(turn, scored, first)

    def _when_model_free(
        self, turn: _Turn, scored: list[ScoredSentence], first: Answer
    ) -> Iterator[str | Answer | Waiting]:
        """Queue for the model, telling the asker how many questions are ahead."""
        ticket = MODEL_QUEUE.join()
        waited = time.perf_counter()
        started: float | None = None
        try:
            ahead, shown = MODEL_QUEUE.wait(ticket, 0.0), 0
            while ahead:
                if ahead != shown:  # a new line only when the place in line changes
                    yield Waiting(ahead, MODEL_QUEUE.estimate_s(ahead))
                    shown = ahead
                ahead = MODEL_QUEUE.wait(ticket, 1.0)
            started = time.perf_counter()
            turn.timings = replace(turn.timings, queue_wait_s=started - waited)
            yield from self._generative(turn, scored, first)
        finally:
            MODEL_QUEUE.leave(ticket, None if started is None else time.perf_counter() - started)

    # ------------------------------------------------------------ answers

    def _document(self, doc_id: str) -> Document:
        return self.store.documents[doc_id]

    def _provenance(self, s: Settings) -> Provenance:
        """Without the generator: the first answer must not wait for it to load."""
        return Provenance(
            rag_version=__version__,
            embedding_model=s.embedding_model,
            index_manifest_sha256=self.store.manifest.get("manifest_sha256", ""),
            prompts_version=prompts_version(s.prompts_dir),
            settings={name: getattr(s, name) for name in ANSWER_SETTINGS},
        )

    def _citation(
        self, n: int, hit: Hit, start: int, end: int, s: Settings, context: tuple[int, int]
    ) -> Citation:
        doc = self._document(hit.chunk.doc_id)
        if end - start > s.max_quote_chars:  # cap long quotes, still an exact span
            cut = doc.text.rfind(" ", start, start + s.max_quote_chars)
            end = cut if cut > start else start + s.max_quote_chars
        return Citation(
            n=n,
            chunk_id=hit.chunk.id,
            doc_id=doc.id,
            title=doc.title,
            date=doc.date,
            outlet=doc.outlet,
            start=start,
            end=end,
            quote=doc.text[start:end],
            context_start=context[0],
            context_end=context[1],
        )

    def _refusal(self, turn: _Turn, note: str = "") -> Answer:
        text = message(turn.settings.prompts_dir, turn.lang, "refusal")
        return turn.answer(
            sentences=(AnswerSentence(text, (), True),),
            citations=(),
            refused=True,
            mode="refusal",
            notes=(note,) if note else (),
        )

    def _extractive(self, turn: _Turn, scored: list[ScoredSentence]) -> Answer:
        """The phrase of the best sentence that answers (a name, date, place, number),
        with the sentence as its quote; the sentence itself when no phrase is found."""
        s = turn.settings
        best, span = best_answer(turn.question, scored)
        citation = self._citation(1, best.hit, best.start, best.end, s, (best.start, best.end))
        if span is not None:
            text = best.text[span[0] : span[1]]
            if turn.lang == "en":  # a date or quantity in the question's language
                text = phrase_in_english(turn.question, text)
        else:
            text = f"« {citation.quote} »" if turn.lang == "fr" else f"“{citation.quote}”"
        return turn.answer(
            sentences=(AnswerSentence(text, (1,), True),),
            citations=(citation,),
            refused=False,
            mode="extractive",
            preamble=message(s.prompts_dir, turn.lang, "extractive_preamble"),
        )

    def _generative(
        self, turn: _Turn, scored: list[ScoredSentence], first: Answer
    ) -> Iterator[str | Answer]:
        s = turn.settings
        generator = self.generator(s)
        turn.provenance = replace(
            turn.provenance, generator=generator.name, generator_sha256=generator.sha256
        )
        judge_started = time.perf_counter()
        sentence_yes: list[float] = []
        for x in scored[: max(1, s.judged_sentences)]:
            messages = sentence_messages(s.prompts_dir, turn.question, x.text)
            sentence_yes.append(ask_yes_no(generator, messages, s.prompts_dir))
            # One sentence above the bar settles it: the next could not refuse. With the
            # gate open (0), every sentence is judged, so that eval.tune can replay them.
            if 0 < s.sentence_threshold <= sentence_yes[-1]:
                break
        turn.timings = replace(turn.timings, judge_s=time.perf_counter() - judge_started)
        turn.signals = replace(turn.signals, sentence_yes=tuple(sentence_yes))
        if decide(turn.signals, s) == "refuse":
            yield self._refusal(turn, "the model found no sentence that gives the answer")
            return
        docs = {d: self._document(d).text for d in {x.hit.chunk.doc_id for x in scored}}
        evidence = evidence_passages(scored, docs, s.evidence_chars, s.evidence_sentences)
        messages = answer_messages(
            s.prompts_dir, turn.lang, turn.question, [e.text for e in evidence], self.canary
        )
        draft = yield from self._draft(turn, generator, messages)
        turn.draft = draft
        if self.canary in draft:
            yield turn.finish(first, notes=("generated answer dropped: it leaked the prompt",))
            return

        def judge_claim(passage: str, claim: str) -> float:  # asked in French, like the extracts
            return ask_yes_no(
                generator, claim_messages(s.prompts_dir, passage, claim), s.prompts_dir
            )

        checked, dropped = check_draft(
            draft,
            [e.text for e in evidence],
            self.retriever().embedder,
            turn.lang,
            s.support_threshold,
            s.cross_support_threshold,
            judge_claim,
            s.claim_threshold,
        )
        markers = [fold(m) for m in phrases(s.prompts_dir, turn.lang, "refusal_markers")]
        turn.signals = replace(
            turn.signals,
            model_refused=any(m in fold(draft) for m in markers) or not draft.strip(),
            sentences_written=len(checked),
            sentences_verified=sum(c.support.supported for c in checked),
        )
        choice = decide(turn.signals, s)
        if choice == "refuse":
            yield self._refusal(turn, "the model wrote that the extracts do not answer")
        elif choice == "extractive":
            note = "the model's answer could not be verified; the extracts answer"
            yield turn.finish(first, notes=(note,))
        else:
            yield self._model_answer(turn, evidence, checked, dropped)

    def _draft(
        self, turn: _Turn, generator: Generator, messages: list[dict[str, str]]
    ) -> Iterator[str]:
        """Stream the model's text to the caller; return it whole, with its timings."""
        s = turn.settings
        stats: dict[str, Any] = {}
        first_token_at: float | None = None
        draft = ""
        for piece in generator.stream(messages, s.max_new_tokens, stats):
            if piece and first_token_at is None:
                first_token_at = time.perf_counter()
            draft += piece
            yield draft
        tokens = generator.count_tokens(draft)
        # decoding only: reading the prompt is in the time to the first token
        decoding = time.perf_counter() - first_token_at if first_token_at else 0.0
        turn.timings = replace(
            turn.timings,
            first_token_s=first_token_at - turn.started if first_token_at else None,
            tokens=tokens,
            prompt_tokens=stats.get("prompt_tokens", 0),
            cached_prompt_tokens=stats.get("cached_tokens", 0),
            tokens_per_s=(tokens - 1) / decoding if tokens > 1 and decoding else None,
        )
        return draft

    def _model_answer(
        self,
        turn: _Turn,
        evidence: list[Evidence],
        checked: list[CheckedSentence],
        dropped_refs: int,
    ) -> Answer:
        """The model's sentences (hybrid: the verified ones only), each citing the best
        sentence of the extracts it named, as an exact span of the article."""
        s = turn.settings
        kept = [c for c in checked if c.support.supported] if s.mode == "hybrid" else checked
        citations: list[Citation] = []
        by_span: dict[tuple[str, int], int] = {}
        sentences = []
        for c in kept:
            numbers: list[int] = []
            for idx, start, end in c.spans[:2]:
                ev = evidence[c.refs[idx] - 1]
                key = (ev.hit.chunk.doc_id, ev.start + start)
                if key not in by_span:
                    by_span[key] = len(citations) + 1
                    citations.append(
                        self._citation(
                            by_span[key],
                            ev.hit,
                            ev.start + start,
                            ev.start + end,
                            s,
                            (ev.start, ev.end),
                        )
                    )
                numbers.append(by_span[key])
            sentences.append(
                AnswerSentence(
                    c.text, tuple(numbers), c.support.supported, c.support.reason, c.judge
                )
            )
        notes: tuple[str, ...] = ()
        if dropped_refs:
            notes += (f"{dropped_refs} citation(s) pointing to no passage were dropped",)
        if len(kept) < len(checked):
            notes += (f"{len(checked) - len(kept)} unverified sentence(s) dropped",)
        if any(c.recited for c in kept):
            notes += ("citations pointed at the supporting passage by verification",)
        return turn.answer(
            sentences=tuple(sentences),
            citations=tuple(citations),
            refused=False,
            mode="generative",
            notes=notes,
        )


@dataclass
class _Turn:
    """What one question carries through the answer methods."""

    question: str
    lang: str
    hits: list[Hit]
    settings: Settings
    started: float
    timings: Timings
    provenance: Provenance
    signals: Signals = dataclasses.field(default_factory=Signals)
    draft: str = ""

    def answer(self, **fields: Any) -> Answer:
        return self.finish(
            Answer(question=self.question, language=self.lang, hits=tuple(self.hits), **fields)
        )

    def finish(self, answer: Answer, **changes: Any) -> Answer:
        """`answer` as the final one, with the turn's timings and signals so far."""
        total = time.perf_counter() - self.started
        return replace(
            answer,
            timings=replace(self.timings, total_s=total),
            signals=self.signals,
            provenance=self.provenance,
            draft=self.draft,
            final=True,
            **changes,
        )
