"""Prompt templates and fixed phrases, read from the `prompts/` folder.

Templates use `str.format` fields; a missing field is an error, not a blank.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from rag.errors import RagError

LANGUAGES = ("fr", "en")


@functools.lru_cache(maxsize=32)
def template(prompts_dir: Path, name: str) -> str:
    path = prompts_dir / name
    try:
        return path.read_text("utf-8")
    except OSError as exc:
        raise RagError(f"prompt template {path} is missing") from exc


def render(prompts_dir: Path, name: str, **fields: object) -> str:
    try:
        return template(prompts_dir, name).format(**fields)
    except KeyError as exc:
        raise RagError(f"prompt template {name} needs the field {exc}") from exc


@functools.lru_cache(maxsize=4)
def _messages(prompts_dir: Path) -> dict[str, dict[str, str]]:
    return json.loads(template(prompts_dir, "messages.json"))


def message(prompts_dir: Path, language: str, key: str, **fields: object) -> str:
    """A fixed phrase in the reply language (French or English; others get English)."""
    table = _messages(prompts_dir)
    return table.get(language, table["en"])[key].format(**fields)
