"""The index on disk: FAISS vectors, sentence vectors, BM25, JSON metadata and a manifest
that ties them together.

Layout of an index folder:
- `manifest.json`: model, dimension, index type, FAISS version, document hashes,
  and the name and SHA-256 of every data file. It is the commit point:
  it is replaced atomically, after the data files it names are safely on disk.
- `vectors-<hash>.faiss`: the FAISS index (row i is chunk i).
- `metadata-<hash>.json`: the articles, the ones that address an AI reader, the rows
  that are not prose, and the article of each code in the span tables. Never pickle.
- `spans-<hash>.npz`: what each row stands for (`rag.tables`): (article code, start,
  end) per chunk and per sentence, int32, read with `allow_pickle=False`.
- `sentences-<hash>.npy`: one vector per sentence of the chunks (plain float32 .npy,
  memory-mapped), so that a question embeds only itself.
- `bm25-<hash>/`: the BM25 index (bm25s's own .npy and .json files, no pickle), so that
  a start does not tokenise every passage again.
A crash mid-write leaves the previous manifest pointing at the previous files.

A removed article's rows are marked dead instead of being cut out: its chunks and
sentences vanish from every answer at once, and the vector, sentence and BM25 files are
kept as they are. Once dead rows pass `COMPACT_AT` of the index, the next change
rebuilds it without them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import mmap
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from rag.chunking import chunk_document, split_sentences
from rag.config import Settings
from rag.corpus import FileSignature, Skipped, load_documents
from rag.embed import get_embedder
from rag.errors import IndexProblem
from rag.tables import DEAD, ChunkTable, Span, SpanTable
from rag.text import content_terms, looks_like_prose, planted
from rag.types import Chunk, Document

# 2: sentence vectors stored with the index; 3: BM25 too; 4: span tables, dead rows
FORMAT_VERSION = 4
MANIFEST = "manifest.json"
REBUILD_HINT = "run `rag index --rebuild` to build it again from the articles"
COMPACT_AT = 0.10  # share of dead rows past which the next change leaves them out

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IndexStore:
    documents: dict[str, Document]
    chunk_spans: SpanTable  # row i of `index`
    index: Any  # faiss.Index
    embedding_model: str
    manifest: dict[str, Any] = field(default_factory=dict)
    sentence_spans: SpanTable = field(default_factory=lambda: SpanTable.from_spans([]))
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    # articles holding a sentence planted for an AI reader (rag.text.planted): suspect
    planted_documents: frozenset[str] = frozenset()
    non_prose_rows: frozenset[int] = frozenset()  # keyword lists: never ranked
    bm25: bm25s.BM25 | None = None
    # article → the file it was read from (path, size, mtime), so that an unchanged
    # file is not read again at the next indexing run
    signatures: dict[str, FileSignature] = field(default_factory=dict)

    @property
    def chunks(self) -> ChunkTable:
        return ChunkTable(self.chunk_spans, self.documents)

    def sentence_vector(self, doc_id: str, start: int) -> np.ndarray | None:
        """The stored vector of the sentence starting at `start`, if it was indexed."""
        row = self.sentence_spans.find(doc_id, start)
        return None if row is None else self.sentence_vectors[row]

    def vectors(self) -> np.ndarray:
        if self.index.ntotal == 0:
            return np.zeros((0, self.index.d), dtype=np.float32)
        return self.index.reconstruct_n(0, self.index.ntotal)


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


def _spans_bytes(store: IndexStore) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, chunks=store.chunk_spans.rows, sentences=store.sentence_spans.rows)
    return buffer.getvalue()


# The files a removal leaves as they are: their rows stay, the dead ones skipped.
ROW_ALIGNED = ("vectors", "sentences", "bm25")


def _kept_keys(*parts: str) -> list[str]:
    """The manifest entries that name the files of `parts`."""
    pairs = [
        ("bm25_dir", "bm25_files") if part == "bm25" else (f"{part}_file", f"{part}_sha256")
        for part in parts
    ]
    return [key for pair in pairs for key in pair]


def save(store: IndexStore, index_dir: Path, index_type: str) -> None:
    """Write the parts `store.manifest` does not already name, then the manifest."""
    index_dir.mkdir(parents=True, exist_ok=True)
    metadata = {
        "documents": [asdict(d) for d in store.documents.values()],
        "chunk_doc_ids": store.chunk_spans.doc_ids,
        "sentence_doc_ids": store.sentence_spans.doc_ids,
        "planted_documents": sorted(store.planted_documents),
        "non_prose_rows": sorted(store.non_prose_rows),
        "file_signatures": store.signatures,
    }
    kept = _kept_keys(*ROW_ALIGNED, "spans")
    files = {key: store.manifest[key] for key in kept if key in store.manifest}
    parts = {
        "metadata": ("json", lambda: json.dumps(metadata, ensure_ascii=False).encode("utf-8")),
        "spans": ("npz", lambda: _spans_bytes(store)),
        "vectors": ("faiss", lambda: faiss.serialize_index(store.index).tobytes()),
        "sentences": ("npy", lambda: _npy_bytes(store.sentence_vectors)),
    }
    for part, (extension, to_bytes) in parts.items():
        if f"{part}_file" in files:
            continue  # unchanged: its file stays as it is
        data = to_bytes()
        sha = _sha256(data)
        files[f"{part}_file"], files[f"{part}_sha256"] = f"{part}-{sha[:16]}.{extension}", sha
        _write_atomic(index_dir / files[f"{part}_file"], data)
    if "bm25_dir" not in files:
        files["bm25_dir"], files["bm25_files"] = _save_bm25(store.bm25, index_dir)
    manifest = {
        "format": FORMAT_VERSION,
        "embedding_model": store.embedding_model,
        "dim": int(store.index.d),
        "metric": "inner_product",
        "normalised": True,
        "index_type": index_type,
        "faiss_version": faiss.__version__,
        "vector_count": int(store.index.ntotal),
        "dead_rows": len(store.chunk_spans.dead_rows()),
        "sentence_count": len(store.sentence_spans),
        **files,
        "documents": {d.id: d.sha256 for d in store.documents.values()},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    manifest_bytes = json.dumps(manifest, indent=1).encode("utf-8")
    _write_atomic(index_dir / MANIFEST, manifest_bytes)
    store.manifest = {**manifest, "manifest_sha256": _sha256(manifest_bytes)}
    named = {files[f"{part}_file"] for part in parts} | {files["bm25_dir"]}
    for old in index_dir.glob("*-*"):  # data files the new manifest no longer names
        if old.name in named or not old.name.startswith((*parts, "bm25-")):
            continue
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


def bm25_index(texts: list[str]) -> bm25s.BM25 | None:
    """BM25 over accent-folded, truncation-stemmed content words; row i is text i
    (a dead row's text is empty)."""
    if not texts:
        return None
    bm25 = bm25s.BM25()
    bm25.index([content_terms(text) or ["_"] for text in texts], show_progress=False)
    return bm25


def _save_bm25(bm25: bm25s.BM25 | None, index_dir: Path) -> tuple[str | None, dict[str, str]]:
    """bm25s's files in a folder named by their checksums; (folder, file → SHA-256)."""
    if bm25 is None:
        return None, {}
    tmp = index_dir / f".bm25-tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    bm25.save(str(tmp))
    files = {p.name: _file_sha256(p) for p in sorted(tmp.iterdir())}
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
        _check_file(index_dir / name / file, sha)
    try:
        return bm25s.BM25.load(str(index_dir / name))
    except (OSError, ValueError, KeyError) as exc:
        raise IndexProblem(f"the BM25 index {name} is unreadable; {REBUILD_HINT}") from exc


def _file_sha256(path: Path) -> str:
    """Read through a memory map: no copy of a 300 MB file in memory."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return _sha256(b"")  # an empty file cannot be mapped
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return hashlib.sha256(mapped).hexdigest()


def _check_file(path: Path, expected_sha: str) -> Path:
    try:
        sha = _file_sha256(path)
    except OSError as exc:
        raise IndexProblem(f"index file {path.name} is missing; {REBUILD_HINT}") from exc
    if sha != expected_sha:
        raise IndexProblem(f"index file {path.name} is corrupt (checksum mismatch); {REBUILD_HINT}")
    return path


def _read_manifest(index_dir: Path, settings: Settings) -> tuple[dict[str, Any], bytes]:
    manifest_path = index_dir / MANIFEST
    if not manifest_path.exists():
        raise IndexProblem(f"no index in {index_dir}; run `rag index` first")
    try:
        manifest_bytes = manifest_path.read_bytes()
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexProblem(f"the index was written by another version of rag; {REBUILD_HINT}")
        missing = [k for k in _kept_keys(*ROW_ALIGNED, "spans", "metadata") if k not in manifest]
        if missing or not isinstance(manifest["bm25_files"], dict):
            raise ValueError(f"missing or malformed: {missing or 'bm25_files'}")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexProblem(f"the index manifest is unreadable; {REBUILD_HINT}") from exc
    if manifest.get("embedding_model") != settings.embedding_model:
        raise IndexProblem(
            f"the index was built with embedding model '{manifest.get('embedding_model')}', "
            f"but the settings ask for '{settings.embedding_model}'; {REBUILD_HINT}"
        )
    return manifest, manifest_bytes


def _span_table(
    spans: Any, key: str, doc_ids: list[str], documents: dict[str, Document]
) -> SpanTable:
    rows = spans[key]
    if rows.dtype != np.int32 or rows.ndim != 2 or rows.shape[1] != 3:
        raise ValueError(f"{key}: not an (n, 3) int32 table")
    codes = np.unique(rows[:, 0])
    if len(codes) and (codes[0] < DEAD or codes[-1] >= len(doc_ids)):
        raise ValueError(f"{key}: an article code out of range")
    if any(doc_ids[c] not in documents for c in codes if c != DEAD):
        raise ValueError(f"{key}: a row of an article the index does not hold")
    return SpanTable(doc_ids, rows)


def load(index_dir: Path, settings: Settings) -> IndexStore:
    """Load and check an index; every problem is an `IndexProblem` that says what to do."""
    manifest, manifest_bytes = _read_manifest(index_dir, settings)

    def checked(part: str) -> Path:
        return _check_file(index_dir / manifest[f"{part}_file"], manifest[f"{part}_sha256"])

    try:
        index = faiss.read_index(str(checked("vectors")))
        metadata = json.loads(checked("metadata").read_bytes().decode("utf-8"))
        documents = {d["id"]: Document(**d) for d in metadata["documents"]}
        with np.load(checked("spans"), allow_pickle=False) as spans:
            chunk_spans = _span_table(spans, "chunks", metadata["chunk_doc_ids"], documents)
            sentence_spans = _span_table(
                spans, "sentences", metadata["sentence_doc_ids"], documents
            )
        # memory-mapped: pages are read when a question needs their sentences
        sentence_vectors = np.load(checked("sentences"), mmap_mode="r", allow_pickle=False)
    except IndexProblem:
        raise
    except (RuntimeError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IndexProblem(f"the index files are unreadable ({exc}); {REBUILD_HINT}") from exc
    if index.ntotal != len(chunk_spans) or index.ntotal != manifest.get("vector_count"):
        raise IndexProblem(
            f"the index has {index.ntotal} vectors for {len(chunk_spans)} chunks; {REBUILD_HINT}"
        )
    if index.d != manifest.get("dim"):
        raise IndexProblem(f"the index dimension does not match its manifest; {REBUILD_HINT}")
    if len(sentence_spans) and sentence_vectors.shape != (len(sentence_spans), index.d):
        raise IndexProblem(
            f"the index has {len(sentence_vectors)} sentence vectors for {len(sentence_spans)} "
            f"sentences; {REBUILD_HINT}"
        )
    manifest["manifest_sha256"] = _sha256(manifest_bytes)  # provenance of every answer
    return IndexStore(
        documents,
        chunk_spans,
        index,
        settings.embedding_model,
        manifest,
        sentence_spans,
        sentence_vectors,
        frozenset(metadata["planted_documents"]),
        frozenset(int(r) for r in metadata["non_prose_rows"]),
        _load_bm25(index_dir, manifest["bm25_dir"], dict(manifest["bm25_files"])),
        {d: (str(p), int(n), int(t)) for d, (p, n, t) in metadata["file_signatures"].items()},
    )


def check_dimension(store: IndexStore, dim: int) -> None:
    if store.index.d != dim:
        raise IndexProblem(
            f"the index holds {store.index.d}-dimensional vectors but the embedding model "
            f"gives {dim}; {REBUILD_HINT}"
        )


# ---------------------------------------------------------------- building


@dataclass
class _NewRows:
    """What this change embedded: chunks with their vectors, sentences with theirs."""

    texts: dict[str, str]  # the new articles' text, by id
    chunks: list[Chunk]
    vectors: np.ndarray
    sentences: list[Span]
    sentence_vectors: np.ndarray

    def planted_documents(self) -> set[str]:
        return {d for d, a, b in self.sentences if planted(self.texts[d][a:b])}

    def non_prose(self, first_row: int) -> set[int]:
        return {first_row + i for i, c in enumerate(self.chunks) if not looks_like_prose(c.text)}


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
        known = {} if old is None else {s: old.documents[d] for d, s in old.signatures.items()}
        loaded = load_documents(paths, settings.max_file_bytes, known)
        report = BuildReport(skipped=loaded.skipped)
        wanted = {d.id: d for d in loaded.documents}
        kept: dict[str, Document] = {}
        if old is not None:
            old_by_hash = {d.sha256: d.id for d in old.documents.values()}
            for doc_id, doc in old.documents.items():
                new = wanted.get(doc_id)
                if (new is not None and new.sha256 == doc.sha256) or (new is None and not prune):
                    kept[doc_id] = doc
                    if new is not None:
                        report.unchanged.append(doc_id)
                elif new is None:
                    report.removed.append(doc_id)
            for doc in list(wanted.values()):
                twin = old_by_hash.get(doc.sha256)
                if doc.id not in old.documents and twin in kept and twin != doc.id:
                    report.skipped.append(Skipped(doc.path, f"duplicate of {twin}"))
                    del wanted[doc.id]
        to_embed = [d for d in wanted.values() if d.id not in kept]
        for doc in to_embed:
            exists = old is not None and doc.id in old.documents
            (report.updated if exists else report.added).append(doc.id)
        live = len(old.chunk_spans.live_rows()) if old is not None else 0
        same_type = old is not None and old.manifest.get("index_type") == resolve_index_type(
            settings.index_type, live
        )
        if old is not None and not report.changed and same_type:
            signatures = _signatures(old, loaded.signatures)
            if signatures != old.signatures:  # files that have settled since: noted
                index_type = old.manifest["index_type"]
                old.signatures = signatures
                old.manifest = {k: old.manifest[k] for k in _kept_keys(*ROW_ALIGNED, "spans")}
                save(old, index_dir, index_type)
            report.seconds = time.perf_counter() - started
            return old, report

        embedder = get_embedder(settings.embedding_model)
        if old is not None:
            check_dimension(old, embedder.dim)
        new = _embed_new(to_embed, settings, embedder, progress)
        documents = {**kept, **{d.id: d for d in to_embed}}
        gone = [d for d in (old.documents if old else {}) if d not in kept]
        index_type = resolve_index_type(
            settings.index_type, live - _row_count(old, gone) + len(new.chunks)
        )
        if old is not None and _patchable(old, gone, new, index_type):
            store = _patched(old, documents, gone, new)
        else:
            empty = _empty_store(new.vectors.shape[1], settings.embedding_model)
            store = _rebuilt(old or empty, documents, kept, new, index_type)
        store.signatures = _signatures(store, loaded.signatures, old)
        save(store, index_dir, index_type)
        report.chunks_embedded = len(new.chunks)
        report.seconds = time.perf_counter() - started
        return store, report


def _signatures(
    store: IndexStore, found: dict[str, FileSignature], old: IndexStore | None = None
) -> dict[str, FileSignature]:
    """The file signature of each article of `store`: as found now, else as before."""
    before = (old or store).signatures
    return {d: sig for d in store.documents if (sig := found.get(d) or before.get(d)) is not None}


def _embed_new(
    docs: list[Document], settings: Settings, embedder: Any, progress: Progress | None
) -> _NewRows:
    chunks = [
        c
        for d in docs
        for c in chunk_document(d, settings.chunk_chars, settings.chunk_overlap_sentences)
    ]
    vectors = _embed_passages([c.text for c in chunks], embedder, progress)
    sentences = sentence_spans(chunks)
    texts = {d.id: d.text for d in docs}
    sentence_vectors = _embed_passages(
        [texts[d][a:b] for d, a, b in sentences], embedder, progress, "sentences"
    )
    return _NewRows(texts, chunks, vectors, sentences, sentence_vectors)


def _row_count(store: IndexStore | None, doc_ids: list[str]) -> int:
    return len(store.chunk_spans.rows_of(doc_ids)) if store is not None and doc_ids else 0


def _patchable(old: IndexStore, gone: list[str], new: _NewRows, index_type: str) -> bool:
    """Patch the index in place (append, mark dead) while dead rows stay few."""
    if old.manifest.get("index_type") != index_type:
        return False
    rows = len(old.chunk_spans) + len(new.chunks)
    dead = len(old.chunk_spans.dead_rows()) + _row_count(old, gone)
    return dead <= COMPACT_AT * rows


def _patched(
    old: IndexStore, documents: dict[str, Document], gone: list[str], new: _NewRows
) -> IndexStore:
    """The old index with the gone articles' rows dead and the new rows appended: no row
    moves, so FAISS (HNSW too) only grows, and unchanged files are kept."""
    chunk_spans = old.chunk_spans.removing(gone).adding(
        (c.doc_id, c.start, c.end) for c in new.chunks
    )
    dead = set(old.chunk_spans.rows_of(gone).tolist())
    store = IndexStore(
        documents,
        chunk_spans,
        old.index,
        old.embedding_model,
        sentence_spans=old.sentence_spans.removing(gone).adding(new.sentences),
        sentence_vectors=np.vstack([old.sentence_vectors, new.sentence_vectors])
        if len(new.sentences)
        else old.sentence_vectors,
        planted_documents=frozenset((old.planted_documents - set(gone)) | new.planted_documents()),
        non_prose_rows=frozenset((old.non_prose_rows - dead) | new.non_prose(len(old.chunk_spans))),
        bm25=old.bm25,
    )
    if new.chunks:  # bm25s cannot append: a new BM25 over the same rows, dead ones empty
        store.index.add(new.vectors.astype(np.float32))
        store.bm25 = bm25_index(store.chunks.texts())
    else:  # only removals: the vector, sentence and BM25 files stay as they are
        store.manifest = {key: old.manifest[key] for key in _kept_keys(*ROW_ALIGNED)}
    return store


def _empty_store(dim: int, embedding_model: str) -> IndexStore:
    """What a first build starts from."""
    return IndexStore(
        {},
        SpanTable.from_spans([]),
        new_faiss_index(dim, "flat"),
        embedding_model,
        sentence_vectors=np.zeros((0, dim), np.float32),
    )


def _rebuilt(
    old: IndexStore,
    documents: dict[str, Document],
    kept: dict[str, Document],
    new: _NewRows,
    index_type: str,
) -> IndexStore:
    """A new index from the kept articles' stored vectors and the new ones: dead rows
    left out, row order by article."""
    chunks_by_doc = old.chunk_spans.rows_by_document()
    sentences_by_doc = old.sentence_spans.rows_by_document()
    chunk_rows = [r for doc_id in kept for r in chunks_by_doc.get(doc_id, [])]
    sentence_rows = [r for doc_id in kept for r in sentences_by_doc.get(doc_id, [])]
    index = new_faiss_index(new.vectors.shape[1], index_type)
    vectors = np.vstack([old.vectors()[chunk_rows], new.vectors]).astype(np.float32)
    if len(vectors):
        index.add(vectors)
    chunks = [old.chunks[r] for r in chunk_rows] + new.chunks
    old_sentences = [old.sentence_spans.span(r) for r in sentence_rows]
    return IndexStore(
        documents,
        SpanTable.from_spans((c.doc_id, c.start, c.end) for c in chunks),
        index,
        old.embedding_model,
        sentence_spans=SpanTable.from_spans(old_sentences + new.sentences),  # type: ignore[operator]
        sentence_vectors=np.vstack([old.sentence_vectors[sentence_rows], new.sentence_vectors]),
        planted_documents=frozenset((old.planted_documents & set(kept)) | new.planted_documents()),
        non_prose_rows=frozenset(
            {i for i, r in enumerate(chunk_rows) if r in old.non_prose_rows}
            | new.non_prose(len(chunk_rows))
        ),
        bm25=bm25_index([c.text for c in chunks]),
    )


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
