"""The library stands alone, and what it reads at run time ships inside it."""

from __future__ import annotations

import ast
from importlib.resources import files
from pathlib import Path

from rag.config import Settings

RAG = Path(__file__).resolve().parent.parent / "rag"


def imported_packages(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_library_does_not_import_its_front_ends() -> None:
    offenders = {
        path.name: sorted(imported_packages(path) & {"ui", "eval", "gradio"})
        for path in RAG.rglob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_runtime_files_are_package_resources() -> None:
    package = files("rag")
    settings = Settings()
    assert Path(str(package)) in settings.prompts_dir.parents
    for name in ("answer_system_fr.txt", "answer_system_en.txt", "messages.json"):
        assert (settings.prompts_dir / name).is_file()
    assert len(list(settings.corpus_dir.glob("*.txt"))) == 5
    assert (package / "licenses" / "Apache-2.0.txt").is_file()
    assert (files("eval") / "questions.jsonl").is_file()
