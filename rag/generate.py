"""Local text generation, streamed piece by piece, behind one `Generator` protocol.

The model is a setting:
- a packaged name ('qwen2.5-coder-1.5b', the default, or 'qwen2.5-coder-0.5b'):
  the GGUF joined from pip wheels and checked against its pinned SHA-256
  (see `rag.model_files`);
- any `.gguf` file on disk;
- any transformers model folder on disk.
A GGUF goes through llama.cpp (`llama-cpp-python`) when it is installed, else
through transformers (slow: it de-quantises the whole model); a folder always
goes through transformers. Nothing is downloaded.

With a generator URL, the model is any OpenAI-compatible server instead (llama.cpp's
server, vLLM, Ollama, on this machine or a GPU one): `RemoteGenerator`. The judges still
run there: from the log-probabilities of the first token when the server gives them,
else from the word it answers.

Both backends answer greedily (runs repeat) and offer `yes_probability`: one
forward pass, the next-token probability of a "yes" word against a "no" word,
which the verifier uses as a judge. llama.cpp keeps the longest shared token
prefix of consecutive prompts in its cache, so fixed instructions put first are
read once. Deliberately left out: sampling, GPU placement, batching users
together (2 cores: one generation at a time is the fastest for each).
"""

from __future__ import annotations

import codecs
import collections.abc
import contextlib
import functools
import importlib.util
import json
import logging
import math
import os
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rag.errors import ModelError
from rag.model_files import PACKAGED_MODELS, assemble, verified_sha256

log = logging.getLogger(__name__)

TokenStream = collections.abc.Generator[str, None, None]  # closing it stops generation
Messages = list[dict[str, str]]


class Generator(Protocol):
    name: str
    sha256: str | None  # of the weights file, when it is one file
    load_seconds: float
    # prompt tokens the model has read since it was loaded (those found in a cache are not
    # read): the cost of a question is the difference before and after it
    prompt_tokens_read: int

    def stream(
        self, messages: Messages, max_new_tokens: int, stats: dict[str, Any] | None = None
    ) -> TokenStream:
        """Text pieces of the reply; fills `stats` with prompt_tokens and cached_tokens."""
        ...

    def yes_probability(self, messages: Messages, yes: str, no: str) -> float:
        """P(yes) / (P(yes) + P(no)) for the first token of the reply."""
        ...

    def count_tokens(self, text: str) -> int: ...


@dataclass(frozen=True)
class ModelLocation:
    folder: Path
    gguf_file: str | None
    sha256: str | None = None

    @property
    def gguf_path(self) -> Path | None:
        return self.folder / self.gguf_file if self.gguf_file else None


def locate_model(spec: str) -> ModelLocation:
    """Where a settings value points: a packaged model (joined and verified), a .gguf
    file, or a transformers folder."""
    if spec in PACKAGED_MODELS:
        model = PACKAGED_MODELS[spec]
        path = assemble(model)
        return ModelLocation(path.parent, path.name, model.sha256)
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return ModelLocation(path.parent, path.name, verified_sha256(path))
    if path.is_dir():
        return ModelLocation(path, None)
    known = ", ".join(f"'{name}'" for name in PACKAGED_MODELS)
    raise ModelError(
        f"generator model '{spec}' is not {known}, a .gguf file or a model folder on disk; "
        "models are never downloaded"
    )


def llama_cpp_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


# ---------------------------------------------------------------- llama.cpp


class LlamaCppGenerator:
    """A GGUF file through llama.cpp: loads in seconds (the file is memory-mapped)."""

    def __init__(self, where: ModelLocation, n_ctx: int = 4096, prompts: str = "") -> None:
        """`prompts`: the prompts' version, which the saved states of their instructions
        depend on."""
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        path = where.gguf_path
        assert path is not None
        started = time.perf_counter()
        try:
            self.llm = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=os.cpu_count() or 2,
                n_batch=512,
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp cannot load {path}: {exc}") from exc
        self.load_seconds = time.perf_counter() - started
        self.name = path.name
        self.sha256 = where.sha256
        self.prompt_tokens_read = 0
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{path.name} has no chat template; an instruction model is needed")
        vocab = self.llm._model
        self._format = Jinja2ChatFormatter(
            template=template,
            eos_token=vocab.token_get_text(vocab.token_eos()),
            bos_token=vocab.token_get_text(vocab.token_bos()),
        )
        self._lock = threading.Lock()  # llama.cpp contexts are not thread-safe
        self._saved = SavedStates.for_model(where.sha256, n_ctx, prompts)
        # one per prompt family (e.g. per language); those of earlier processes first
        self._snapshots: list[_Snapshot] = self._saved.load() if self._saved else []

    def clear_cache(self) -> None:
        """Forget every cached prompt (for measuring a cold start)."""
        with self._lock:
            self.llm.reset()
            self._snapshots.clear()

    def _is_end(self, token: int) -> bool:
        from llama_cpp import llama_vocab_is_eog

        return bool(llama_vocab_is_eog(self.llm._model.vocab, token))

    def _tokens(self, messages: Messages) -> list[int]:
        prompt = self._format(messages=messages).prompt
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def _cached_prefix(self, tokens: list[int]) -> int:
        return _shared_prefix(self.llm._input_ids[: self.llm.n_tokens], tokens)

    def _prepare(self, tokens: list[int]) -> int:
        """Bring back the snapshot that shares most of `tokens` when it beats what the
        context holds now (a French question after an English one); returns the
        number of prompt tokens already in the cache."""
        live = self._cached_prefix(tokens)
        best = max(self._snapshots, key=lambda s: s.shared(tokens), default=None)
        if best is not None and best.shared(tokens) > live + SNAPSHOT_MIN_TOKENS:
            best.restore(self.llm)
            self._snapshots.remove(best)
            self._snapshots.append(best)  # most recently used last
            return self._cached_prefix(tokens)
        return live

    def _remember(self, tokens: list[int], cached: int) -> None:
        """Keep a snapshot when this prompt started a new family (little was cached)."""
        if len(tokens) - cached < SNAPSHOT_MIN_TOKENS:
            return
        # the new snapshot replaces any of the same family
        self._snapshots = [s for s in self._snapshots if s.shared(tokens) <= SNAPSHOT_MIN_TOKENS]
        snapshot = _Snapshot.take(self.llm)
        self._snapshots.append(snapshot)
        del self._snapshots[:-MAX_SNAPSHOTS]
        if self._saved:
            self._saved.save(snapshot)

    def stream(
        self, messages: Messages, max_new_tokens: int, stats: dict[str, Any] | None = None
    ) -> TokenStream:
        tokens = self._tokens(messages)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        with self._lock:
            cached = self._prepare(tokens)
            self.prompt_tokens_read += len(tokens) - cached
            if stats is not None:
                stats.update(prompt_tokens=len(tokens), cached_tokens=cached)
            reply = self.llm.generate(tokens, temp=0.0, top_k=1, repeat_penalty=1.0)
            for produced, token in enumerate(reply):
                if self._is_end(token) or produced >= max_new_tokens:
                    break
                piece = decoder.decode(self.llm.detokenize([token]))
                if piece:
                    yield piece
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            self._remember(tokens, cached)

    def yes_probability(self, messages: Messages, yes: str, no: str) -> float:
        return _two_way_softmax(*self.first_token_logits(messages, (yes, no)))

    def first_token_logits(self, messages: Messages, words: Sequence[str]) -> list[float]:
        """The logit of each word's first token as the first token of the reply."""
        tokens = self._tokens(messages)
        ids = [self.llm.tokenize(w.encode("utf-8"), add_bos=False)[0] for w in words]
        seen: list[float] = []

        def capture(_input_ids: Any, logits: Any) -> Any:
            if not seen:
                seen.extend(float(logits[i]) for i in ids)
            return logits

        with self._lock:
            cached = self._prepare(tokens)
            self.prompt_tokens_read += len(tokens) - cached
            for _ in self.llm.generate(tokens, temp=0.0, logits_processor=[capture]):
                break
            self._remember(tokens, cached)
        return seen

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0


SNAPSHOT_MIN_TOKENS = 64
MAX_SNAPSHOTS = 6  # answers in French, in English; claim and sentence judges; rewrites, referents
KEPT_FAMILIES = 2 * MAX_SNAPSHOTS  # files on disk; the rest are of prompts since changed
KEPT_VERSIONS = 3  # folders: of other prompts' versions, models, llama.cpp versions


def _shared_prefix(a: Any, b: list[int]) -> int:
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared


@dataclass
class _Snapshot:
    """The model's cache (KV cells and the tokens they hold), without the logits
    array that `Llama.save_state` also copies (300 MB for a 150k vocabulary)."""

    tokens: list[int]
    state: bytes

    @classmethod
    def take(cls, llm: Any) -> _Snapshot:
        import ctypes

        import llama_cpp

        size = llama_cpp.llama_state_get_size(llm._ctx.ctx)
        buffer = (ctypes.c_uint8 * size)()
        used = llama_cpp.llama_state_get_data(llm._ctx.ctx, buffer, size)
        return cls([int(t) for t in llm._input_ids[: llm.n_tokens]], ctypes.string_at(buffer, used))

    def shared(self, tokens: list[int]) -> int:
        return _shared_prefix(self.tokens, tokens)

    def restore(self, llm: Any) -> None:
        import ctypes

        import llama_cpp

        buffer = (ctypes.c_uint8 * len(self.state)).from_buffer_copy(self.state)
        llama_cpp.llama_state_set_data(llm._ctx.ctx, buffer, len(self.state))
        llm.input_ids[: len(self.tokens)] = self.tokens
        llm.n_tokens = len(self.tokens)
        llm._requires_eval = True


STATE_MAGIC = b"rag-news kv state 1\n"


@dataclass
class SavedStates:
    """Snapshots on disk, so that a new process does not read the fixed instructions
    again: one file per prompt family, in a folder keyed by what makes a state valid
    (the model's SHA-256, llama-cpp-python's version, the context size). A file is a
    JSON header (its tokens, the SHA-256 of the state) and the state's bytes; one that
    does not parse or match its hash is deleted and rebuilt, never restored. A file's
    time is when its family was last used: a new process loads the families used last,
    not those of prompts since changed."""

    folder: Path
    # the families known to be on disk (their tokens, their file): a snapshot of one of
    # them, taken at nearly every prompt, is checked here, not against the files
    families: list[tuple[list[int], Path]] = field(default_factory=list)

    @classmethod
    def for_model(cls, sha256: str | None, n_ctx: int, prompts: str = "") -> SavedStates | None:
        if not sha256 or os.environ.get("RAG_KV_STATES") == "off":
            return None
        import hashlib

        import llama_cpp

        from rag.model_files import cache_dir

        valid = f"{sha256}|{llama_cpp.__version__}|{n_ctx}|{prompts}"
        key = hashlib.sha256(valid.encode()).hexdigest()
        return cls(cache_dir() / "kv-states" / key[:24])

    def load(self) -> list[_Snapshot]:
        """The families used last; those unused longest past KEPT_FAMILIES are deleted,
        and so are the folders of other versions past KEPT_VERSIONS."""
        self._forget_old_versions()
        files = sorted(self.folder.glob("*.state"), key=lambda f: f.stat().st_mtime)
        for stale in files[:-KEPT_FAMILIES]:
            stale.unlink(missing_ok=True)
        found = []
        for file in files[-MAX_SNAPSHOTS:]:
            snapshot = self._read(file)
            if snapshot is None:
                log.warning("ignoring a damaged saved model state: %s", file)
                file.unlink(missing_ok=True)
            else:
                found.append(snapshot)
                self.families.append((snapshot.tokens, file))
        return found

    def _forget_old_versions(self) -> None:
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            os.utime(self.folder)  # this version is in use
            versions = sorted(
                (d for d in self.folder.parent.iterdir() if d.is_dir()),
                key=lambda d: d.stat().st_mtime,
            )
            for old in versions[:-KEPT_VERSIONS]:
                shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def _header(file: Path) -> tuple[list[int], str, int] | None:
        """(tokens, the state's SHA-256, where the state starts), or None."""
        try:
            with file.open("rb") as f:
                if f.readline() != STATE_MAGIC:
                    return None
                header = json.loads(f.readline())
                tokens, sha256 = header["tokens"], header["sha256"]
                if isinstance(tokens, list) and all(isinstance(t, int) for t in tokens):
                    return tokens, str(sha256), f.tell()
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def _read(self, file: Path) -> _Snapshot | None:
        import hashlib

        header = self._header(file)
        if header is None:
            return None
        tokens, sha256, start = header
        try:
            state = file.read_bytes()[start:]
        except OSError:
            return None
        return _Snapshot(tokens, state) if hashlib.sha256(state).hexdigest() == sha256 else None

    def save(self, snapshot: _Snapshot) -> None:
        """Write a family's first snapshot; a later one of the same family only marks the
        family used (the instructions, the part a new process needs, are the same)."""
        import hashlib

        def family() -> Path | None:
            shared = (
                f
                for t, f in self.families
                if _shared_prefix(t, snapshot.tokens) > SNAPSHOT_MIN_TOKENS
            )
            return next(shared, None)

        if family() is None:  # another process may have saved it since this one started
            on_disk = ((self._header(file), file) for file in self.folder.glob("*.state"))
            self.families.extend((h[0], file) for h, file in on_disk if h)
        known = family()
        if known is not None:
            with contextlib.suppress(OSError):  # used now
                os.utime(known)
            return
        header = {"tokens": snapshot.tokens, "sha256": hashlib.sha256(snapshot.state).hexdigest()}
        name = hashlib.sha256(json.dumps(snapshot.tokens).encode()).hexdigest()[:24]
        file = self.folder / f"{name}.state"
        self.families.append((snapshot.tokens, file))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = self.folder / f"{name}.{os.getpid()}.partial"
            partial.write_bytes(STATE_MAGIC + json.dumps(header).encode() + b"\n" + snapshot.state)
            partial.replace(file)  # whole or absent, never half
        except OSError as exc:  # a read-only cache costs speed, not answers
            log.warning("cannot save the model state in %s: %s", self.folder, exc)


def _two_way_softmax(yes: float, no: float) -> float:
    top = max(yes, no)
    e_yes, e_no = math.exp(yes - top), math.exp(no - top)
    return e_yes / (e_yes + e_no)


# ---------------------------------------------------------------- transformers


class TransformersGenerator:
    """A transformers model folder (or a GGUF de-quantised by transformers)."""

    def __init__(self, where: ModelLocation) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        kwargs: dict[str, Any] = {"local_files_only": True}
        if where.gguf_file:
            kwargs["gguf_file"] = where.gguf_file
        started = time.perf_counter()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(where.folder, **kwargs)
            self.model = AutoModelForCausalLM.from_pretrained(
                where.folder, dtype=torch.float32, **kwargs
            )
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load generator '{where.folder}': {exc}") from exc
        if not self.tokenizer.chat_template:
            raise ModelError(f"{where.folder} has no chat template; an instruction model is needed")
        self.model.eval()
        self.load_seconds = time.perf_counter() - started
        self.name = where.gguf_file or where.folder.name
        self.sha256 = where.sha256
        self.prompt_tokens_read = 0  # no cache: every prompt is read whole
        self._lock = threading.Lock()  # one generation at a time: 2 cores, no gain in sharing

    def _inputs(self, messages: Messages) -> Any:
        inputs = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        self.prompt_tokens_read += int(inputs["input_ids"].shape[1])
        return inputs

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"]) if text else 0

    def yes_probability(self, messages: Messages, yes: str, no: str) -> float:
        import torch

        ids = [self.tokenizer(w, add_special_tokens=False)["input_ids"][0] for w in (yes, no)]
        with self._lock, torch.inference_mode():
            logits = self.model(**self._inputs(messages)).logits[0, -1]
        return _two_way_softmax(float(logits[ids[0]]), float(logits[ids[1]]))

    def stream(
        self, messages: Messages, max_new_tokens: int, stats: dict[str, Any] | None = None
    ) -> TokenStream:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        inputs = self._inputs(messages)
        if stats is not None:
            stats.update(prompt_tokens=int(inputs["input_ids"].shape[1]), cached_tokens=0)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        errors: list[BaseException] = []
        stop = threading.Event()  # set when the caller stops reading: generation ends too

        class StopWhenClosed(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool)

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(
                        **inputs,
                        streamer=streamer,
                        max_new_tokens=max_new_tokens,
                        do_sample=False,
                        pad_token_id=self.tokenizer.eos_token_id,
                        stopping_criteria=StoppingCriteriaList([StopWhenClosed()]),
                    )
            except BaseException as exc:  # surfaced in the caller's thread below
                errors.append(exc)
                streamer.end()

        with self._lock:
            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            try:
                yield from streamer
            finally:
                stop.set()
                worker.join()
        if errors:
            raise ModelError(f"generation failed: {errors[0]}")


# ---------------------------------------------------------------- another machine

REMOTE_TIMEOUT_S = 600.0
CHARS_PER_TOKEN = 3.5  # for a server that cannot count: French and English news prose
TOP_LOGPROBS = 20


class RemoteGenerator:
    """A model behind an OpenAI-compatible `/v1/chat/completions`, greedy as the local
    ones; `model` is its name on that server."""

    def __init__(self, url: str, model: str) -> None:
        import httpx

        self.base = url.rstrip("/").removesuffix("/v1") + "/v1"
        self.model = model
        self.name = f"{model} at {self.base}"
        self.sha256: str | None = None
        self.prompt_tokens_read = 0  # as the server reports its usage
        started = time.perf_counter()
        self.client = httpx.Client(timeout=REMOTE_TIMEOUT_S)
        try:
            self.client.get(f"{self.base}/models").raise_for_status()
        except httpx.HTTPError as exc:
            raise ModelError(f"the generator server at {self.base} does not answer: {exc}") from exc
        self.load_seconds = time.perf_counter() - started

    def _body(self, messages: Messages, max_tokens: int, **extra: Any) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "top_p": 1.0,
            "seed": 0,
            **extra,
        }

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        try:
            response = self.client.post(f"{self.base}/chat/completions", json=body)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ModelError(f"the generator server at {self.base} failed: {exc}") from exc

    def stream(
        self, messages: Messages, max_new_tokens: int, stats: dict[str, Any] | None = None
    ) -> TokenStream:
        import httpx

        body = self._body(
            messages, max_new_tokens, stream=True, stream_options={"include_usage": True}
        )
        if stats is not None:  # an estimate, for a server that does not report its usage
            prompt = sum(self.count_tokens(m.get("content", "")) for m in messages)
            stats.update(prompt_tokens=prompt, cached_tokens=0)
        try:
            with self.client.stream("POST", f"{self.base}/chat/completions", json=body) as reply:
                reply.raise_for_status()
                for line in reply.iter_lines():
                    data = line.removeprefix("data:").strip()
                    if not line.startswith("data:") or data == "[DONE]":
                        continue
                    chunk = json.loads(data)
                    usage = chunk.get("usage") or {}
                    if usage:
                        prompt, cached = self._count(usage)
                        if stats is not None:
                            stats.update(prompt_tokens=prompt, cached_tokens=cached)
                    for choice in chunk.get("choices") or []:
                        piece = (choice.get("delta") or {}).get("content")
                        if piece:
                            yield piece
        except (httpx.HTTPError, ValueError) as exc:
            raise ModelError(f"the generator server at {self.base} failed: {exc}") from exc

    def yes_probability(self, messages: Messages, yes: str, no: str) -> float:
        reply = self._post(self._body(messages, 1, logprobs=True, top_logprobs=TOP_LOGPROBS))
        self._count(reply.get("usage") or {})
        choice = reply["choices"][0]
        content = ((choice.get("logprobs") or {}).get("content")) or []
        if content:  # the best log-probability of each word's first token
            best = {yes: -math.inf, no: -math.inf}
            for entry in content[0].get("top_logprobs") or [content[0]]:
                word = entry.get("token", "").strip().casefold()
                for target in best:
                    if word and target.casefold().startswith(word):
                        best[target] = max(best[target], entry.get("logprob", -math.inf))
            if best[yes] > -math.inf or best[no] > -math.inf:
                return _two_way_softmax(best[yes], best[no])
        said = (choice.get("message") or {}).get("content", "").strip().casefold()
        return 1.0 if said.startswith(yes.casefold()) else 0.0 if said else 0.5

    def _count(self, usage: dict[str, Any]) -> tuple[int, int]:
        """(prompt tokens, of which cached) from a reply's usage, added to the count read."""
        prompt = int(usage.get("prompt_tokens") or 0)
        cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
        self.prompt_tokens_read += prompt - cached
        return prompt, cached

    def count_tokens(self, text: str) -> int:
        return math.ceil(len(text) / CHARS_PER_TOKEN)


# ---------------------------------------------------------------- loading

_LOAD_LOCK = threading.Lock()


def get_generator(spec: str, url: str | None = None, prompts: str = "") -> Generator:
    """The generator for a settings value (on the server at `url`, when given); loaded
    once per process, even when a page warms it up while a first question arrives.
    `prompts`: the prompts' version (see LlamaCppGenerator)."""
    with _LOAD_LOCK:
        return _load_generator(spec, url, prompts)


@functools.lru_cache(maxsize=2)
def _load_generator(spec: str, url: str | None = None, prompts: str = "") -> Generator:
    if url:
        log.info("using the generator %s at %s…", spec, url)
        return RemoteGenerator(url, spec)
    log.info("loading the generator %s…", spec)
    where = locate_model(spec)
    if where.gguf_file and llama_cpp_available():
        return LlamaCppGenerator(where, prompts=prompts)
    return TransformersGenerator(where)
