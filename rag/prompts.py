"""Prompt templates and fixed phrases, read from the `prompts/` folder, and the
messages given to the generator.

Templates use `str.format` fields; a missing field is an error, not a blank.
The system message of a language is the same for every question (rules, worked
examples, the process's canary), so llama.cpp reads it once and reuses it; only
the short user message (extracts and question) changes.
"""

from __future__ import annotations

import functools
import hashlib
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


def phrases(prompts_dir: Path, language: str, key: str) -> list[str]:
    """A list of fixed phrases (e.g. the ways a model says the articles are silent)."""
    table = _messages(prompts_dir)
    return list(table.get(language, table["en"])[key])


def prompt_language(language: str) -> str:
    return language if language in LANGUAGES else "en"


def answer_messages(
    prompts_dir: Path, language: str, question: str, passages: list[str], canary: str
) -> list[dict[str, str]]:
    """System (fixed per language) and user (numbered extracts, question) messages."""
    lang = prompt_language(language)
    system = render(
        prompts_dir,
        f"answer_system_{lang}.txt",
        refusal=message(prompts_dir, lang, "refusal"),
        canary=canary,
    )
    numbered = "\n".join(f"[{i}] {' '.join(text.split())}" for i, text in enumerate(passages, 1))
    user = render(prompts_dir, f"answer_user_{lang}.txt", passages=numbered, question=question)
    return [{"role": "system", "content": system}, {"role": "user", "content": user.strip()}]


def _yes_no_messages(prompts_dir: Path, name: str, **fields: str) -> list[dict[str, str]]:
    """A fresh, short context: the system template `name`.txt and the user template
    `name`_user.txt, asked in French with a French yes/no (the extracts are French)."""
    fields = {key: " ".join(value.split()) for key, value in fields.items()}
    return [
        {"role": "system", "content": template(prompts_dir, f"{name}.txt").strip()},
        {"role": "user", "content": render(prompts_dir, f"{name}_user.txt", **fields).strip()},
    ]


def claim_messages(prompts_dir: Path, passage: str, claim: str) -> list[dict[str, str]]:
    """Does `passage` state `claim` (whatever the claim's language)?"""
    return _yes_no_messages(prompts_dir, "judge_claim", passage=passage, claim=claim)


def sentence_messages(prompts_dir: Path, question: str, sentence: str) -> list[dict[str, str]]:
    """Does `sentence` give what `question` asks for? The question comes first, so that
    llama.cpp reads it once for all the sentences judged."""
    return _yes_no_messages(prompts_dir, "judge_sentence", question=question, sentence=sentence)


def rewrite_messages(
    prompts_dir: Path, conversation: list[tuple[str, str]], question: str, task: str = "rewrite"
) -> list[dict[str, str]]:
    """Rewrite `question` so that it stands alone (`task` "rewrite"), or name what its
    pointers point to ("referent"): the fixed instructions first (read once), then the
    earlier (question, answer) pairs, oldest first."""
    lines = []
    for asked, answered in conversation:
        lines.append(f"Earlier question: {' '.join(asked.split())}")
        if answered:
            lines.append(f"Earlier answer: {' '.join(answered.split())}")
    user = render(prompts_dir, f"{task}_user.txt", conversation="\n".join(lines), question=question)
    return [
        {"role": "system", "content": template(prompts_dir, f"{task}.txt").strip()},
        {"role": "user", "content": user.strip()},
    ]


@functools.lru_cache(maxsize=4)
def prompts_version(prompts_dir: Path) -> str:
    """A short hash of every file in `prompts/`: which wording produced an answer."""
    digest = hashlib.sha256()
    for path in sorted(prompts_dir.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
