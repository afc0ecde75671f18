"""One loaded model, many questions: the model answers one question at a time, first
come, first served, while everything before it (retrieval, the instant answer) runs
for all questions at once.

On 2 cores, two generations at once would each run at half speed and fight over
llama.cpp's single context (and its cached instructions), so questions queue for
the model instead. A waiting question knows how many are ahead of it and, from
the recent turns, about how long it will wait.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Iterator


class ModelQueue:
    def __init__(self, first_guess_s: float = 8.0) -> None:
        self._changed = threading.Condition()
        self._line: deque[object] = deque()
        self._turn_s = first_guess_s  # a running mean of recent turns

    def join(self) -> object:
        """A ticket at the back of the line."""
        ticket = object()
        with self._changed:
            self._line.append(ticket)
        return ticket

    def wait(self, ticket: object, timeout_s: float) -> int:
        """Wait up to `timeout_s` for the ticket's turn; the questions still ahead of it."""
        with self._changed:
            self._changed.wait_for(lambda: self._line[0] is ticket, timeout_s)
            return self._line.index(ticket)

    def leave(self, ticket: object, turn_s: float | None = None) -> None:
        """Give up the turn or the place in line (also when the asker went away)."""
        with self._changed:
            self._line.remove(ticket)
            if turn_s is not None:
                self._turn_s = 0.7 * self._turn_s + 0.3 * turn_s
            self._changed.notify_all()

    def estimate_s(self, ahead: int) -> float:
        return ahead * self._turn_s

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Block until it is this caller's turn, for callers with nothing to show meanwhile."""
        ticket = self.join()
        started: float | None = None
        try:
            while self.wait(ticket, 60.0):
                pass
            started = time.perf_counter()
            yield
        finally:
            self.leave(ticket, None if started is None else time.perf_counter() - started)


# One per process: a process holds one copy of a model, and 2 cores run one generation well.
MODEL_QUEUE = ModelQueue()
