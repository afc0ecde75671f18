"""Joining the generator weights from their pip parts: pinned hash, tampering, missing
parts (fake part packages, fast), and the real packaged files (already joined by setup)."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from rag.errors import ModelError
from rag.model_files import PACKAGED_MODELS, PackagedModel, assemble, verified_sha256


def _fake_parts(root: Path, blobs: list[bytes]) -> None:
    for i, blob in enumerate(blobs, 1):
        folder = root / f"fakeweights_part{i}" / "data"
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("raise RuntimeError('never imported')\n")
        (folder / f"part{i:02d}.bin").write_bytes(blob)


@pytest.fixture()
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[bytes]]:
    blobs = [os.urandom(1000), os.urandom(1000), os.urandom(10)]
    _fake_parts(tmp_path / "site", blobs)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return tmp_path, blobs


def _model(blobs: list[bytes], sha: str | None = None) -> PackagedModel:
    whole = b"".join(blobs)
    return PackagedModel(
        name="fake",
        filename="fake.gguf",
        distribution="fakeweights-part{i}",
        version="1.0",
        parts=len(blobs),
        size=len(whole),
        sha256=sha or hashlib.sha256(whole).hexdigest(),
    )


def test_parts_join_once_into_the_pinned_file(parts) -> None:
    tmp, blobs = parts
    path = assemble(_model(blobs), tmp / "cache")
    assert path.read_bytes() == b"".join(blobs)
    assert not any(name.startswith("fakeweights") for name in sys.modules)  # never imported
    for part in (tmp / "site").rglob("*.bin"):  # a second call does not read the parts
        part.unlink()
    assert assemble(_model(blobs), tmp / "cache") == path


def test_parts_that_do_not_match_the_pin_are_refused(parts) -> None:
    tmp, blobs = parts
    with pytest.raises(ModelError, match=r"do not join into the official file.*refusing"):
        assemble(_model(blobs, sha="0" * 64), tmp / "cache")
    assert not list((tmp / "cache").iterdir())  # nothing half-written is left


def test_a_file_changed_after_joining_is_refused(parts) -> None:
    tmp, blobs = parts
    model = _model(blobs)
    path = assemble(model, tmp / "cache")
    data = bytearray(path.read_bytes())
    data[5] ^= 0xFF  # same size, one bit flipped
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match the official file"):
        assemble(model, tmp / "cache")


def test_a_missing_part_names_the_install_command(parts) -> None:
    tmp, blobs = parts
    model = _model([*blobs, b"x"])  # a fourth part that is not installed
    with pytest.raises(ModelError, match=r"part 4 of 4 missing.*fakeweights-part4==1.0"):
        assemble(model, tmp / "cache")


def test_the_packaged_generator_is_the_official_file() -> None:
    model = PACKAGED_MODELS["qwen2.5-coder-1.5b"]
    path = assemble(model)  # joined by the setup script; verified from its record here
    assert path.stat().st_size == model.size == 1_117_320_768
    assert verified_sha256(path, model.sha256) == model.sha256
