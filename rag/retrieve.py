"""Find the passages most relevant to a question: dense FAISS search, BM25, and
reciprocal rank fusion of the two, with a cap on passages per article so that
one source cannot take over the top-k, no place for passages that are not
prose (keyword lists written to win retrieval), and the passages of articles that
address an AI reader (planted instructions, active markup) only after all the others.
The rows of removed articles (dead until the index is compacted, see `rag.store`) are
skipped by both searches. A filter by outlet and date (`rag.filters`) applies inside
both searches too: FAISS sees only the allowed rows, BM25 scores no other, so that a
filtered question still gets its top k however few articles pass.

Past the top k and the cap, the passages holding the sentences nearest the question
are added: the one sentence that answers may sit in a passage about something else,
or be its article's fourth passage (a long article fills its three places with
passages about the same talks).

No reranker: none ships in a pip package that works offline (see README, "Models").
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import bm25s
import faiss
import numpy as np
from threadpoolctl import ThreadpoolController

from rag.config import Settings
from rag.embed import Embedder, get_embedder
from rag.filters import ArticleFilter
from rag.store import IndexStore, check_dimension
from rag.text import content_terms, detect_language
from rag.types import Hit

# Below this many allowed rows, an approximate (HNSW) index is searched exactly over
# them: a graph walk that may visit only other rows loses recall when few are allowed.
EXACT_SUBSET_ROWS = 20_000
FILTERS_CACHED = 32
# The vectors of those rows are kept with their filter (copying them out of the HNSW
# storage cost more than the search), within this many bytes over all cached filters.
FILTER_VECTOR_BYTES = 256 * 2**20
RRF_K = 60  # the usual constant of reciprocal rank fusion
# Sentences are searched exactly (one product over their vectors, ~10 ms at this size);
# a larger index adds no passage by its sentences.
SENTENCE_SEARCH_ROWS = 100_000
CROSS_LINGUAL_BM25 = 0.5  # chosen on eval/questions.jsonl (MRR 0.814 at 1.0, 0.834 at 0.5)


@dataclass
class Retriever:
    store: IndexStore
    embedder: Embedder
    bm25: bm25s.BM25 | None
    corpus_language: str = "other"
    not_prose: frozenset[int] = frozenset()  # rows that never rank: keyword lists
    suspect: frozenset[int] = frozenset()  # rows of articles that address an AI reader
    dead: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # removed rows
    dense_params: Any = None  # FAISS search parameters that skip the dead rows
    # the passage row of each sentence row, -1 for a removed article's (None: too many
    # sentences to search them, SENTENCE_SEARCH_ROWS)
    sentence_chunks: np.ndarray | None = None
    _filtered: dict[ArticleFilter, Allowed] = field(default_factory=dict)  # oldest first
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_store(cls, store: IndexStore, settings: Settings) -> Retriever:
        embedder = get_embedder(settings.embedding_model)
        check_dimension(store, embedder.dim)
        live = store.chunk_spans.live_rows()
        sample = live[:: max(1, len(live) // 50)]
        votes = Counter(detect_language(store.chunks[int(row)].text) for row in sample)
        language = votes.most_common(1)[0][0] if votes else "other"
        suspect = frozenset(store.chunk_spans.rows_of(store.planted_documents).tolist())
        dead = store.chunk_spans.dead_rows()
        return cls(
            store,
            embedder,
            store.bm25,
            language,
            store.non_prose_rows,
            suspect,
            dead,
            _skipping(store.index, dead),
            _sentence_chunks(store) if len(store.sentence_spans) <= SENTENCE_SEARCH_ROWS else None,
        )

    def allowed_rows(self, only: ArticleFilter) -> np.ndarray | None:
        """The live rows of the articles a filter lets through (None: no filter)."""
        return self._filter(only).rows if only.active else None

    def _filter(self, only: ArticleFilter) -> Allowed:
        with self._lock:
            return self._filtered.get(only) or self._add_filter(only)

    def _add_filter(self, only: ArticleFilter) -> Allowed:
        docs = {d.id for d in self.store.documents.values() if only.matches(d)}
        rows = self.store.chunk_spans.rows_of(docs).astype(np.int64)
        mask = np.zeros(len(self.store.chunks), dtype=bool)
        mask[rows] = True
        index = self.store.index
        if isinstance(index, faiss.IndexHNSW) and len(rows) <= EXACT_SUBSET_ROWS:
            allowed = Allowed(rows, mask, vectors=index.reconstruct_batch(rows))
        else:
            allowed = Allowed(rows, mask, params=_selecting(index, mask))
        while self._filtered and (
            len(self._filtered) >= FILTERS_CACHED
            or sum(a.vector_bytes for a in self._filtered.values()) + allowed.vector_bytes
            > FILTER_VECTOR_BYTES
        ):
            self._filtered.pop(next(iter(self._filtered)))
        self._filtered[only] = allowed
        return allowed

    def _dense(
        self, query: np.ndarray, depth: int, allowed: Allowed | None
    ) -> list[tuple[int, float]]:
        """(row, cosine) of the nearest live rows, best first, within the filter."""
        params = self.dense_params
        if allowed is not None:
            if allowed.vectors is not None:  # few rows under an approximate index: exact
                # one BLAS thread: OpenBLAS's second one spins on after the product and
                # made the next question's embedding 2-3x slower on 2 cores (eval.bench_scale)
                with _blas().limit(limits=1, user_api="blas"):
                    sims = allowed.vectors @ query[0]
                return [(int(allowed.rows[i]), float(sims[i])) for i in _largest(sims, depth)]
            params = allowed.params
        sims, found = self.store.index.search(query, depth, params=params)
        return [(int(r), float(x)) for r, x in zip(found[0], sims[0], strict=True) if r >= 0]

    def _by_sentence(self, query: np.ndarray, depth: int, allowed: Allowed | None) -> list[int]:
        """Passage rows in the order of their best sentence's cosine, best first."""
        if self.sentence_chunks is None or not len(self.sentence_chunks):
            return []
        owners = self.sentence_chunks
        live = owners >= 0
        if allowed is not None:
            live &= allowed.mask[np.maximum(owners, 0)]
        # the product over every stored vector, the others masked after: selecting the
        # live rows first would copy their vectors out of the memory map at each question
        with _blas().limit(limits=1, user_api="blas"):
            sims = np.asarray(self.store.sentence_vectors) @ query[0]
        sims[~live] = -np.inf
        ranked: dict[int, None] = {}
        for i in _largest(sims, min(int(live.sum()), 4 * depth)):
            ranked.setdefault(int(owners[i]))
            if len(ranked) == depth:
                break
        return list(ranked)

    def search(
        self,
        question: str,
        k: int,
        hybrid: bool = True,
        per_doc: int = 3,
        only: ArticleFilter = ArticleFilter(),  # noqa: B008 - frozen, never changed
        best_sentences: int = 0,
    ) -> list[Hit]:
        """The k best passages, at most `per_doc` of an article; then, past k and the cap,
        the passages holding the `best_sentences` sentences nearest the question (an
        article's fourth passage may hold the one sentence that answers)."""
        filtered = self._filter(only) if only.active else None  # looked up once
        n = len(self.store.chunks) - len(self.dead) if filtered is None else len(filtered.rows)
        if n == 0:
            return []
        query = self.embedder.embed([question], "query")
        depth = min(n, max(4 * k, 20))
        dense = self._dense(query, depth, filtered)
        dense_rank = [row for row, _ in dense]
        similarity = dict(dense)
        fused: dict[int, float] = {}
        for rank, row in enumerate(dense_rank):
            fused[row] = 1.0 / (RRF_K + rank + 1)
        if hybrid and self.bm25 is not None:
            terms = content_terms(question)
            # Words rarely match across languages: BM25 counts less for a question
            # in another language than the articles.
            weight = (
                1.0 if detect_language(question) == self.corpus_language else CROSS_LINGUAL_BM25
            )
            if terms:
                scores = self.bm25.get_scores(terms)
                scores[self.dead] = 0.0
                if filtered is not None:
                    scores[~filtered.mask] = 0.0
                for rank, row in enumerate(np.argsort(-scores)[:depth]):
                    if scores[row] > 0:
                        fused[int(row)] = fused.get(int(row), 0.0) + weight / (RRF_K + rank + 1)
        # An article that carries instructions for an AI reader is quarantined: its passages
        # come after every clean one, so that many of them cannot crowd out the rest.
        ordered = sorted(fused, key=lambda r: (r in self.suspect, -fused[r]))
        hits: list[Hit] = []
        per_doc_count: dict[str, int] = {}
        for row in ordered:
            chunk = self.store.chunks[row]
            if per_doc_count.get(chunk.doc_id, 0) >= per_doc or row in self.not_prose:
                continue  # one article, or a keyword list, cannot take over the top-k
            per_doc_count[chunk.doc_id] = per_doc_count.get(chunk.doc_id, 0) + 1
            hits.append(self._hit(row, similarity, query, len(hits) + 1))
            if len(hits) == k:
                break
        taken = {h.chunk.id for h in hits}
        for row in self._by_sentence(query, best_sentences, filtered) if best_sentences else ():
            chunk = self.store.chunks[row]
            if chunk.id not in taken and row not in self.suspect and row not in self.not_prose:
                hits.append(self._hit(row, similarity, query, len(hits) + 1))
        return hits

    def _hit(self, row: int, similarity: dict[int, float], query: np.ndarray, rank: int) -> Hit:
        sim = similarity.get(row)
        if sim is None:  # not found by the passage search: its cosine, for later scoring
            sim = float(self.store.index.reconstruct(row) @ query[0])
        return Hit(chunk=self.store.chunks[row], score=sim, rank=rank)


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def _largest(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the `n` largest values, largest first (a partial sort)."""
    if n >= len(values):
        return np.argsort(-values)
    top = np.argpartition(-values, n - 1)[:n]
    return top[np.argsort(-values[top])]


@dataclass(frozen=True)
class Allowed:
    """A filter's live rows, as a row mask for BM25, and how FAISS searches them:
    search parameters with a selector, or (few rows under HNSW) their vectors."""

    rows: np.ndarray
    mask: np.ndarray
    params: Any = None
    vectors: np.ndarray | None = None

    @property
    def vector_bytes(self) -> int:
        return 0 if self.vectors is None else self.vectors.nbytes


def _selecting(index: Any, mask: np.ndarray) -> Any:
    """Search parameters that keep to the rows of `mask` (a bitmap: one bit test per
    visited row, where a set of ids costs a hash lookup)."""
    bits = np.packbits(mask, bitorder="little")
    allowed = faiss.IDSelectorBitmap(bits)
    if isinstance(index, faiss.IndexHNSW):
        # the fewer rows allowed, the wider the walk must be to find k of them
        ef = int(index.hnsw.efSearch * min(8, index.ntotal / max(1, int(mask.sum()))))
        params = faiss.SearchParametersHNSW(sel=allowed, efSearch=max(index.hnsw.efSearch, ef))
    else:
        params = faiss.SearchParameters(sel=allowed)
    params.selectors = (allowed, bits)  # held here: FAISS keeps raw pointers to them
    return params


def _sentence_chunks(store: IndexStore) -> np.ndarray:
    """The passage row of each sentence row: the first passage holding it (passages
    overlap by a sentence), -1 for a removed article's sentence."""
    owners = np.full(len(store.sentence_spans), -1, np.int64)
    passages = store.chunk_spans.rows_by_document()
    for doc_id, rows in store.sentence_spans.rows_by_document().items():
        chunk_rows = np.array(passages.get(doc_id, []), np.int64)
        if not len(chunk_rows):
            continue
        # an article's passages in order: the first that ends at or after the sentence
        at = np.searchsorted(
            store.chunk_spans.rows[chunk_rows, 2], store.sentence_spans.rows[rows, 2]
        )
        held = at < len(chunk_rows)
        owners[np.array(rows)[held]] = chunk_rows[at[held]]
    return owners


def _skipping(index: Any, dead: np.ndarray) -> Any:
    """Search parameters that leave out the dead rows (removed articles), or None."""
    if not len(dead):
        return None
    live = np.ones(index.ntotal, dtype=bool)
    live[dead] = False
    return _selecting(index, live)
