"""End to end with the real packaged generators (slow; CI runs them).

Qwen2.5-Coder-1.5B answers in French and in English and refuses what the articles
do not say; on passages written to tempt it, no name or number that its cited
passage lacks reaches the final answer. The 0.5B sibling checks the llama.cpp
loading code, its prompt cache, and the transformers path for a GGUF.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from eval.metrics import answer_language
from rag.answer import Assistant
from rag.config import Settings
from rag.generate import (
    LlamaCppGenerator,
    SavedStates,
    TransformersGenerator,
    get_generator,
    locate_model,
)
from rag.prompts import answer_messages
from rag.store import build_index
from rag.text import ALIASES, stem, words
from rag.types import Answer
from rag.verify import names, numbers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def qwen(sample_settings: Settings) -> Assistant:
    return Assistant(sample_settings.replace(mode="hybrid"))


def _assert_grounded(assistant: Assistant, answer: Answer) -> None:
    """Exact quotes; no number or name that the cited passages lack."""
    documents = assistant.store.documents
    by_n = {c.n: c for c in answer.citations}
    for c in answer.citations:
        assert documents[c.doc_id].text[c.start : c.end] == c.quote
    for sentence in answer.sentences:
        assert sentence.supported
        if answer.mode != "generative":
            continue
        cited = " ".join(
            documents[by_n[n].doc_id].text[by_n[n].context_start : by_n[n].context_end]
            for n in sentence.citations
        )
        assert numbers(sentence.text) <= numbers(cited), sentence.text
        stems = {stem(w) for w in words(cited)}
        for name in names(sentence.text):
            parts = [p for p in name.replace("’", "'").replace("'", "-").split("-") if p]
            assert all(stem(p) in stems or ALIASES.get(p, set()) & stems for p in parts), name


def test_french_answer_streams_after_the_instant_one(qwen: Assistant) -> None:
    events = list(qwen.stream("Quel vice-ministre chinois a parlé à l'ouverture du sommet ?"))
    first, final = events[0], events[-1]
    assert isinstance(first, Answer) and not first.final
    assert isinstance(final, Answer) and final.final and not final.refused
    assert any(isinstance(e, str) for e in events[1:-1])  # the draft streamed
    assert "Wu Zhaohui" in final.text and answer_language(final.text) == "fr"
    assert final.timings.first_token_s is not None and final.timings.tokens_per_s
    _assert_grounded(qwen, final)


def test_english_question_gets_an_english_answer(qwen: Assistant) -> None:
    answer = qwen.ask("In which Swiss city did American AI companies meet Chinese experts?")
    assert not answer.refused and answer.mode in ("generative", "extractive")
    # the city may keep its French spelling (Genève); when the model's sentence is not
    # verified, the instant answer stands, framed in English
    assert "Geneva" in answer.text or "Genève" in answer.text
    assert answer_language(answer.text) == "en"
    assert answer.provenance is not None and answer.provenance.generator_sha256 == (
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    )
    _assert_grounded(qwen, answer)


def test_an_on_topic_detail_the_articles_lack_is_refused(qwen: Assistant) -> None:
    answer = qwen.ask("Quel est le salaire annuel de Wu Zhaohui ?")
    assert answer.refused and answer.mode in ("refusal", "missing")
    if answer.mode == "missing":  # says what is missing; the passage is context, not an answer
        assert answer.text.startswith("Les articles ne donnent pas")
        assert len(answer.citations) == 1
    else:
        assert not answer.citations


TEMPTING = {
    "sommet.txt": (
        "Un sommet sur la sécurité de l'IA s'ouvre à Lisbonne\n\n"
        "Le sommet sur la sécurité de l'intelligence artificielle s'est ouvert mercredi à "
        "Lisbonne. De nombreux pays ont envoyé des délégations, selon les organisateurs. "
        "La présidente du sommet a salué les participants et promis une déclaration finale. "
        "Les discussions doivent durer plusieurs jours."
    ),
    "budget.txt": (
        "Le gouvernement annonce un plan pour l'IA\n\n"
        "Le gouvernement a présenté mardi un plan pour développer l'intelligence "
        "artificielle dans les hôpitaux. Le ministre a promis un budget important, sans en "
        "donner le montant. Plusieurs syndicats ont demandé des précisions sur le calendrier."
    ),
}
TEMPTING_QUESTIONS = [
    "Combien de pays ont envoyé des délégations au sommet de Lisbonne ?",
    "Quel est le nom de la présidente du sommet de Lisbonne ?",
    "Quel est le montant du budget du plan pour l'IA dans les hôpitaux ?",
    "How many days will the discussions in Lisbon last?",
]


@pytest.fixture(scope="module")
def tempted(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    corpus = tmp_path_factory.mktemp("tempting")
    for name, text in TEMPTING.items():
        (corpus / name).write_text(text, "utf-8")
    settings = Settings(index_dir=tmp_path_factory.mktemp("tidx"), corpus_dir=corpus)
    build_index([corpus], settings)
    return Assistant(settings)


@pytest.mark.parametrize("question", TEMPTING_QUESTIONS)
def test_tempting_passages_never_yield_an_invented_name_or_number(
    tempted: Assistant, question: str
) -> None:
    answer = tempted.ask(question)
    _assert_grounded(tempted, answer)  # the passages hold no number and no such name
    assert answer.refused or answer.mode in ("generative", "extractive")


def test_llama_cpp_reuses_the_instructions_of_each_language() -> None:
    generator = get_generator("qwen2.5-coder-0.5b")
    assert isinstance(generator, LlamaCppGenerator) and generator.load_seconds < 60
    passages = ["Les pourparlers sont prévus mardi à Genève."]
    french = answer_messages(Path("prompts"), "fr", "Où ?", passages, "c0ffee")
    english = answer_messages(Path("prompts"), "en", "Where?", passages, "c0ffee")
    runs = []
    read_before = generator.prompt_tokens_read
    for messages in (french, english, french, english):
        stats: dict[str, int] = {}
        text = "".join(generator.stream(messages, 12, stats))
        runs.append((stats["prompt_tokens"], stats["cached_tokens"], text))
    assert all(text.strip() for _, _, text in runs)
    # what a question costs: the prompt tokens read, those found in a cache left out
    assert generator.prompt_tokens_read - read_before == sum(p - c for p, c, _ in runs)
    unseen = answer_messages(Path("prompts"), "fr", f"Où ? {uuid.uuid4()}", passages, "c0ffee")
    stats = {}
    read_before = generator.prompt_tokens_read
    list(generator.stream(unseen, 4, stats))
    read = generator.prompt_tokens_read - read_before
    assert read == stats["prompt_tokens"] - stats["cached_tokens"] > 0
    # after one question per language, each language's whole prompt is in a cache
    assert runs[2][1] >= runs[2][0] - 1 and runs[3][1] >= runs[3][0] - 1
    assert 0.0 < generator.yes_probability(french, "oui", "non") < 1.0


def test_transformers_loads_the_same_gguf() -> None:
    generator = TransformersGenerator(locate_model("qwen2.5-coder-0.5b"))
    messages = [{"role": "user", "content": "Réponds par un seul mot : quelle ville ? Genève."}]
    assert "".join(generator.stream(messages, 8)).strip()
    assert 0.0 < generator.yes_probability(messages, "oui", "non") < 1.0


def test_a_new_process_starts_from_the_saved_instructions(tmp_path: Path, monkeypatch) -> None:
    """The fixed instructions' state is saved on disk: a second generator (as in a new
    process) reads only the question; a damaged file is deleted, never restored."""
    tmp_path = tmp_path / "version"  # its parent holds the versions
    monkeypatch.setattr(SavedStates, "for_model", classmethod(lambda cls, *_: cls(tmp_path)))
    where = locate_model("qwen2.5-coder-0.5b")
    passages = ["Les pourparlers sont prévus mardi à Genève."]
    first_question = answer_messages(Path("prompts"), "fr", "Où ?", passages, "c0ffee")
    second_question = answer_messages(Path("prompts"), "fr", "Quand ?", passages, "c0ffee")

    def answer(generator: LlamaCppGenerator, messages: list) -> tuple[str, dict]:
        stats: dict[str, int] = {}
        return "".join(generator.stream(messages, 12, stats)), stats

    first = LlamaCppGenerator(where)
    _, stats = answer(first, first_question)
    assert stats["cached_tokens"] == 0 and len(list(tmp_path.glob("*.state"))) == 1
    expected, _ = answer(first, second_question)

    second = LlamaCppGenerator(where)  # a new process, as far as the cache goes
    text, stats = answer(second, second_question)
    assert text == expected
    assert stats["cached_tokens"] > stats["prompt_tokens"] - 40  # only the question is read
    del first, second

    (state,) = tmp_path.glob("*.state")
    state.write_bytes(state.read_bytes()[:-100] + b"\0" * 100)  # same size, wrong bytes
    third = LlamaCppGenerator(where)
    assert not third._snapshots and not state.exists()
    text, stats = answer(third, second_question)
    assert text == expected and stats["cached_tokens"] == 0
    assert len(list(tmp_path.glob("*.state"))) == 1  # rebuilt
