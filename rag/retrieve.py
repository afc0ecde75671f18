"""Find the passages most relevant to a question: dense FAISS search, BM25, and
reciprocal rank fusion of the two, with a cap on passages per article so that
one source cannot take over the top-k, no place for passages that are not
prose (keyword lists written to win retrieval), and the passages of articles that
address an AI reader (planted instructions, active markup) only after all the others.
The rows of removed articles (dead until the index is compacted, see `rag.store`) are
skipped by both searches.

No reranker: none ships in a pip package that works offline (see README, "Models").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import bm25s
import faiss
import numpy as np

from rag.config import Settings
from rag.embed import Embedder, get_embedder
from rag.store import IndexStore, check_dimension
from rag.text import content_terms, detect_language
from rag.types import Hit

RRF_K = 60  # the usual constant of reciprocal rank fusion
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
        )

    def search(self, question: str, k: int, hybrid: bool = True, per_doc: int = 3) -> list[Hit]:
        n = len(self.store.chunks) - len(self.dead)
        if n == 0:
            return []
        query = self.embedder.embed([question], "query")
        depth = min(n, max(4 * k, 20))
        sims, rows = self.store.index.search(query, depth, params=self.dense_params)
        dense_rank = [int(r) for r in rows[0] if r >= 0]
        similarity = {int(r): float(s) for r, s in zip(rows[0], sims[0], strict=True) if r >= 0}
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
            sim = similarity.get(row)
            if sim is None:  # BM25-only hit: compute its cosine for later scoring
                sim = float(self.store.index.reconstruct(row) @ query[0])
            hits.append(Hit(chunk=chunk, score=sim, rank=len(hits) + 1))
            if len(hits) == k:
                break
        return hits


def _skipping(index: Any, dead: np.ndarray) -> Any:
    """Search parameters that leave out the dead rows (removed articles), or None."""
    if not len(dead):
        return None
    removed = faiss.IDSelectorBatch(dead.astype(np.int64))
    selector = faiss.IDSelectorNot(removed)
    if isinstance(index, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=index.hnsw.efSearch)
    else:
        params = faiss.SearchParameters(sel=selector)
    params.selectors = (removed, selector)  # held here: FAISS keeps raw pointers to them
    return params
