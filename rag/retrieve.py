"""Find the passages most relevant to a question: dense FAISS search, BM25, and
reciprocal rank fusion of the two, with a cap on passages per article so that
one source cannot take over the top-k, no place for passages that are not
prose (keyword lists written to win retrieval), and the passages of articles that
address an AI reader (planted instructions, active markup) only after all the others.

No reranker: none ships in a pip package that works offline (see README, "Models").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import bm25s
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

    @classmethod
    def from_store(cls, store: IndexStore, settings: Settings) -> Retriever:
        embedder = get_embedder(settings.embedding_model)
        check_dimension(store, embedder.dim)
        votes = Counter(
            detect_language(c.text) for c in store.chunks[:: max(1, len(store.chunks) // 50)]
        )
        language = votes.most_common(1)[0][0] if votes else "other"
        not_prose = frozenset(
            i for i, c in enumerate(store.chunks) if c.id in store.non_prose_chunks
        )
        planted = store.planted_documents
        suspect = frozenset(i for i, c in enumerate(store.chunks) if c.doc_id in planted)
        return cls(store, embedder, store.bm25, language, not_prose, suspect)

    def search(self, question: str, k: int, hybrid: bool = True, per_doc: int = 3) -> list[Hit]:
        n = len(self.store.chunks)
        if n == 0:
            return []
        query = self.embedder.embed([question], "query")
        depth = min(n, max(4 * k, 20))
        sims, rows = self.store.index.search(query, depth)
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
