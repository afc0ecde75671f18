from __future__ import annotations

import numpy as np
import pytest

from rag.answer import Assistant

A, B, C, D, E = (
    "000_975379ed672e047b.txt",
    "001_00b606b2294fa235.txt",
    "002_320ec093cdc6cb77.txt",
    "003_381e195bb81b0210.txt",
    "004_a9f9f0043a6eea5a.txt",
)

# Written for this test; several are phrased unlike the articles on purpose.
QUESTIONS = [
    ("Qui la Chine envoie-t-elle au sommet britannique sur l'IA ?", A),
    ("Combien de grands modèles de langage la Chine a-t-elle lancés selon CLSA ?", A),
    ("Quel Premier ministre chinois a parlé à la WAIC de Shanghai ?", B),
    ("Why did the United States limit chip exports to China, according to the WAIC article?", B),
    ("Qui dirige la délégation américaine aux pourparlers de Genève ?", C),
    ("What did Liu Wei say about the chances of cooperation between the two countries?", C),
    ("Which American AI companies held secret safety talks with Chinese experts?", D),
    ("Quelle organisation de médiation a organisé les discussions confidentielles ?", D),
    ("What initiative did the Chinese delegation promote at the UK safety summit?", E),
    (
        "La délégation chinoise veut-elle plus de pays en développement dans la gouvernance ?",
        E,
    ),
    ("Who is Tarun Chhabra?", C),
    ("When were the confidential Geneva meetings held?", D),
]


@pytest.mark.parametrize(("question", "source"), QUESTIONS)
def test_right_article_first(assistant: Assistant, question: str, source: str) -> None:
    hits = assistant.retriever().search(question, 5)
    assert hits[0].chunk.doc_id == source


def test_faiss_equals_brute_force(assistant: Assistant) -> None:
    retriever = assistant.retriever()
    vectors = retriever.store.vectors()
    query = retriever.embedder.embed(["Genève pourparlers"], "query")
    sims, rows = retriever.store.index.search(query, 10)
    brute = np.argsort(-(vectors @ query[0]))[:10]
    assert list(rows[0]) == list(brute)
    assert np.allclose(sims[0], (vectors @ query[0])[brute], atol=1e-5)


def test_one_article_cannot_take_over_the_top_k(assistant: Assistant) -> None:
    hits = assistant.retriever().search("discussions Chine États-Unis Genève", 8, per_doc=3)
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.chunk.doc_id] = counts.get(hit.chunk.doc_id, 0) + 1
    assert max(counts.values()) <= 3
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
