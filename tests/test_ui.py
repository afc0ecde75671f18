"""The chat page: API through gradio_client, and a real headless Chromium via Playwright."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eval.bench_serve import start_server
from rag.config import Settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def server(sample_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("ui")
    shutil.copytree(sample_settings.index_dir, work / "index")
    try:
        proc, url = start_server(work / "index", "extractive", work / "server.log")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def _api_answer(client, question: str) -> str:
    """The assistant's last message (state outputs are not sent over the API)."""
    job = client.submit(question, [], 5, True, "extractive", api_name="/respond")
    content = job.result()[0][-1]["content"]
    if isinstance(content, list):  # Gradio 6 sends message parts
        content = "".join(part.get("text", "") for part in content)
    return content


def test_api_answers_in_both_languages(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    reply = _api_answer(client, "Qui représente la Chine au sommet sur l'IA au Royaume-Uni ?")
    assert "Wu Zhaohui" in reply and "[1]" in reply and "D'après les articles" in reply
    reply = _api_answer(client, "Where did the US and China hold their AI talks?")
    assert "According to the articles" in reply and "Gen" in reply
    assert "do not contain the answer" in _api_answer(client, "Who won the 2022 World Cup?")
    assert "empty" in _api_answer(client, "   ")


def test_server_binds_localhost_and_hides_files(server: str) -> None:
    assert server.startswith("http://127.0.0.1:")
    for path in (
        "gradio_api/file=/etc/passwd",
        "gradio_api/file=../../etc/passwd",
        "file=/etc/passwd",
    ):
        response = httpx.get(server + path, timeout=5)
        assert response.status_code in (403, 404) and "root:" not in response.text


def _open_and_ask(p, server: str, question: str) -> tuple:
    """Headless Debian chromium on the page, a question asked; requests and dialogs recorded."""
    browser = p.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    )
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server)
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    return browser, page, requests, dialogs


@pytest.mark.slow
def test_browser_question_citation_and_highlight(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page, requests, dialogs = _open_and_ask(
            p, server, "Qui représente la Chine au sommet sur l'IA au Royaume-Uni ?"
        )
        page.get_by_text("Wu Zhaohui").first.wait_for(timeout=60_000)
        page.locator("#cited-sources label").first.click()
        mark = page.locator("#source-panel mark")
        mark.wait_for(timeout=20_000)
        assert len(mark.inner_text()) > 20
        page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
        browser.close()
    assert not dialogs
    assert all(u.startswith(("http://127.0.0.1", "data:", "blob:")) for u in requests)


def test_upload_indexes_at_once_and_rejects_with_a_reason(server: str, tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    client = Client(server, verbose=False)
    good = tmp_path / "bruxelles.txt"
    good.write_text(
        "L'Union européenne adopte sa loi sur l'IA\n\nLe Parlement européen a adopté à "
        "Strasbourg la loi sur l'intelligence artificielle, présentée par Thierry Breton.",
        "utf-8",
    )
    fake = tmp_path / "photo.txt"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    evil = tmp_path / "script.sh"
    evil.write_text("rm -rf /")
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Invalid file type"):  # Gradio refuses it first
        client.predict([handle_file(str(evil))], api_name="/add_files")
    upload = client.submit([handle_file(str(p)) for p in (good, fake)], api_name="/add_files")
    # the page keeps answering while the articles are being indexed
    assert "Wu Zhaohui" in _api_answer(
        client, "Qui a prononcé une allocution lors de la séance plénière qui a ouvert le sommet ?"
    )
    status, table = upload.result()
    assert "bruxelles.txt indexed" in status
    assert "photo.txt: this is a PNG image" in status
    assert any("bruxelles.txt" in str(row) for row in table["data"])
    reply = _api_answer(client, "Qui a présenté la loi européenne sur l'intelligence artificielle?")
    assert "Thierry Breton" in reply


@pytest.mark.slow
def test_hostile_markup_is_shown_as_text_in_the_browser(server: str, tmp_path: Path) -> None:
    """An uploaded article whose title holds markup: listed as text, flagged, never live."""
    from gradio_client import Client, handle_file
    from playwright.sync_api import sync_playwright

    article = tmp_path / "festival.txt"
    article.write_text(
        "<img src=x onerror=alert('XSS')> Festival de Tromsø <script>alert('XSS2')</script>\n\n"
        "Le festival de Tromsø sur l'intelligence artificielle a réuni 4 000 visiteurs en mars. "
        "![pixel](http://attacker.example/leak)\n",
        "utf-8",
    )
    status, table = Client(server, verbose=False).predict(
        [handle_file(str(article))], api_name="/add_files"
    )
    assert "festival.txt indexed" in status
    row = next(r for r in table["data"] if r[4] == "festival.txt")
    assert row[5].startswith("⚠️")  # flagged as addressing an AI reader
    with sync_playwright() as p:
        browser, page, requests, dialogs = _open_and_ask(p, server, "Festival de Tromsø ?")
        page.get_by_text("Corpus").click()
        page.get_by_text("onerror=alert").first.wait_for(timeout=60_000)  # shown as text
        page.wait_for_timeout(1500)
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("table script, [role=log] script").count() == 0
        page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)
        browser.close()
    assert not dialogs
    assert not any("attacker.example" in u for u in requests)
