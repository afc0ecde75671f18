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
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

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
        lang = reply_language(question)
        retriever = self.retriever()
        hits = retriever.search(question, s.k, hybrid=s.hybrid_search, per_doc=s.max_chunks_per_doc)
        retrieval_ms = (time.perf_counter() - started) * 1000
        scored = score_sentences(question, hits, retriever.embedder)
        chosen = select_sentences(scored, s.answer_threshold)
        timings = Timings(retrieval_ms=retrieval_ms)
        if not chosen:
            yield self._refusal(question, lang, hits, timings, started, s)
            return
        if s.mode == "extractive":
            yield self._extractive(question, lang, hits, chosen, timings, started, s)
            return
        yield from self._generative(question, lang, hits, chosen, timings, started, s)

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

    def _refusal(
        self,
        question: str,
        lang: str,
        hits: list[Hit],
        timings: Timings,
        started: float,
        s: Settings,
        notes: tuple[str, ...] = (),
    ) -> Answer:
        text = message(s.prompts_dir, lang, "refusal")
        return Answer(
            question=question,
            language=lang,
            sentences=(AnswerSentence(text, (), True),),
            citations=(),
            refused=True,
            mode="refusal",
            hits=tuple(hits),
            notes=notes,
            timings=_finish(timings, started),
        )

    def _extractive(
        self,
        question: str,
        lang: str,
        hits: list[Hit],
        chosen: list[ScoredSentence],
        timings: Timings,
        started: float,
        s: Settings,
        notes: tuple[str, ...] = (),
    ) -> Answer:
        citations = [self._citation(i + 1, c.hit, c.start, c.end, s) for i, c in enumerate(chosen)]
        sentences = tuple(
            AnswerSentence(f"« {c.quote} »" if lang == "fr" else f"“{c.quote}”", (c.n,), True)
            for c in citations
        )
        return Answer(
            question=question,
            language=lang,
            sentences=sentences,
            citations=tuple(citations),
            refused=False,
            mode="extractive",
            preamble=message(s.prompts_dir, lang, "extractive_preamble"),
            hits=tuple(hits),
            notes=notes,
            timings=_finish(timings, started),
        )

    def _generative(
        self,
        question: str,
        lang: str,
        hits: list[Hit],
        chosen: list[ScoredSentence],
        timings: Timings,
        started: float,
        s: Settings,
    ) -> Iterator[str | Answer]:
        generator = get_generator(s.generator_model)
        passages = _fit_passages(hits, s.max_context_chars)
        canary = secrets.token_hex(6)
        language_name = message(s.prompts_dir, lang, "language_name")
        refusal = message(s.prompts_dir, lang, "refusal")
        doc = self._document
        messages = [
            {
                "role": "system",
                "content": render(
                    s.prompts_dir,
                    "answer_system.txt",
                    language_name=language_name,
                    refusal=refusal,
                    canary=canary,
                ),
            },
            {
                "role": "user",
                "content": render(
                    s.prompts_dir,
                    "answer_user.txt",
                    question=question,
                    language_name=language_name,
                    passages="".join(
                        render(
                            s.prompts_dir,
                            "passage.txt",
                            n=i + 1,
                            title=doc(h.chunk.doc_id).title,
                            text=text,
                        )
                        for i, (h, text) in enumerate(passages)
                    ),
                ),
            },
        ]
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
        timings = Timings(
            retrieval_ms=timings.retrieval_ms,
            first_token_s=first_token,
            tokens=tokens,
            prompt_tokens=prompt_tokens,
            tokens_per_s=tokens / gen_seconds if tokens and gen_seconds else None,
        )

        def fallback(note: str) -> Answer:
            return self._extractive(
                question, lang, hits, chosen, timings, started, s, notes=(note,)
            )

        if canary in draft:
            yield fallback("generated answer dropped: it leaked the prompt")
            return
        if refusal.rstrip(".") in draft or not draft.strip():
            yield fallback("the model did not answer; the passages did")
            return
        yield self._verified(question, lang, hits, passages, draft, timings, started, s, fallback)

    def _verified(
        self,
        question: str,
        lang: str,
        hits: list[Hit],
        passages: list[tuple[Hit, str]],
        draft: str,
        timings: Timings,
        started: float,
        s: Settings,
        fallback: Callable[[str], Answer],
    ) -> Answer:
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
            if support.supported and detect_language(text) not in (lang, "other"):
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
            return fallback("generated answer dropped: no sentence could be verified")
        used = sorted({n for x in kept for n in x.citations})
        renumber = {old: new + 1 for new, old in enumerate(used)}
        final_citations = tuple(replace(c, n=renumber[c.n]) for c in citations if c.n in renumber)
        final_sentences = tuple(
            AnswerSentence(x.text, tuple(renumber[n] for n in x.citations), x.supported, x.reason)
            for x in kept
        )
        notes = (
            (f"{dropped_refs} citation(s) pointing to no passage were dropped",)
            if dropped_refs
            else ()
        )
        if len(kept) < len(sentences):
            notes += (f"{len(sentences) - len(kept)} unverified sentence(s) dropped",)
        return Answer(
            question=question,
            language=lang,
            sentences=final_sentences,
            citations=final_citations,
            refused=False,
            mode="generative",
            hits=tuple(hits),
            notes=notes,
            timings=_finish(timings, started),
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


def _finish(timings: Timings, started: float) -> Timings:
    return Timings(
        retrieval_ms=timings.retrieval_ms,
        first_token_s=timings.first_token_s,
        total_s=time.perf_counter() - started,
        tokens=timings.tokens,
        tokens_per_s=timings.tokens_per_s,
        prompt_tokens=timings.prompt_tokens,
    )
