"""The pipeline: question → retrieve → extract or generate → verify → `Answer`.

`Assistant` holds what is costly to load (index, embedder, generator) and is
what the CLI, the chat page and the evaluation all call. `stream()` yields the
growing draft text while the model writes, then the verified `Answer` last.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import QuestionError
from rag.extractive import ScoredSentence, score_sentences, select_sentences
from rag.generate import get_generator
from rag.prompts import message, render
from rag.retrieve import Retriever
from rag.store import MANIFEST, BuildReport, IndexStore, Progress, build_index, load
from rag.text import detect_language
from rag.types import Answer, AnswerSentence, Citation, Document, Hit, Timings
from rag.verify import check_claim, parse_citations

UNCITED_DRAFT_CHARS = 200  # a hybrid draft this long with no [n] is abandoned
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*\s+(?=\S)")


def reply_language(question: str) -> str:
    lang = detect_language(question)
    return lang if lang in ("fr", "en") else "en"


class Assistant:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: IndexStore | None = None
        self._retriever: Retriever | None = None
        self._lock = threading.RLock()

    # ------------------------------------------------------------ index

    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                settings = self.settings
                if not (settings.index_dir / MANIFEST).exists():
                    build_index([settings.corpus_dir], settings)  # first run: the bundled corpus
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
        final = None
        for event in self.stream(question, settings):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    def stream(self, question: str, settings: Settings | None = None) -> Iterator[str | Answer]:
        """Draft text as it grows (generative modes), then the final `Answer`."""
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
        )
        chosen = select_sentences(
            score_sentences(question, hits, retriever.embedder), s.answer_threshold
        )
        if not chosen:
            yield self._refusal(turn)
        elif s.mode == "extractive":
            yield self._extractive(turn, chosen)
        else:
            yield from self._generative(turn, chosen)

    # ------------------------------------------------------------ answers

    def _document(self, doc_id: str) -> Document:
        return self.store.documents[doc_id]

    def _citation(self, n: int, hit: Hit, start: int, end: int, s: Settings) -> Citation:
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
        )

    def _refusal(self, turn: _Turn) -> Answer:
        text = message(turn.settings.prompts_dir, turn.lang, "refusal")
        return turn.answer(
            sentences=(AnswerSentence(text, (), True),), citations=(), refused=True, mode="refusal"
        )

    def _extractive(self, turn: _Turn, chosen: list[ScoredSentence], note: str = "") -> Answer:
        s = turn.settings
        citations = [self._citation(i + 1, c.hit, c.start, c.end, s) for i, c in enumerate(chosen)]
        sentences = tuple(
            AnswerSentence(f"« {c.quote} »" if turn.lang == "fr" else f"“{c.quote}”", (c.n,), True)
            for c in citations
        )
        return turn.answer(
            sentences=sentences,
            citations=tuple(citations),
            refused=False,
            mode="extractive",
            notes=(note,) if note else (),
            preamble=message(s.prompts_dir, turn.lang, "extractive_preamble"),
        )

    def _prompt(self, turn: _Turn, passages: list[tuple[Hit, str]], canary: str) -> list[dict]:
        s, lang = turn.settings, turn.lang
        language_name = message(s.prompts_dir, lang, "language_name")
        numbered = "".join(
            render(
                s.prompts_dir,
                "passage.txt",
                n=i + 1,
                title=self._document(h.chunk.doc_id).title,
                text=text,
            )
            for i, (h, text) in enumerate(passages)
        )
        system = render(
            s.prompts_dir,
            "answer_system.txt",
            language_name=language_name,
            refusal=message(s.prompts_dir, lang, "refusal"),
            canary=canary,
        )
        user = render(
            s.prompts_dir,
            "answer_user.txt",
            question=turn.question,
            language_name=language_name,
            passages=numbered,
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _generative(self, turn: _Turn, chosen: list[ScoredSentence]) -> Iterator[str | Answer]:
        s = turn.settings
        generator = get_generator(s.generator_model)
        passages = _fit_passages(turn.hits, s.max_context_chars)
        canary = secrets.token_hex(6)
        messages = self._prompt(turn, passages, canary)
        prompt_tokens = generator.count_prompt_tokens(messages)
        gen_started = time.perf_counter()
        first_token: float | None = None
        draft = ""
        pieces = generator.stream(messages, s.max_new_tokens)
        for piece in pieces:
            if piece and first_token is None:
                first_token = time.perf_counter() - gen_started
            draft += piece
            yield draft
            if s.mode == "hybrid" and len(draft) > UNCITED_DRAFT_CHARS and "[" not in draft:
                pieces.close()  # nothing uncited survives verification: stop paying for it
                break
        gen_seconds = time.perf_counter() - gen_started
        tokens = generator.count_tokens(draft)
        turn.timings = replace(
            turn.timings,
            first_token_s=first_token,
            tokens=tokens,
            prompt_tokens=prompt_tokens,
            tokens_per_s=tokens / gen_seconds if tokens and gen_seconds else None,
        )
        if canary in draft:
            yield self._extractive(turn, chosen, "generated answer dropped: it leaked the prompt")
        elif message(s.prompts_dir, turn.lang, "refusal").rstrip(".") in draft or not draft.strip():
            yield self._extractive(turn, chosen, "the model did not answer; the passages did")
        else:
            verified = self._verified(turn, passages, draft)
            yield verified or self._extractive(
                turn, chosen, "generated answer dropped: no sentence could be verified"
            )

    def _verified(self, turn: _Turn, passages: list[tuple[Hit, str]], draft: str) -> Answer | None:
        """The draft's sentences with their support; None when hybrid keeps none."""
        s = turn.settings
        embedder = self.retriever().embedder
        sentences: list[AnswerSentence] = []
        citations: list[Citation] = []
        by_key: dict[tuple[str, int], int] = {}
        dropped_refs = 0
        for raw in _SENTENCE_SPLIT.split(draft.strip()):
            text, refs, dropped = parse_citations(raw, len(passages))
            dropped_refs += dropped
            if len(text.split()) < 3:
                continue
            cited = [passages[n - 1] for n in refs]
            support, spans = check_claim(text, [t for _, t in cited], embedder, s.support_threshold)
            if support.supported and detect_language(text) not in (turn.lang, "other"):
                support = replace(support, supported=False, reason="not in the question's language")
            numbers: list[int] = []
            for idx, start, end in spans[:2]:
                hit = cited[idx][0]
                offset = hit.chunk.start  # trimmed passages keep the chunk's start
                key = (hit.chunk.doc_id, offset + start)
                if key not in by_key:
                    by_key[key] = len(citations) + 1
                    citations.append(
                        self._citation(by_key[key], hit, offset + start, offset + end, s)
                    )
                numbers.append(by_key[key])
            sentences.append(
                AnswerSentence(text, tuple(numbers), support.supported, support.reason)
            )
        kept = [x for x in sentences if x.supported] if s.mode == "hybrid" else sentences
        if not kept:
            return None
        used = sorted({n for x in kept for n in x.citations})
        renumber = {old: new + 1 for new, old in enumerate(used)}
        notes: tuple[str, ...] = ()
        if dropped_refs:
            notes += (f"{dropped_refs} citation(s) pointing to no passage were dropped",)
        if len(kept) < len(sentences):
            notes += (f"{len(sentences) - len(kept)} unverified sentence(s) dropped",)
        return turn.answer(
            sentences=tuple(
                replace(x, citations=tuple(renumber[n] for n in x.citations)) for x in kept
            ),
            citations=tuple(replace(c, n=renumber[c.n]) for c in citations if c.n in renumber),
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

    def answer(self, **fields: Any) -> Answer:
        total = time.perf_counter() - self.started
        return Answer(
            question=self.question,
            language=self.lang,
            hits=tuple(self.hits),
            timings=replace(self.timings, total_s=total),
            **fields,
        )


def _fit_passages(hits: list[Hit], budget: int) -> list[tuple[Hit, str]]:
    """Passages for the prompt, trimmed at sentence ends to keep prompt-read time short."""
    out: list[tuple[Hit, str]] = []
    per_passage = max(200, budget // max(len(hits), 1))
    for hit in hits:
        text = hit.chunk.text
        if len(text) > per_passage:
            cut = max(text.rfind(". ", 0, per_passage), text.rfind("\n", 0, per_passage))
            text = text[: cut + 1] if cut > 0 else text[:per_passage]
        out.append((hit, text))
    return out
