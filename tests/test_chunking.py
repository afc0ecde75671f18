from __future__ import annotations

import itertools

from rag.chunking import chunk_document, split_sentences
from rag.config import SAMPLE_CORPUS
from rag.corpus import load_documents


def test_chunks_map_back_to_the_exact_text() -> None:
    for doc in load_documents([SAMPLE_CORPUS], 10**7).documents:
        chunks = chunk_document(doc, chunk_chars=500, overlap=1)
        assert chunks
        covered = set()
        for chunk in chunks:
            assert chunk.text == doc.text[chunk.start : chunk.end]
            assert chunk.id == f"{doc.sha256[:12]}:{chunk.start}-{chunk.end}"
            covered.update(range(chunk.start, chunk.end))
        # every sentence of the article lies in some chunk
        for start, end in split_sentences(doc.text):
            assert set(range(start, end)) <= covered


def test_neighbouring_chunks_overlap_by_a_sentence() -> None:
    doc = load_documents([SAMPLE_CORPUS], 10**7).documents[2]
    chunks = chunk_document(doc, chunk_chars=400, overlap=1)
    pairs = list(itertools.pairwise(chunks))
    multi = [(a, b) for a, b in pairs if len(split_sentences(a.text)) > 1]
    assert multi and all(b.start < a.end for a, b in multi)


def test_sentence_split_keeps_abbreviations() -> None:
    text = "Selon M. Wang, la réunion a eu lieu. Elle était utile ! Puis la suite"
    spans = [text[s:e] for s, e in split_sentences(text)]
    assert spans == ["Selon M. Wang, la réunion a eu lieu.", "Elle était utile !", "Puis la suite"]
