"""Shared fixtures: the real packaged models, loaded once per test session."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # a hidden hub download must fail loudly
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from pathlib import Path

import pytest

from rag.answer import Assistant
from rag.config import SAMPLE_CORPUS, Settings
from rag.store import build_index


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with an index of the bundled corpus built in a temp folder."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("index"), mode="extractive")
    build_index([SAMPLE_CORPUS], settings)
    return settings


@pytest.fixture(scope="session")
def assistant(sample_settings: Settings) -> Assistant:
    return Assistant(sample_settings)


@pytest.fixture()
def fresh_settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", mode="extractive")


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


class JudgeByWords:
    """A stand-in generator whose judge gives each sentence the P(yes) of the first phrase
    it holds (`otherwise` for none)."""

    def __init__(self, judged: dict[str, float], otherwise: float = 0.0) -> None:
        self.judged = judged
        self.otherwise = otherwise

    def yes_probability(self, messages: list[dict[str, str]], yes: str, no: str) -> float:
        said = messages[-1]["content"]
        return next((p for words, p in self.judged.items() if words in said), self.otherwise)
