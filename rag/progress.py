"""Progress on stderr that a log file can read, and the machine a figure came from.

On a terminal, one line rewritten in place; otherwise (a log, CI) one line every
`every` steps and at the end, with done/total, elapsed time and an estimate of the
time left, so that a long `rag eval` or `rag index` says how far it is.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import TextIO

# The CPU features that decide llama.cpp's and the embedder's speed.
SPEED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile")


class ProgressLine:
    def __init__(self, label: str, total: int, every: int = 10, out: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.every = max(1, every)
        self._out = out
        self.started = time.monotonic()
        self.done = 0
        self._next = self.every  # steps may come in jumps (16 passages embedded at once)

    @property
    def out(self) -> TextIO:
        return self._out or sys.stderr  # looked up when written: tests swap sys.stderr

    def __call__(self, done: int, total: int | None = None) -> None:
        """Report that `done` of `total` steps are finished."""
        self.done, self.total = done, total if total is not None else self.total
        if self.out.isatty():
            end = "\n" if done >= self.total else ""
            print(f"\r{self.line()}", end=end, file=self.out, flush=True)
        elif done >= self._next or done >= self.total:
            print(self.line(), file=self.out, flush=True)
            self._next = (done // self.every + 1) * self.every

    def step(self) -> None:
        self(self.done + 1)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done) if self.done else None
        eta = f", about {_clock(left)} left" if left is not None and self.done < self.total else ""
        return f"{self.label}: {self.done}/{self.total}, {_clock(elapsed)} elapsed{eta}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def cpu() -> dict[str, object]:
    """The CPU model, its cores and its speed flags (from /proc/cpuinfo on Linux)."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
                if model and flags:
                    break
    except OSError:
        pass
    return {
        "model": model,
        "cores": os.cpu_count(),
        "flags": [f for f in SPEED_FLAGS if f in flags],
    }


def cpu_line() -> str:
    info = cpu()
    flags = ", ".join(info["flags"]) or "none of " + ", ".join(SPEED_FLAGS)  # type: ignore[arg-type]
    return f"{info['model']}, {info['cores']} cores; flags: {flags}"
