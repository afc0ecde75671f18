"""Model states saved on disk (rag.generate.SavedStates), without a model: which
families a new process loads, and which files are kept."""

from __future__ import annotations

import os
from pathlib import Path

from rag.generate import (
    KEPT_FAMILIES,
    KEPT_VERSIONS,
    MAX_SNAPSHOTS,
    SNAPSHOT_MIN_TOKENS,
    SavedStates,
    _Snapshot,
)


def _family(n: int, question: int = 0) -> _Snapshot:
    """A prompt family n (its own instructions), asked question `question`."""
    instructions = [1000 * (n + 1) + i for i in range(SNAPSHOT_MIN_TOKENS + 10)]
    return _Snapshot([*instructions, 7, question], f"state {n} {question}".encode())


def test_a_new_process_loads_the_families_used_last(tmp_path: Path) -> None:
    """Families of prompts since changed pile up on disk; the one still in use must not
    be left out for being saved first (the French answer, saved before every other)."""
    tmp_path = tmp_path / "version"  # its parent holds the versions
    saved = SavedStates(tmp_path)
    for n in range(MAX_SNAPSHOTS + 2):
        saved.save(_family(n))
    for age, (_, file) in enumerate(saved.families):  # family 0 the oldest, whatever the clock
        os.utime(file, (1000 + age, 1000 + age))
    saved.save(_family(0, question=1))  # family 0 is used again: no new file
    assert len(list(tmp_path.glob("*.state"))) == MAX_SNAPSHOTS + 2

    loaded = SavedStates(tmp_path).load()
    firsts = {s.tokens[0] for s in loaded}
    assert len(loaded) == MAX_SNAPSHOTS and _family(0).tokens[0] in firsts


def test_families_unused_longest_are_deleted(tmp_path: Path) -> None:
    tmp_path = tmp_path / "version"
    saved = SavedStates(tmp_path)
    for n in range(KEPT_FAMILIES + 3):
        saved.save(_family(n))
        os.utime(next(f for t, f in saved.families if t[0] == _family(n).tokens[0]), (n, n))
    SavedStates(tmp_path).load()
    kept = {SavedStates._header(f)[0][0] for f in tmp_path.glob("*.state")}  # type: ignore[index]
    assert kept == {_family(n).tokens[0] for n in range(3, KEPT_FAMILIES + 3)}


def test_states_are_kept_apart_by_the_prompts_version(monkeypatch) -> None:
    """An edited prompt starts a new folder: a family saved before the edit shares only
    the words before the change, and would be taken for the same family forever."""
    monkeypatch.delenv("RAG_KV_STATES", raising=False)
    before = SavedStates.for_model("a" * 64, 4096, "prompts v1")
    after = SavedStates.for_model("a" * 64, 4096, "prompts v2")
    assert before is not None and after is not None and before.folder != after.folder


def test_folders_of_versions_unused_longest_are_deleted(tmp_path: Path) -> None:
    folders = [tmp_path / f"version{n}" for n in range(KEPT_VERSIONS + 2)]
    for age, folder in enumerate(folders):
        folder.mkdir()
        os.utime(folder, (age, age))
    SavedStates(folders[0]).load()  # the oldest is the one in use now
    kept = {d.name for d in tmp_path.iterdir()}
    assert kept == {"version0", *(f.name for f in folders[-(KEPT_VERSIONS - 1) :])}
