"""The plain data types every stage passes along (frozen dataclasses, JSON-friendly)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    id: str  # stable: the source file name
    path: str
    title: str
    date: str | None
    outlet: str | None
    byline: str | None
    text: str
    sha256: str


@dataclass(frozen=True)
class Chunk:
    id: str  # derived from the document hash and offsets, so it survives rebuilds
    doc_id: str
    start: int
    end: int
    text: str  # == document.text[start:end]


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True)
class Citation:
    n: int
    chunk_id: str
    doc_id: str
    title: str
    date: str | None
    outlet: str | None
    start: int  # character span of the quote in the document text
    end: int
    quote: str
    context_start: int = -1  # span of the passage the claim was checked against
    context_end: int = -1

    def heading(self, esc: Callable[[str], str] = str) -> str:
        """ "[1] Title (Reuters, 2023-10-30)"."""
        meta = ", ".join(esc(x) for x in (self.outlet, self.date) if x)
        return f"[{self.n}] {esc(self.title)}" + (f" ({meta})" if meta else "")


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citations: tuple[int, ...]
    supported: bool
    reason: str = ""  # why verification refused support, when it did
    judge: float | None = None  # the model's P("the passage states this"), when asked


@dataclass(frozen=True)
class SourceVersion:
    """One article's version of the asked fact, when the articles disagree."""

    value: str  # the filler as the article writes it
    citation: int  # the [n] that quotes it
    doc_id: str
    outlet: str | None
    date: str | None


@dataclass(frozen=True)
class Timings:
    retrieval_ms: float = 0.0
    rewrite_s: float | None = None  # the model rewriting a follow-up into a standalone question
    # the instant answer, from the question (with a model: once judged); None: not shown
    first_answer_s: float | None = None
    queue_wait_s: float = 0.0  # waiting for the model while it answered other questions
    judge_s: float | None = None  # the sentence judges, before the model writes
    first_token_s: float | None = None  # the model's first token, from the question
    total_s: float = 0.0
    tokens: int = 0
    tokens_per_s: float | None = None
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    # every model call for this question (checks, answer): tokens read, cached ones not;
    # against the tokens of the question, its extracts and the answer's task
    prompt_tokens_read: int = 0
    reading_tokens: int = 0


@dataclass(frozen=True)
class Waiting:
    """Streamed while the question waits for the model, which answers others first."""

    ahead: int  # questions before this one
    wait_s: float  # a rough estimate from recent turns


@dataclass(frozen=True)
class Signals:
    """What the refusal decision and the choice of answer rested on."""

    evidence_score: float | None = None  # best sentence score (similarity + overlap)
    slot: str = ""  # the kind of fact the question asks for (rag.slots)
    slot_candidates: int | None = None  # retrieved sentences that fill it
    first_fills: bool = False  # an instant answer fills it, on strong evidence
    first_judged: bool = False  # the model judged the instant answer's sentence to answer
    model_fills: bool | None = None  # a kept model sentence fills it (None: not written)
    # P("this sentence gives the answer") of each judged sentence, best-ranked first
    sentence_yes: tuple[float, ...] = ()
    model_refused: bool | None = None
    sentences_written: int = 0
    sentences_verified: int = 0
    versions: int = 0  # different fillers from different articles (2+: they disagree)
    across_articles: int = 0  # articles the instant answer quotes, for a question about several
    unknown_names: tuple[str, ...] = ()  # names the question gives that no article holds
    corrects_premise: bool = False  # the articles give another place, date, count or person


@dataclass(frozen=True)
class Provenance:
    """Enough to reproduce an answer offline: models, index, prompts, settings."""

    rag_version: str
    embedding_model: str
    index_manifest_sha256: str
    prompts_version: str
    generator: str | None = None
    generator_sha256: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    understood_as: str = ""  # the standalone question a follow-up was rewritten to
    rewritten_by: str = ""  # "model", or "context" (read with the question it follows)


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    refused: bool
    # which path produced the sentences: extractive, generative, refusal, missing (the
    # articles do not give what is asked: a refusal with the closest passage as context)
    # or reading (the first state: passages, not an answer)
    mode: str
    preamble: str = ""  # framing line in the question's language
    hits: tuple[Hit, ...] = ()
    timings: Timings = field(default_factory=Timings)
    notes: tuple[str, ...] = ()  # e.g. "generated answer dropped: unsupported"
    final: bool = True  # False for the first state, which the model's answer may replace
    signals: Signals = field(default_factory=Signals)
    provenance: Provenance | None = None
    first: Answer | None = None  # the first state shown before this one
    draft: str = ""  # what the model wrote, before verification
    # each article's version when they disagree on the asked fact (shown, never resolved)
    disagreements: tuple[SourceVersion, ...] = ()
    understood_as: str = ""  # the standalone question, when the message was a follow-up
    # when a cited article reported a plan: its date, since things may have changed
    as_of: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        body = " ".join(s.text for s in self.sentences)
        return f"{self.preamble}\n{body}".strip() if self.preamble else body

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["text"] = self.text
        data["first"] = self.first.to_dict() if self.first else None
        data["hits"] = [
            {"rank": h.rank, "score": h.score, "chunk_id": h.chunk.id, "doc_id": h.chunk.doc_id}
            for h in self.hits
        ]
        return data

    def _lines(self, esc: Callable[[str], str], warn: str, mark: str = "") -> list[str]:
        lines = []
        if self.understood_as:
            label = UNDERSTOOD_AS.get(self.language, UNDERSTOOD_AS["en"])
            lines.append(f"({label} {esc(self.understood_as)})")
        if self.preamble:
            lines.append(mark + esc(self.preamble))
        for s in self.sentences:
            marks = "".join(f"[{n}]" for n in s.citations)
            text = esc(s.text) if s.supported else warn.format(esc(s.text))
            lines.append(f"{text} {marks}".strip())
        if any(not s.supported for s in self.sentences):
            lines.append(warn.format("marked sentences could not be verified against the sources"))
        lines.extend(f"🕒 {esc(note)}" for note in self.as_of)
        if self.citations:
            lines.append("Sources:")
            for c in self.citations:
                lines.append(f"{c.heading(esc)}\n> {esc(c.quote)}")
        return lines

    def to_markdown(self) -> str:
        """For the chat page. Article text is data: it is escaped so that it can
        never become live HTML, a link or an image in the page."""
        mark = "⚖️ " if self.disagreements else ""
        return "\n\n".join(self._lines(escape_markdown, "⚠️ *{}* (unverified)", mark))

    def to_text(self) -> str:
        """For the terminal."""
        return "\n\n".join(self._lines(lambda x: x, "[unverified] {}"))


UNDERSTOOD_AS = {"fr": "Compris comme :", "en": "Understood as:"}
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def escape_markdown(text: str) -> str:
    """HTML-escape, then backslash-escape every character markdown gives a meaning."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", html.escape(text, quote=False))
