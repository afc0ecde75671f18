"""Load benchmark of the chat page: the real server on 127.0.0.1, then 1, 10 and 50
users asking at the same moment through the page's API (gradio_client), or, with
`--door api`, as streaming clients of the OpenAI-compatible endpoint; four
questions in turn. For each answer mode and number of users: errors, the time to
the first visible answer and to the final one (median and p95), and the server's
peak memory. Printed as a table and written to JSON; nothing is asserted.

Usage: python -m eval.bench_serve [--users 1,10,50] [--modes extractive,hybrid] [--door api]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from eval.metrics import summarise_latency
from rag.progress import cpu

QUESTIONS = [
    "Qui représente la Chine au sommet sur l'IA au Royaume-Uni ?",
    "Where did the US and China hold their AI talks?",
    "Combien de grands modèles linguistiques la Chine compte-t-elle ?",
    "Which US companies took part in the confidential talks in Geneva?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_mb(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_server(index_dir: Path, mode: str, log: Path) -> tuple[subprocess.Popen, str]:
    """`rag serve` on a free port of 127.0.0.1, its output in `log`; (process, address)."""
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--mode", mode]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*command, "--index-dir", str(index_dir)], env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"the server did not start: {log.read_text('utf-8', 'replace')[-2000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    """Ask a server started here to stop; kill it if it has not within 20 s (a loaded
    machine can hold Gradio's shutdown longer)."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


def start_generator_server(model: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """llama.cpp's own OpenAI-compatible server (`python -m llama_cpp.server`) for a GGUF,
    on a free port of 127.0.0.1: a stand-in for a generator on another machine."""
    port = _free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model)]
    options = ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--seed", "0"]
    with open(log, "wb") as out:
        proc = subprocess.Popen([*command, *options], stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    tail = log.read_text("utf-8", "replace")[-2000:]
    raise RuntimeError(f"llama.cpp's server did not start: {tail}")


def _text(chat: list[dict[str, Any]]) -> str:
    if not chat or chat[-1].get("role") != "assistant":
        return ""
    content = chat[-1]["content"]
    if isinstance(content, list):  # Gradio 6 sends message parts
        content = "".join(part.get("text", "") for part in content)
    return str(content)


def one_user(url: str, question: str, mode: str, start: threading.Event) -> dict[str, Any]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    start.wait()
    asked = time.perf_counter()
    first: float | None = None
    waiting_shown = False
    try:
        job = client.submit(question, [], 5, True, mode, api_name="/respond")
        for output in job:
            shown = _text(output[0])
            if shown and first is None:
                first = time.perf_counter() - asked
            waiting_shown |= "before yours" in shown
        final_text = _text(job.result()[0])
        error = "⚠️" in final_text or not final_text
        return {
            "first_s": first,
            "final_s": time.perf_counter() - asked,
            "error": final_text[:200] if error else None,
            "told_wait": waiting_shown,
        }
    except Exception as exc:  # a refused or failed request is what this measures
        return {"first_s": first, "final_s": None, "error": repr(exc)[:200], "told_wait": False}


def one_api_user(url: str, question: str, mode: str, start: threading.Event) -> dict[str, Any]:
    """A streaming client of /v1/chat/completions: the first chunk that shows something
    (a first state in `rag.first`, or words), whether it was told its place in line
    (`rag.waiting`), and the end of the stream."""
    body = {
        "model": f"rag-news-{mode}",
        "stream": True,
        "messages": [{"role": "user", "content": question}],
    }
    start.wait()
    asked = time.perf_counter()
    first: float | None = None
    told, done, text = False, False, ""
    try:
        with httpx.stream("POST", f"{url}v1/chat/completions", json=body, timeout=900) as reply:
            if reply.status_code != 200:
                reply.read()
                raise RuntimeError(f"HTTP {reply.status_code}: {reply.text[:150]}")
            for line in reply.iter_lines():
                data = line.removeprefix("data: ")
                if data == "[DONE]":
                    done = True
                    continue
                if not line.startswith("data: "):
                    continue
                chunk = json.loads(data)
                rag = chunk.get("rag") or {}
                told |= bool(rag.get("waiting"))
                deltas = [c.get("delta") or {} for c in chunk["choices"]]
                piece = "".join(d.get("content") or "" for d in deltas)
                text += piece
                if first is None and (piece or rag.get("first")):
                    first = time.perf_counter() - asked
        error = None if done and text.strip() else f"no answer: {text[:100]!r}"
        return {
            "first_s": first,
            "final_s": time.perf_counter() - asked,
            "error": error,
            "told_wait": told,
        }
    except Exception as exc:  # a refused or failed request is what this measures
        return {"first_s": first, "final_s": None, "error": repr(exc)[:200], "told_wait": told}


def load_level(url: str, users: int, mode: str, pid: int, door: str = "page") -> dict[str, Any]:
    start = threading.Event()
    results: list[dict[str, Any]] = [{} for _ in range(users)]
    ask = one_api_user if door == "api" else one_user

    def run(i: int) -> None:
        results[i] = ask(url, QUESTIONS[i % len(QUESTIONS)], mode, start)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(users)]
    for thread in threads:
        thread.start()
    time.sleep(min(10.0, 0.2 * users))  # let every client connect before the start
    rss_samples: list[float] = []
    started = time.perf_counter()
    start.set()
    while any(t.is_alive() for t in threads):
        rss_samples.append(_memory_mb(pid, "VmRSS"))
        time.sleep(0.2)
    firsts = summarise_latency([r.get("first_s") for r in results])
    finals = summarise_latency([r.get("final_s") for r in results])
    errors = [r["error"] for r in results if r.get("error")]
    return {
        "door": door,
        "mode": mode,
        "users": users,
        "errors": len(errors),
        "error_examples": errors[:3],
        "first_visible_s_median": firsts["p50"],
        "first_visible_s_p95": firsts["p95"],
        "final_s_median": finals["p50"],
        "final_s_p95": finals["p95"],
        "told_their_wait": sum(r.get("told_wait", False) for r in results),
        "wall_s": time.perf_counter() - started,
        "server_rss_mb_max": max(rss_samples, default=0.0),
    }


def run(
    users: list[int], modes: list[str], index_dir: Path | None, door: str = "page"
) -> dict[str, Any]:
    from rag.config import Settings
    from rag.store import build_index

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "index"
        if index_dir is not None:
            shutil.copytree(index_dir, copy)
        else:
            settings = Settings(index_dir=copy)
            build_index([settings.corpus_dir], settings)
        server_mode = "hybrid" if any(m != "extractive" for m in modes) else "extractive"
        proc, url = start_server(copy, server_mode, Path(tmp) / "server.log")
        try:
            if server_mode != "extractive":  # the model loads and reads its instructions
                one_user(url, QUESTIONS[0], "hybrid", _set(threading.Event()))
            rows = [load_level(url, n, mode, proc.pid, door) for mode in modes for n in users]
            peak = _memory_mb(proc.pid, "VmHWM")
        finally:
            stop_server(proc)
    return {"levels": rows, "server_peak_rss_mb": peak, "cpu": cpu()}


def _set(event: threading.Event) -> threading.Event:
    event.set()
    return event


def _fmt(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", default="1,10,50")
    parser.add_argument("--modes", default="extractive,hybrid")
    parser.add_argument("--index-dir", type=Path, help="an index to copy (default: the sample)")
    parser.add_argument(
        "--door", choices=("page", "api"), default="page", help="the page or the OpenAI API"
    )
    parser.add_argument("--out", type=Path, default=Path("eval/out/bench_serve.json"))
    args = parser.parse_args()
    figures = run(
        [int(n) for n in args.users.split(",")],
        [m.strip() for m in args.modes.split(",")],
        args.index_dir,
        args.door,
    )
    columns = [
        "door",
        "mode",
        "users",
        "errors",
        "first_visible_s_median",
        "first_visible_s_p95",
        "final_s_median",
        "final_s_p95",
        "told_their_wait",
        "server_rss_mb_max",
    ]
    print(" | ".join(columns))
    for row in figures["levels"]:
        print(" | ".join(_fmt(row[c]) for c in columns))
        for example in row["error_examples"]:
            print(f"  error: {example}")
    print(f"server peak RSS: {figures['server_peak_rss_mb']:.0f} MB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=1), "utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
