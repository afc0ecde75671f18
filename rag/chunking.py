"""Sentence-aware chunking that keeps exact character offsets into the document.

A chunk is a run of whole sentences, about `chunk_chars` long, sharing
`overlap` sentences with its neighbour. `chunk.text == doc.text[start:end]`
always holds, which is what lets a citation point at the exact words.
"""

from __future__ import annotations

import re

from rag.types import Chunk, Document

# Abbreviations after which a period does not end a sentence (fr + en).
_ABBREVIATIONS = {
    "m",
    "mm",
    "mme",
    "mmes",
    "mlle",
    "dr",
    "pr",
    "st",
    "ste",
    "mr",
    "mrs",
    "ms",
    "etc",
    "cf",
    "ex",
    "no",
    "vs",
    "jr",
    "sr",
    "inc",
    "corp",
    "av",
    "apr",
    "env",
}
_BOUNDARY = re.compile(r"[.!?…]+[\"”»’)]*(?=\s+[\"“«(\[]?[A-ZÀ-ÝÉ0-9])|\n+")


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`, shifted by `offset`, no outer spaces."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if match.group(0)[0] == ".":
            word = re.search(r"(\w+)\.$", text[start : match.start() + 1])
            if word and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
                continue
        _add_span(text, start, end, offset, spans)
        start = end
    _add_span(text, start, len(text), offset, spans)
    return spans


def _add_span(text: str, start: int, end: int, offset: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((offset + start + lead, offset + start + lead + len(stripped)))


def chunk_id(doc: Document, start: int, end: int) -> str:
    """From the article's hash and the offsets, so that it survives rebuilds."""
    return f"{doc.sha256[:12]}:{start}-{end}"


def chunk_document(doc: Document, chunk_chars: int, overlap: int) -> list[Chunk]:
    sentences = split_sentences(doc.text)
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i
        while j < len(sentences) and (j == i or sentences[j][1] - sentences[i][0] <= chunk_chars):
            j += 1
        start, end = sentences[i][0], sentences[j - 1][1]
        chunks.append(
            Chunk(
                id=chunk_id(doc, start, end),
                doc_id=doc.id,
                start=start,
                end=end,
                text=doc.text[start:end],
            )
        )
        if j >= len(sentences):
            break
        i = max(j - overlap, i + 1)
    return chunks
