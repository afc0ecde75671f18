"""The generative path: verification with a scripted generator (fast), and the real
packaged SmolLM2 model end to end (slow)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from rag import answer as answer_module
from rag.answer import Assistant
from rag.config import Settings
from rag.types import Answer


class ScriptedGenerator:
    """Writes a fixed reply; `{canary}` in it is replaced by the prompt's canary."""

    name = "scripted"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.messages: list[dict[str, str]] = []

    def stream(self, messages: list[dict[str, str]], max_new_tokens: int) -> Iterator[str]:
        self.messages = messages
        canary = re.search(r"never repeat it\): (\w+)", messages[0]["content"])
        text = self.reply.replace("{canary}", canary.group(1) if canary else "")
        self.words_sent = 0
        for word in text.split(" "):
            self.words_sent += 1
            yield word + " "

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        return sum(len(m["content"].split()) for m in messages)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def _ask(assistant: Assistant, monkeypatch, reply: str, mode: str, question: str) -> Answer:
    generator = ScriptedGenerator(reply)
    monkeypatch.setattr(answer_module, "get_generator", lambda spec: generator)
    events = list(assistant.stream(question, assistant.settings.replace(mode=mode)))
    assert all(isinstance(e, str) for e in events[:-1]) and isinstance(events[-1], Answer)
    return events[-1]


QUESTION = "Combien de grands modèles linguistiques la Chine compte-t-elle ?"


def _passage_number(assistant: Assistant, needle: str) -> int:
    hits = assistant.retriever().search(QUESTION, assistant.settings.k)
    return next(h.rank for h in hits if needle in h.chunk.text)


def test_hybrid_keeps_verified_sentences_and_drops_invented_ones(assistant, monkeypatch) -> None:
    n = _passage_number(assistant, "130 grands modèles")
    reply = (
        f"La Chine compte au moins 130 grands modèles linguistiques [{n}]. "
        f"Elle en compte 13 de plus que la France [{n}]. La Chine domine le monde [9]."
    )
    answer = _ask(assistant, monkeypatch, reply, "hybrid", QUESTION)
    assert answer.mode == "generative"
    assert [s.text for s in answer.sentences] == [
        "La Chine compte au moins 130 grands modèles linguistiques."
    ]
    assert answer.citations[0].quote.startswith("La Chine compte désormais au moins 130")
    assert any("dropped" in note for note in answer.notes)
    assert answer.timings.first_token_s is not None and answer.timings.prompt_tokens > 0


def test_generative_mode_marks_instead_of_dropping(assistant, monkeypatch) -> None:
    n = _passage_number(assistant, "130 grands modèles")
    reply = (
        f"La Chine compte au moins 130 grands modèles [{n}]. "
        f"Elle en compte 13 de plus que la France [{n}]."
    )
    answer = _ask(assistant, monkeypatch, reply, "generative", QUESTION)
    flags = [(s.supported, s.reason) for s in answer.sentences]
    assert flags[0] == (True, "") and flags[1][0] is False and "13" in flags[1][1]
    assert "unverified" in answer.to_markdown()


def test_uncited_draft_is_abandoned_early(assistant, monkeypatch) -> None:
    generator = ScriptedGenerator("La Chine est un grand pays avec beaucoup de choses. " * 40)
    monkeypatch.setattr(answer_module, "get_generator", lambda spec: generator)
    answer = assistant.ask(QUESTION, assistant.settings.replace(mode="hybrid"))
    assert answer.mode == "extractive" and "130" in answer.text
    assert generator.words_sent < 60  # of 400: the stream was closed, not read to the end


@pytest.mark.parametrize(
    "reply", ["The secret reference is {canary}.", "Je ne sais pas [1] mais voici {canary} [1]."]
)
def test_prompt_leak_falls_back_to_quotes(assistant, monkeypatch, reply: str) -> None:
    answer = _ask(assistant, monkeypatch, reply, "hybrid", QUESTION)
    assert answer.mode == "extractive" and "leaked" in answer.notes[0]
    assert "130" in answer.text


def test_wrong_language_is_not_kept(assistant, monkeypatch) -> None:
    n = _passage_number(assistant, "130 grands modèles")
    reply = f"China has at least 130 large language models [{n}]."
    answer = _ask(assistant, monkeypatch, reply, "hybrid", QUESTION)  # French question
    assert answer.mode == "extractive"


def test_passages_stay_inside_the_prompt_budget(assistant, monkeypatch) -> None:
    generator = ScriptedGenerator("Rien.")
    monkeypatch.setattr(answer_module, "get_generator", lambda spec: generator)
    assistant.ask(QUESTION, assistant.settings.replace(mode="hybrid", max_context_chars=1000))
    user = generator.messages[1]["content"]
    passages = user.split("Question:")[0]
    assert len(passages) < 1000 + 400  # budget plus titles and numbering


@pytest.mark.slow
def test_real_model_end_to_end(sample_settings: Settings) -> None:
    assistant = Assistant(sample_settings.replace(mode="hybrid"))
    events = list(assistant.stream("Where did the US and China hold their AI talks?"))
    final = events[-1]
    assert isinstance(final, Answer) and not final.refused
    assert len(events) > 2  # drafts streamed before the verified answer
    assert final.timings.first_token_s is not None and final.timings.tokens_per_s
    for c in final.citations:
        assert assistant.store.documents[c.doc_id].text[c.start : c.end] == c.quote
    assert all(s.supported for s in final.sentences)  # hybrid never shows unverified text
