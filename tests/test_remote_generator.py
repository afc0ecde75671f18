"""A generator on another machine: `--generator-url` against llama.cpp's own server
(`python -m llama_cpp.server`), started here on the loopback with the packaged model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.bench_serve import start_generator_server, stop_server
from rag.answer import Assistant
from rag.config import Settings
from rag.errors import ModelError
from rag.generate import RemoteGenerator, locate_model
from rag.prompts import sentence_messages

pytestmark = pytest.mark.slow
MODEL = "qwen2.5-coder-1.5b"


@pytest.fixture(scope="module")
def generator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = locate_model(MODEL).gguf_path
    assert path is not None
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    try:
        proc, url = start_generator_server(path, log)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield url
    stop_server(proc)


def test_the_remote_judge_reads_as_the_local_one(sample_settings: Settings, generator_url: str):
    """The same model, greedy: the judges' P(yes) from the server's log-probabilities
    match the local llama.cpp's, and its streamed words are the same."""
    remote = RemoteGenerator(generator_url, MODEL)
    local = Assistant(sample_settings).generator()  # the session's model, loaded once
    prompts = sample_settings.prompts_dir
    question = "Qui représente la Chine au sommet ?"
    for sentence in (
        "La Chine enverra Wu Zhaohui, vice-ministre des Sciences et de la Technologie.",
        "Le sommet se tiendra les 1er et 2 novembre.",
    ):
        messages = sentence_messages(prompts, question, sentence)
        assert remote.yes_probability(messages, "oui", "non") == pytest.approx(
            local.yes_probability(messages, "oui", "non"), abs=0.05
        )
    messages = [{"role": "user", "content": "Réponds en un mot : capitale de la France ?"}]
    stats: dict = {}
    assert "".join(remote.stream(messages, 8, stats)) == "".join(local.stream(messages, 8))
    assert stats["prompt_tokens"] > 0


def test_a_hybrid_answer_written_on_the_server_is_verified_here(
    sample_settings: Settings, generator_url: str
) -> None:
    settings = sample_settings.replace(mode="hybrid", generator_url=generator_url)
    answer = Assistant(settings).ask("Qui représente la Chine au sommet sur l'IA au Royaume-Uni ?")
    assert "Wu Zhaohui" in answer.text and answer.citations
    assert answer.provenance and generator_url in (answer.provenance.generator or "")
    assert all(s.supported for s in answer.sentences)


def test_a_server_that_does_not_answer_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not answer"):
        RemoteGenerator("http://127.0.0.1:9", MODEL)
