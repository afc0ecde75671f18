from __future__ import annotations

import numpy as np
import pytest

from rag.answer import Assistant
from rag.errors import QuestionError, UsageError
from rag.filters import ArticleFilter
from rag.types import Document

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


def test_a_filter_keeps_to_its_articles_and_still_fills_the_top_k(
    assistant: Assistant,
) -> None:
    """The Geneva question's passages are in undated articles; kept to Reuters, the
    search still returns k passages, all from Reuters (filtering after the top k would
    return none)."""
    retriever = assistant.retriever()
    reuters = ArticleFilter(outlet="REUTERS")
    hits = retriever.search("Qui dirige la délégation américaine à Genève ?", 3, only=reuters)
    assert len(hits) == 3 and {h.chunk.doc_id for h in hits} == {A}
    july = ArticleFilter(since="2024-07-15", until="2024-12")  # B is dated 2024-07 only
    hits = retriever.search("Genève", 5, only=july)
    assert hits and {h.chunk.doc_id for h in hits} == {B}
    assert not retriever.search("Genève", 5, only=ArticleFilter(outlet="AFP"))


@pytest.mark.parametrize("exact_up_to", [20_000, 0])  # the rows' own vectors; FAISS's bitmap
def test_filtered_search_is_exact_under_an_approximate_index(
    fresh_settings, monkeypatch, exact_up_to: int
) -> None:
    """HNSW with a filter: the same passages as exact search over the allowed rows."""
    from rag import retrieve
    from rag.config import SAMPLE_CORPUS
    from rag.store import build_index

    monkeypatch.setattr(retrieve, "EXACT_SUBSET_ROWS", exact_up_to)
    settings = fresh_settings.replace(index_type="hnsw")
    build_index([SAMPLE_CORPUS], settings)
    retriever = Assistant(settings).retriever()
    only = ArticleFilter(outlet="Reuters")
    rows = retriever.allowed_rows(only)
    assert rows is not None and len(rows)
    question = "risques de l'intelligence artificielle"
    query = retriever.embedder.embed([question], "query")[0]
    exact = rows[np.argsort(-(retriever.store.vectors()[rows] @ query))][:5]
    hits = retriever.search(question, 5, hybrid=False, per_doc=99, only=only)
    assert [h.chunk.id for h in hits] == [retriever.store.chunks[int(r)].id for r in exact]


def _dated(date: str | None, outlet: str | None = None) -> Document:
    return Document("a.txt", "a.txt", "t", date, outlet, None, "x", "0")


def test_partial_dates_are_ranges_and_undated_articles_are_outside() -> None:
    july = _dated("2024-07")
    assert ArticleFilter(since="2024-07-31").matches(july)  # some day of July is in range
    assert ArticleFilter(until="2024-07-01").matches(july)
    assert not ArticleFilter(since="2024-08").matches(july)
    assert not ArticleFilter(until="2024-06-30").matches(july)
    assert ArticleFilter(since="2023", until="2023").matches(_dated("2023-10-30T09:00"))
    assert not ArticleFilter(since="2000").matches(_dated(None))
    assert not ArticleFilter(since="2000").matches(_dated("30 octobre 2023"))
    assert ArticleFilter(outlet=" le monde ").matches(_dated(None, "Le Monde"))
    assert not ArticleFilter(outlet="Monde").matches(_dated(None, "Le Monde"))


@pytest.mark.parametrize(
    "bad", [{"since": "2024-13"}, {"until": "yesterday"}, {"since": "2024-05", "until": "2023"}]
)
def test_a_malformed_or_inverted_date_range_is_a_usage_error(bad: dict[str, str]) -> None:
    with pytest.raises(UsageError, match=r"since|until"):
        ArticleFilter(**bad)


def test_a_filter_that_matches_nothing_says_what_there_is(assistant: Assistant) -> None:
    settings = assistant.settings.replace(articles=ArticleFilter(outlet="AFP"))
    with pytest.raises(QuestionError, match=r"outlet AFP.*Reuters.*2024-07"):
        assistant.ask("Where were the talks held?", settings)


def test_each_sentence_belongs_to_a_passage_that_holds_it(assistant: Assistant) -> None:
    retriever = assistant.retriever()
    store = retriever.store
    owners = retriever.sentence_chunks
    assert owners is not None and len(owners) == len(store.sentence_spans)
    for row, owner in enumerate(owners.tolist()):
        doc_id, start, end = store.sentence_spans.span(row)
        chunk = store.chunks[owner]
        assert chunk.doc_id == doc_id and chunk.start <= start and end <= chunk.end


def test_the_passage_of_the_nearest_sentence_is_read_past_the_cap(
    assistant: Assistant,
) -> None:
    """dev4 g003: the one sentence saying that Xi Jinping was first invited is in the
    fourth passage of the Reuters article, whose three places go to passages about the
    summit; the nearest sentences' passages are added past the top k and the cap."""
    retriever = assistant.retriever()
    question = "Quel dirigeant chinois avait été convié au départ au sommet britannique ?"
    hits = retriever.search(question, 5, best_sentences=3)
    assert any("Xi Jinping avait été initialement invité" in h.chunk.text for h in hits)
    assert len(hits) <= 5 + 3 and len({h.chunk.id for h in hits}) == len(hits)
