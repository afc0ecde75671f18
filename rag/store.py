"""The index on disk: FAISS vectors, sentence vectors, BM25, JSON metadata and a manifest
that ties them together.

Layout of an index folder:
- `manifest.json`: model, dimension, index type, FAISS version, document hashes,
  and the name and SHA-256 of every data file. It is the commit point:
  it is replaced atomically, after the data files it names are safely on disk.
- `vectors-<hash>.faiss`: the FAISS index (row i is chunk i).
- `metadata-<hash>.json`: documents, chunk and sentence offsets, the articles that
  address an AI reader, the passages that are not prose. Never pickle.
- `sentences-<hash>.npy`: one vector per sentence of the chunks (plain float32 .npy,
  read with `allow_pickle=False`), so that a question embeds only itself.
- `bm25-<hash>/`: the BM25 index (bm25s's own .npy and .json files, no pickle), so that
  a start does not tokenise every passage again.
A crash mid-write leaves the previous manifest pointing at the previous files.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from rag.chunking import chunk_document, split_sentences
from rag.config import Settings
from rag.corpus import Skipped, load_documents
from rag.embed import get_embedder
from rag.errors import IndexProblem
from rag.text import content_terms, looks_like_prose, planted
from rag.types import Chunk, Document

FORMAT_VERSION = 3  # 2: sentence vectors stored with the index; 3: BM25 too
MANIFEST = "manifest.json"
REBUILD_HINT = "run `rag index --rebuild` to build it again from the articles"

Progress = Callable[[str, int, int], None]  # (stage, done, total)
Span = tuple[str, int, int]  # (document id, start, end)


@dataclass
class IndexStore:
    documents: dict[str, Document]
    chunks: list[Chunk]
    index: Any  # faiss.Index
    embedding_model: str
    manifest: dict[str, Any] = field(default_factory=dict)
    sentences: list[Span] = field(default_factory=list)  # row i of sentence_vectors
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    # articles holding a sentence planted for an AI reader (rag.text.planted): suspect
    planted_documents: frozenset[str] = frozenset()
    non_prose_chunks: frozenset[str] = frozenset()  # keyword lists: never ranked
    bm25: bm25s.BM25 | None = None
    _sentence_rows: dict[tuple[str, int], int] = field(default_factory=dict, repr=False)

    def sentence_vector(self, doc_id: str, start: int) -> np.ndarray | None:
        """The stored vector of the sentence starting at `start`, if it was indexed."""
        if not self._sentence_rows and self.sentences:
            self._sentence_rows = {(d, s): i for i, (d, s, _) in enumerate(self.sentences)}
        row = self._sentence_rows.get((doc_id, start))
        return None if row is None else self.sentence_vectors[row]

    def vectors(self) -> np.ndarray:
        if self.index.ntotal == 0:
            return np.zeros((0, self.index.d), dtype=np.float32)
        return self.index.reconstruct_n(0, self.index.ntotal)

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return [c for c in self.chunks if c.doc_id == doc_id]


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


# ---------------------------------------------------------------- files


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename over `path`."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def index_lock(index_dir: Path, timeout_s: float = 60.0) -> Iterator[None]:
    """Exclusive lock so that two indexing runs never write the same index at once."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise IndexProblem(
                        f"another indexing run holds {index_dir / '.lock'}; try again later"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


AUTO_HNSW_FROM = 20_000  # passages; below, exact search takes under a millisecond or two


def resolve_index_type(index_type: str, passages: int) -> str:
    if index_type == "auto":
        return "hnsw" if passages >= AUTO_HNSW_FROM else "flat"
    return index_type


def new_faiss_index(dim: int, index_type: str) -> Any:
    if index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 256  # 100k passages: recall@10 0.997, p95 0.7 ms (bench_scale)
        return index
    return faiss.IndexFlatIP(dim)


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
    return buffer.getvalue()


def save(store: IndexStore, index_dir: Path, index_type: str) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    vectors_bytes = faiss.serialize_index(store.index).tobytes()
    sentences_bytes = _npy_bytes(store.sentence_vectors)
    metadata = {
        "documents": [asdict(d) for d in store.documents.values()],
        "chunks": [[c.id, c.doc_id, c.start, c.end] for c in store.chunks],
        "sentences": [list(span) for span in store.sentences],
        "planted_documents": sorted(store.planted_documents),
        "non_prose_chunks": sorted(store.non_prose_chunks),
    }
    metadata_bytes = json.dumps(metadata, ensure_ascii=False).encode("utf-8")
    v_sha, m_sha, s_sha = (_sha256(b) for b in (vectors_bytes, metadata_bytes, sentences_bytes))
    v_name, m_name = f"vectors-{v_sha[:16]}.faiss", f"metadata-{m_sha[:16]}.json"
    s_name = f"sentences-{s_sha[:16]}.npy"
    _write_atomic(index_dir / v_name, vectors_bytes)
    _write_atomic(index_dir / m_name, metadata_bytes)
    _write_atomic(index_dir / s_name, sentences_bytes)
    bm25_dir, bm25_files = _save_bm25(store.bm25, index_dir)
    manifest = {
        "format": FORMAT_VERSION,
        "embedding_model": store.embedding_model,
        "dim": int(store.index.d),
        "metric": "inner_product",
        "normalised": True,
        "index_type": index_type,
        "faiss_version": faiss.__version__,
        "vector_count": int(store.index.ntotal),
        "vectors_file": v_name,
        "vectors_sha256": v_sha,
        "metadata_file": m_name,
        "metadata_sha256": m_sha,
        "sentences_file": s_name,
        "sentences_sha256": s_sha,
        "sentence_count": len(store.sentences),
        "bm25_dir": bm25_dir,
        "bm25_files": bm25_files,
        "documents": {d.id: d.sha256 for d in store.documents.values()},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    manifest_bytes = json.dumps(manifest, indent=1).encode("utf-8")
    _write_atomic(index_dir / MANIFEST, manifest_bytes)
    store.manifest = {**manifest, "manifest_sha256": _sha256(manifest_bytes)}
    for old in index_dir.glob("*"):  # data files the new manifest no longer names
        data_file = old.name.startswith(("vectors-", "metadata-", "sentences-"))
        if data_file and old.name not in (v_name, m_name, s_name):
            old.unlink(missing_ok=True)
        elif old.name.startswith("bm25-") and old.name != bm25_dir:
            shutil.rmtree(old, ignore_errors=True)


def bm25_index(chunks: list[Chunk]) -> bm25s.BM25 | None:
    """BM25 over accent-folded, truncation-stemmed content words."""
    if not chunks:
        return None
    bm25 = bm25s.BM25()
    bm25.index([content_terms(c.text) or ["_"] for c in chunks], show_progress=False)
    return bm25


def _save_bm25(bm25: bm25s.BM25 | None, index_dir: Path) -> tuple[str | None, dict[str, str]]:
    """bm25s's files in a folder named by their checksums; (folder, file → SHA-256)."""
    if bm25 is None:
        return None, {}
    tmp = index_dir / f".bm25-tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    bm25.save(str(tmp))
    files = {p.name: _sha256(p.read_bytes()) for p in sorted(tmp.iterdir())}
    name = "bm25-" + _sha256(json.dumps(files, sort_keys=True).encode())[:16]
    if (index_dir / name).exists():
        shutil.rmtree(tmp)
    else:
        os.replace(tmp, index_dir / name)
    return name, files


def _load_bm25(index_dir: Path, name: str | None, files: dict[str, str]) -> bm25s.BM25 | None:
    if name is None:
        return None
    for file, sha in files.items():
        _read_checked(index_dir / name / file, sha)
    try:
        return bm25s.BM25.load(str(index_dir / name))
    except (OSError, ValueError, KeyError) as exc:
        raise IndexProblem(f"the BM25 index {name} is unreadable; {REBUILD_HINT}") from exc


def _read_checked(path: Path, expected_sha: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IndexProblem(f"index file {path.name} is missing; {REBUILD_HINT}") from exc
    if _sha256(data) != expected_sha:
        raise IndexProblem(f"index file {path.name} is corrupt (checksum mismatch); {REBUILD_HINT}")
    return data


def load(index_dir: Path, settings: Settings) -> IndexStore:
    """Load and check an index; every problem is an `IndexProblem` that says what to do."""
    manifest_path = index_dir / MANIFEST
    if not manifest_path.exists():
        raise IndexProblem(f"no index in {index_dir}; run `rag index` first")
    try:
        manifest_bytes = manifest_path.read_bytes()
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexProblem(f"the index was written by another version of rag; {REBUILD_HINT}")
        v_name, m_name = manifest["vectors_file"], manifest["metadata_file"]
        v_sha, m_sha = manifest["vectors_sha256"], manifest["metadata_sha256"]
        s_name, s_sha = manifest["sentences_file"], manifest["sentences_sha256"]
        bm25_dir, bm25_files = manifest["bm25_dir"], dict(manifest["bm25_files"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexProblem(f"the index manifest is unreadable; {REBUILD_HINT}") from exc
    if manifest.get("embedding_model") != settings.embedding_model:
        raise IndexProblem(
            f"the index was built with embedding model '{manifest.get('embedding_model')}', "
            f"but the settings ask for '{settings.embedding_model}'; {REBUILD_HINT}"
        )
    index = faiss.deserialize_index(
        np.frombuffer(_read_checked(index_dir / v_name, v_sha), np.uint8)
    )
    metadata = json.loads(_read_checked(index_dir / m_name, m_sha).decode("utf-8"))
    documents = {d["id"]: Document(**d) for d in metadata["documents"]}
    chunks = [
        Chunk(id=cid, doc_id=doc_id, start=s, end=e, text=documents[doc_id].text[s:e])
        for cid, doc_id, s, e in metadata["chunks"]
    ]
    if index.ntotal != len(chunks) or index.ntotal != manifest.get("vector_count"):
        raise IndexProblem(
            f"the index has {index.ntotal} vectors for {len(chunks)} chunks; {REBUILD_HINT}"
        )
    if index.d != manifest.get("dim"):
        raise IndexProblem(f"the index dimension does not match its manifest; {REBUILD_HINT}")
    sentences = [(d, int(a), int(b)) for d, a, b in metadata["sentences"]]
    try:
        sentence_vectors = np.load(
            io.BytesIO(_read_checked(index_dir / s_name, s_sha)), allow_pickle=False
        )
    except ValueError as exc:
        raise IndexProblem(f"index file {s_name} is unreadable; {REBUILD_HINT}") from exc
    if sentence_vectors.shape != (len(sentences), index.d) and sentences:
        raise IndexProblem(
            f"the index has {len(sentence_vectors)} sentence vectors for {len(sentences)} "
            f"sentences; {REBUILD_HINT}"
        )
    manifest["manifest_sha256"] = _sha256(manifest_bytes)  # provenance of every answer
    return IndexStore(
        documents,
        chunks,
        index,
        settings.embedding_model,
        manifest,
        sentences,
        sentence_vectors,
        frozenset(metadata["planted_documents"]),
        frozenset(metadata["non_prose_chunks"]),
        _load_bm25(index_dir, bm25_dir, bm25_files),
    )


def check_dimension(store: IndexStore, dim: int) -> None:
    if store.index.d != dim:
        raise IndexProblem(
            f"the index holds {store.index.d}-dimensional vectors but the embedding model "
            f"gives {dim}; {REBUILD_HINT}"
        )


# ---------------------------------------------------------------- building


def build_index(
    paths: list[Path],
    settings: Settings,
    *,
    rebuild: bool = False,
    prune: bool = True,
    progress: Progress | None = None,
) -> tuple[IndexStore, BuildReport]:
    """Bring the index in line with the articles under `paths`, embedding only what changed.

    With `prune`, articles no longer under `paths` leave the index; without it
    (adding uploads), they stay.
    """
    started = time.perf_counter()
    index_dir = settings.index_dir
    with index_lock(index_dir):
        old = None if rebuild or not (index_dir / MANIFEST).exists() else load(index_dir, settings)
        loaded = load_documents(paths, settings.max_file_bytes)
        report = BuildReport(skipped=loaded.skipped)
        wanted = {d.id: d for d in loaded.documents}
        kept_docs: dict[str, Document] = {}
        kept_rows: list[int] = []
        kept_chunks: list[Chunk] = []
        kept_sentences: list[int] = []
        if old is not None:
            old_by_hash = {d.sha256: d.id for d in old.documents.values()}
            chunk_rows = _rows_by_document(c.doc_id for c in old.chunks)
            sentence_rows = _rows_by_document(doc_id for doc_id, _, _ in old.sentences)
            for doc_id, doc in old.documents.items():
                new = wanted.get(doc_id)
                if (new is not None and new.sha256 == doc.sha256) or (new is None and not prune):
                    kept_docs[doc_id] = doc
                    rows = chunk_rows.get(doc_id, [])
                    kept_rows += rows
                    kept_chunks += [old.chunks[i] for i in rows]
                    kept_sentences += sentence_rows.get(doc_id, [])
                    if new is not None:
                        report.unchanged.append(doc_id)
                elif new is None:
                    report.removed.append(doc_id)
            for doc in list(wanted.values()):
                twin = old_by_hash.get(doc.sha256)
                if doc.id not in old.documents and twin in kept_docs and twin != doc.id:
                    report.skipped.append(Skipped(doc.path, f"duplicate of {twin}"))
                    del wanted[doc.id]
        to_embed = [d for d in wanted.values() if d.id not in kept_docs]
        for doc in to_embed:
            exists = old is not None and doc.id in old.documents
            (report.updated if exists else report.added).append(doc.id)
        same_type = old is not None and old.manifest.get("index_type") == resolve_index_type(
            settings.index_type, len(old.chunks)
        )
        if old is not None and not report.changed and same_type:
            report.seconds = time.perf_counter() - started
            return old, report

        embedder = get_embedder(settings.embedding_model)
        new_chunks = [
            c
            for d in to_embed
            for c in chunk_document(d, settings.chunk_chars, settings.chunk_overlap_sentences)
        ]
        if old is not None:
            check_dimension(old, embedder.dim)
        new_vectors = _embed_passages([c.text for c in new_chunks], embedder, progress)
        new_sentences = sentence_spans(new_chunks)
        texts = {d.id: d.text for d in to_embed}
        new_sentence_vectors = _embed_passages(
            [texts[d][a:b] for d, a, b in new_sentences], embedder, progress, "sentences"
        )
        empty = np.zeros((0, embedder.dim), np.float32)
        old_sentence_vectors = (
            old.sentence_vectors[kept_sentences] if old is not None and kept_sentences else empty
        )
        index_type = resolve_index_type(settings.index_type, len(kept_chunks) + len(new_chunks))
        if (
            old is not None
            and kept_rows == list(range(len(old.chunks)))
            and old.manifest.get("index_type") == index_type
        ):  # only additions: append to the index as it is (HNSW is not rebuilt)
            index = old.index
            if len(new_vectors):
                index.add(new_vectors.astype(np.float32))
        else:  # something left: rebuild from the stored vectors (HNSW cannot remove)
            old_vectors = old.vectors()[kept_rows] if old is not None and kept_rows else empty
            index = new_faiss_index(embedder.dim, index_type)
            all_vectors = np.vstack([old_vectors, new_vectors]).astype(np.float32)
            if len(all_vectors):
                index.add(all_vectors)
        documents = {**kept_docs, **{d.id: d for d in to_embed}}
        store = IndexStore(
            documents,
            kept_chunks + new_chunks,
            index,
            settings.embedding_model,
            sentences=[old.sentences[i] for i in kept_sentences] + new_sentences
            if old is not None
            else new_sentences,
            sentence_vectors=np.vstack([old_sentence_vectors, new_sentence_vectors]),
            planted_documents=frozenset(
                [d for d in kept_docs if old is not None and d in old.planted_documents]
                + [d for d, a, b in new_sentences if planted(texts[d][a:b])]
            ),
            non_prose_chunks=frozenset(
                [c.id for c in kept_chunks if old is not None and c.id in old.non_prose_chunks]
                + [c.id for c in new_chunks if not looks_like_prose(c.text)]
            ),
            bm25=bm25_index(kept_chunks + new_chunks),
        )
        save(store, index_dir, index_type)
        report.chunks_embedded = len(new_chunks)
        report.seconds = time.perf_counter() - started
        return store, report


def _rows_by_document(doc_ids: Iterable[str]) -> dict[str, list[int]]:
    """Row numbers of each document, in order: one pass, not one scan per document."""
    rows: dict[str, list[int]] = {}
    for i, doc_id in enumerate(doc_ids):
        rows.setdefault(doc_id, []).append(i)
    return rows


def sentence_spans(chunks: list[Chunk]) -> list[Span]:
    """Each sentence of the chunks once (chunks overlap), split exactly as answers split them."""
    seen: set[tuple[str, int]] = set()
    spans: list[Span] = []
    for chunk in chunks:
        for start, end in split_sentences(chunk.text, offset=chunk.start):
            if (chunk.doc_id, start) not in seen:
                seen.add((chunk.doc_id, start))
                spans.append((chunk.doc_id, start, end))
    return spans


def _embed_passages(
    texts: list[str], embedder: Any, progress: Progress | None, stage: str = "passages"
) -> np.ndarray:
    batches = [texts[i : i + 16] for i in range(0, len(texts), 16)]
    parts = [np.zeros((0, embedder.dim), np.float32)]
    for i, batch in enumerate(batches):
        parts.append(embedder.embed(batch, "passage"))
        if progress:
            progress(f"embedding {stage}", min((i + 1) * 16, len(texts)), len(texts))
    return np.vstack(parts)
