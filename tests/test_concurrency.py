"""Many questions at once: instant answers for all, the model for one at a time,
first come first served, and each waiting question told where it stands."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from rag.answer import Assistant
from rag.config import Settings
from rag.model_queue import MODEL_QUEUE, ModelQueue
from rag.types import Answer, Waiting
from tests.test_generative import QUESTION, ScriptedGenerator


def test_queue_is_first_come_first_served() -> None:
    queue = ModelQueue(first_guess_s=2.0)
    a, b, c = queue.join(), queue.join(), queue.join()
    assert [queue.wait(t, 0) for t in (a, b, c)] == [0, 1, 2]
    assert queue.estimate_s(2) == 4.0
    queue.leave(b)  # one asker went away: the one behind moves up
    assert queue.wait(c, 0) == 1
    queue.leave(a, turn_s=12.0)
    assert queue.wait(c, 0) == 0
    assert queue.estimate_s(1) == 0.7 * 2.0 + 0.3 * 12.0


class SlowScripted(ScriptedGenerator):
    """Records whether two questions ever use the model at once."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.busy = threading.Lock()
        self.overlaps = 0

    def stream(self, messages: Any, max_new_tokens: int, stats: Any = None) -> Iterator[str]:
        if not self.busy.acquire(blocking=False):
            self.overlaps += 1
            self.busy.acquire()
        try:
            for piece in super().stream(messages, max_new_tokens, stats):
                time.sleep(0.01)
                yield piece
        finally:
            self.busy.release()


def test_questions_at_once_take_the_model_in_turn(sample_settings: Settings) -> None:
    generator = SlowScripted("La Chine compte au moins 130 grands modèles linguistiques [1].")
    assistant = Assistant(sample_settings.replace(mode="hybrid"), generator=generator)
    events: dict[int, list[Any]] = {}

    def ask(i: int) -> None:
        events[i] = list(assistant.stream(QUESTION))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert generator.overlaps == 0
    assert len(events) == 6
    for seen in events.values():
        assert isinstance(seen[0], Answer) and not seen[0].final  # the passages first
        assert isinstance(seen[-1], Answer) and seen[-1].final and "130" in seen[-1].text
        places = [e.ahead for e in seen if isinstance(e, Waiting)]
        assert places == sorted(places, reverse=True) and all(p > 0 for p in places)
    assert any(isinstance(e, Waiting) for seen in events.values() for e in seen)
    waits = sorted(seen[-1].timings.queue_wait_s for seen in events.values())
    assert waits[-1] > waits[0]


def test_an_asker_who_leaves_gives_up_the_place(sample_settings: Settings) -> None:
    generator = ScriptedGenerator("La Chine compte au moins 130 grands modèles linguistiques [1].")
    assistant = Assistant(sample_settings.replace(mode="hybrid"), generator=generator)
    holder = MODEL_QUEUE.join()  # someone else has the model
    try:
        stream = assistant.stream(QUESTION)
        reading, instant = next(stream), next(stream)
        assert isinstance(reading, Answer) and reading.mode == "reading"
        # others hold the model: the instant answer at once, not after the line
        assert isinstance(instant, Answer) and instant.mode == "extractive"
        assert not instant.final and "130" in instant.text
        waiting = next(stream)
        assert isinstance(waiting, Waiting) and waiting.ahead == 1
        stream.close()  # the page was closed
    finally:
        MODEL_QUEUE.leave(holder)
    probe = MODEL_QUEUE.join()
    assert MODEL_QUEUE.wait(probe, 0) == 0  # the line is empty again
    MODEL_QUEUE.leave(probe)
