"""What each row of the index stands for, as integer columns instead of Python objects:
a 100k-passage index loads its rows in milliseconds, and a removed article's rows are
marked dead (a tombstone) instead of rewriting every file that is row-aligned.

A `SpanTable` row is (article code, start, end): code `DEAD` once the article left.
A `ChunkTable` reads a row as a `Chunk`, made from its article's text when asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from rag.chunking import chunk_id
from rag.types import Chunk, Document

DEAD = -1
Span = tuple[str, int, int]  # (document id, start, end)


@dataclass
class SpanTable:
    doc_ids: list[str]  # the article of each code in column 0
    rows: np.ndarray  # (n, 3) int32: article code (DEAD once removed), start, end
    # (code of each article, sorted (code, start) keys, their rows): see `find`
    _lookup: tuple[dict[str, int], np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_spans(cls, spans: Iterable[Span]) -> SpanTable:
        return cls([], np.zeros((0, 3), np.int32)).adding(spans)

    def __len__(self) -> int:
        return len(self.rows)

    def span(self, row: int) -> Span | None:
        code, start, end = (int(x) for x in self.rows[row])
        return None if code == DEAD else (self.doc_ids[code], start, end)

    def live_rows(self) -> np.ndarray:
        return np.flatnonzero(self.rows[:, 0] != DEAD)

    def dead_rows(self) -> np.ndarray:
        return np.flatnonzero(self.rows[:, 0] == DEAD)

    def rows_of(self, doc_ids: Collection[str]) -> np.ndarray:
        codes = [i for i, d in enumerate(self.doc_ids) if d in doc_ids]
        return np.flatnonzero(np.isin(self.rows[:, 0], codes))

    def rows_by_document(self) -> dict[str, list[int]]:
        """Live row numbers of each article, in order, in one pass."""
        found: dict[str, list[int]] = {}
        for row, code in enumerate(self.rows[:, 0].tolist()):
            if code != DEAD:
                found.setdefault(self.doc_ids[code], []).append(row)
        return found

    def counts(self) -> dict[str, int]:
        codes, counts = np.unique(self.rows[:, 0], return_counts=True)
        return {self.doc_ids[c]: int(n) for c, n in zip(codes, counts, strict=True) if c != DEAD}

    def removing(self, doc_ids: Collection[str]) -> SpanTable:
        """The same rows with those articles' rows dead: nothing shifts."""
        rows = self.rows.copy()
        rows[self.rows_of(doc_ids), 0] = DEAD
        return SpanTable(list(self.doc_ids), rows)

    def adding(self, spans: Iterable[Span]) -> SpanTable:
        codes = {d: i for i, d in enumerate(self.doc_ids)}
        new = [(codes.setdefault(d, len(codes)), s, e) for d, s, e in spans]
        rows = np.vstack([self.rows, np.array(new, np.int32).reshape(-1, 3)])
        return SpanTable(list(codes), rows)

    def find(self, doc_id: str, start: int) -> int | None:
        """The row of the span of `doc_id` that starts at `start`, by binary search."""
        with self._lock:  # built once, on the first question
            if self._lookup is None:
                keys = (self.rows[:, 0].astype(np.int64) << 32) | self.rows[:, 1]
                order = np.argsort(keys, kind="stable")
                codes = {d: i for i, d in enumerate(self.doc_ids)}
                self._lookup = (codes, keys[order], order)
        codes, keys, order = self._lookup
        if doc_id not in codes:
            return None
        key = (codes[doc_id] << 32) | start
        at = int(np.searchsorted(keys, key))
        return int(order[at]) if at < len(keys) and keys[at] == key else None


@dataclass(frozen=True)
class ChunkTable:
    """Row i of the FAISS index as a `Chunk`; a dead row (its article removed) has none."""

    spans: SpanTable
    documents: dict[str, Document]

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, row: int) -> Chunk:
        span = self.spans.span(row)
        if span is None:
            raise LookupError(f"row {row} belongs to a removed article")
        doc_id, start, end = span
        doc = self.documents[doc_id]
        return Chunk(chunk_id(doc, start, end), doc_id, start, end, doc.text[start:end])

    def live(self) -> Iterator[Chunk]:
        return (self[int(row)] for row in self.spans.live_rows())

    def texts(self) -> list[str]:
        """Each row's text, empty for a dead row: BM25 keeps the index's row numbers."""
        spans = (self.spans.span(row) for row in range(len(self)))
        return ["" if s is None else self.documents[s[0]].text[s[1] : s[2]] for s in spans]
