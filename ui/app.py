"""The chat page: streamed cited answers, a source viewer, uploads and settings.

`build_app(settings)` returns the Blocks; `serve()` launches it on localhost.
Every piece of article or model text shown here is escaped first (see
`Answer.to_markdown`), so a hostile article cannot put live markup in the page.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer import Assistant
from rag.config import MODES, Settings
from rag.conversation import turns_from_messages
from rag.corpus import SUPPORTED_SUFFIXES
from rag.errors import RagError
from rag.filters import ArticleFilter, what_there_is
from rag.types import Answer, Citation, Waiting, escape_markdown

log = logging.getLogger(__name__)
UPLOAD_LOG = "uploads.log"  # in the upload folder: one JSON line per indexed upload
UPLOADS_OFF = (
    "❌ Uploads are turned off: this page is open beyond this machine. Its owner can allow "
    "them with a token (RAG_UPLOAD_TOKEN) or add articles with `rag index`."
)

EXAMPLES = [
    "Qui représente la Chine au sommet sur l'IA au Royaume-Uni ?",
    "Where did the US and China hold their AI talks?",
    "Combien de grands modèles linguistiques la Chine compte-t-elle ?",
    "Which US companies took part in the confidential talks in Geneva?",
    "Who won the 2022 World Cup?",
]
CSS = """
#source-panel {max-height: 70vh; overflow-y: auto; white-space: pre-wrap; line-height: 1.5}
#source-panel mark {background: #ffe066; padding: 0 2px}
"""
SCROLL_TO_MARK = (
    "() => setTimeout(() => document.querySelector('#source-panel mark')"
    "?.scrollIntoView({block: 'center'}), 150)"
)


def source_html(assistant: Assistant, citation: Citation) -> str:
    """The whole article, escaped, with the cited span highlighted."""
    doc = assistant.store.documents.get(citation.doc_id)
    if doc is None:
        return "<p>This article is no longer in the index.</p>"
    meta = " · ".join(html.escape(x) for x in (doc.outlet, doc.date, doc.byline, doc.id) if x)
    before, span, after = (
        doc.text[: citation.start],
        doc.text[citation.start : citation.end],
        doc.text[citation.end :],
    )
    return (
        f"<h3>[{citation.n}] {html.escape(doc.title)}</h3><p><small>{meta}</small></p>"
        f'<div style="max-height:65vh;overflow-y:auto">{html.escape(before)}'
        f"<mark>{html.escape(span)}</mark>{html.escape(after)}</div>"
    )


def corpus_rows(assistant: Assistant) -> list[list[Any]]:
    store = assistant.store
    counts = store.chunk_spans.counts()
    suspect = "⚠️ addresses an AI reader: ranked last; those sentences are never used"
    return [
        [
            d.title,
            d.date or "",
            d.outlet or "",
            counts.get(d.id, 0),
            d.id,
            suspect if d.id in store.planted_documents else "",
        ]
        for d in store.documents.values()
    ]


def outlet_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """ "Any outlet", then each outlet the index names."""
    outlets, _, _ = what_there_is(assistant.store.documents.values())
    return [("any outlet", ""), *((name, name) for name in outlets)]


def source_choices(answers: list[Answer]) -> list[tuple[str, str]]:
    """Every answer's citations, the newest answer first: "2 · [1] title" opens
    citation [1] of the conversation's second answer."""
    return [
        (f"{turn} · [{c.n}] {c.title[:60]}", f"{turn}:{c.n}")
        for turn, answer in reversed(list(enumerate(answers, 1)))
        for c in answer.citations
    ]


def _safe_name(name: str) -> str:
    """A file name that cannot leave the upload folder."""
    base = Path(name).name
    base = re.sub(r"[^\w.-]", "_", base).lstrip(".") or "upload"
    return base[:120]


UPLOAD_TOKEN_ENV = "RAG_UPLOAD_TOKEN"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def log_upload(upload_dir: Path, file: Path, doc_id: str) -> None:
    """One JSON line per indexed upload: when, which bytes (SHA-256), which article."""
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "file": file.name,
        "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
        "article": doc_id,
    }
    with (upload_dir / UPLOAD_LOG).open("a", encoding="utf-8") as log_file:
        log_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
    log.info("upload indexed: %s", entry)


def build_app(
    settings: Settings,
    assistant: Assistant | None = None,
    uploads: bool = True,
    upload_token: str | None = None,
) -> gr.Blocks:
    """`uploads`: whether visitors may add articles (they change the corpus for every
    visitor); `upload_token`: the token they must then give."""
    assistant = assistant or Assistant(settings)
    assistant.retriever()  # load (or build) the index before the first visitor
    if settings.mode != "extractive":  # load the model and read its instructions now
        threading.Thread(target=assistant.warm_up, daemon=True).start()
    upload_dir = settings.index_dir / "uploads"

    def respond(
        question: str,
        history: list[dict[str, Any]],
        answers: list[Answer] | None,
        k: int,
        hybrid: bool,
        mode: str,
        outlet: str | None = None,
        since: str = "",
        until: str = "",
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one turn of this visitor's conversation: the earlier turns (read back
        from the chat history, so that an API caller's history counts too) let a
        follow-up be understood."""
        answers = list(answers or [])
        turns = turns_from_messages(history or [])
        history = [*(history or []), {"role": "user", "content": question or ""}]
        first = ""  # the first state (passages, then the instant answer) while the model writes
        try:
            articles = ArticleFilter(outlet or None, since.strip() or None, until.strip() or None)
            run_settings = settings.replace(
                top_k=int(k), hybrid_search=bool(hybrid), mode=mode, articles=articles
            )
            for event in assistant.stream(question, run_settings, turns):
                if isinstance(event, Answer):
                    shown = [*answers, event]
                    sources = gr.update(choices=source_choices(shown), value=None)
                    if event.final:
                        history.append({"role": "assistant", "content": event.to_markdown()})
                        answers = shown
                        yield history, sources, answers, ""
                        continue
                    first = event.to_markdown()
                    waiting = f"{first}\n\n⏳ *the local model is writing an answer…*"
                    yield (
                        [*history, {"role": "assistant", "content": waiting}],
                        sources,
                        answers,
                        "",
                    )
                elif isinstance(event, Waiting):
                    line = (
                        f"{first}\n\n⏳ *the local model is answering {event.ahead} question(s) "
                        f"before yours: about {max(1, round(event.wait_s))} s*"
                    )
                    yield (
                        [*history, {"role": "assistant", "content": line}],
                        gr.skip(),
                        gr.skip(),
                        "",
                    )
                else:
                    draft = f"{first}\n\n✍️ *drafting, not yet verified:* {escape_markdown(event)}"
                    shown_draft = [*history, {"role": "assistant", "content": draft}]
                    yield shown_draft, gr.skip(), gr.skip(), ""
        except RagError as exc:
            history.append({"role": "assistant", "content": f"⚠️ {html.escape(str(exc))}"})
            yield history, gr.update(choices=source_choices(answers), value=None), answers, ""
        except Exception:  # never a stack trace in the page
            log.exception("answering failed")
            history.append(
                {"role": "assistant", "content": "⚠️ Something went wrong; see the server log."}
            )
            yield history, gr.update(choices=source_choices(answers), value=None), answers, ""

    def show_source(choice: str | None, answers: list[Answer] | None) -> str:
        if not choice or not answers:
            return ""
        turn, _, n = choice.partition(":")
        if not turn.isdigit() or not 1 <= int(turn) <= len(answers):
            return ""
        answer = answers[int(turn) - 1]
        citation = next((c for c in answer.citations if str(c.n) == n), None)
        return source_html(assistant, citation) if citation else ""

    def add_files(
        files: list[str] | None,
        token: str | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's idiom
    ) -> tuple:
        if not uploads:
            return UPLOADS_OFF, corpus_rows(assistant)
        if upload_token and not secrets.compare_digest(token or "", upload_token):
            return "❌ Wrong upload token: nothing was added.", corpus_rows(assistant)
        if not files:
            return "No file chosen.", corpus_rows(assistant)
        upload_dir.mkdir(parents=True, exist_ok=True)
        copied, lines = [], []
        for file in files:
            source = Path(file)
            name = _safe_name(source.name)
            if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                lines.append(f"❌ {html.escape(name)}: only txt, md, html and pdf are accepted")
                continue
            target = upload_dir / name
            shutil.copyfile(source, target)
            copied.append(target)
        if copied:

            def report(stage: str, done: int, total: int) -> None:
                progress(done / max(total, 1), desc=stage)

            try:
                result = assistant.index(copied, prune=False, progress=report)
            except RagError as exc:
                return f"❌ {html.escape(str(exc))}", corpus_rows(assistant)
            for skipped in result.skipped:
                Path(skipped.path).unlink(missing_ok=True)
                lines.append(f"❌ {html.escape(Path(skipped.path).name)}: {skipped.reason}")
            for doc_id in result.added + result.updated:
                log_upload(upload_dir, upload_dir / doc_id, doc_id)
                lines.append(f"✅ {html.escape(doc_id)} indexed")
            lines.append(f"{result.chunks_embedded} passages embedded in {result.seconds:.1f} s.")
        return "\n\n".join(lines), corpus_rows(assistant)

    with gr.Blocks(title="Cited answers from the news") as app:
        gr.Markdown(
            "## Ask the articles\nAnswers quote their sources; pick a source to read it in "
            "context. When the articles do not say, the assistant says so."
        )
        answers = gr.State([])  # this visitor's answers, for their sources
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Chat", height=480, sanitize_html=True)
                question = gr.Textbox(
                    label="Question (French or English)",
                    placeholder="Posez une question… / Ask a question…",
                    max_length=settings.max_question_chars,
                    elem_id="question",
                )
                gr.Examples(EXAMPLES, inputs=question)
                new_conversation = gr.Button("New conversation", elem_id="new-conversation")
                sources = gr.Radio(label="Cited sources", choices=[], elem_id="cited-sources")
            with gr.Column(scale=2):
                panel = gr.HTML(label="Source", elem_id="source-panel")
        with gr.Accordion("Settings", open=False):
            k = gr.Slider(1, settings.max_passages, value=settings.k, step=1, label="Passages")
            hybrid = gr.Checkbox(value=settings.hybrid_search, label="Hybrid search (BM25 + dense)")
            mode = gr.Radio(list(MODES), value=settings.mode, label="Answer mode")
            with gr.Row():
                outlet = gr.Dropdown(
                    choices=outlet_choices(assistant),
                    value="",
                    label="Outlet",
                    allow_custom_value=True,
                    elem_id="outlet",
                )
                since = gr.Textbox("", label="Since (YYYY-MM-DD)", elem_id="since")
                until = gr.Textbox("", label="Until (YYYY-MM-DD)", elem_id="until")
        with gr.Accordion("Add articles", open=False):
            files = gr.File(
                file_count="multiple", file_types=sorted(SUPPORTED_SUFFIXES), label="Articles"
            )
            token = gr.Textbox(label="Upload token", type="password", visible=bool(upload_token))
            add = gr.Button("Index these articles", interactive=uploads)
            status = gr.Markdown()
        with gr.Accordion("Corpus", open=False):
            table = gr.Dataframe(
                headers=["title", "date", "outlet", "passages", "file", "warning"],
                value=corpus_rows(assistant),
                interactive=False,
            )

        # Many questions at once: each gets its first state at once and waits its turn
        # for the model (rag.model_queue), rather than waiting in Gradio's queue.
        question.submit(
            respond,
            [question, chat, answers, k, hybrid, mode, outlet, since, until],
            [chat, sources, answers, question],
            concurrency_limit=settings.page_concurrency,
        )
        sources.change(show_source, [sources, answers], panel, concurrency_limit=None).then(
            None, js=SCROLL_TO_MARK
        )
        new_conversation.click(
            lambda: ([], [], gr.update(choices=[], value=None), ""),
            None,
            [chat, answers, sources, panel],
        )
        add.click(add_files, [files, token], [status, table]).then(
            lambda: gr.update(choices=outlet_choices(assistant)), None, outlet
        )
        app.load(
            lambda: (corpus_rows(assistant), gr.update(choices=outlet_choices(assistant))),
            None,
            [table, outlet],
        )  # what others have added since
    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """The chat page at /, and the OpenAI-compatible API at /v1 over the same assistant
    (one model, one queue)."""
    import uvicorn
    from fastapi import FastAPI

    from ui.openai_api import ChatCompletions

    assistant = Assistant(settings)
    # Uploads change the corpus for every visitor: beyond this machine, only with a token.
    token = os.environ.get(UPLOAD_TOKEN_ENV) or None
    uploads = host in LOOPBACK or token is not None
    if not uploads:
        print(f"Uploads are off: the page listens beyond this machine; set {UPLOAD_TOKEN_ENV}.")
    page = build_app(settings, assistant, uploads=uploads, upload_token=token)
    page.queue(default_concurrency_limit=1, max_size=settings.page_queue)
    page.max_threads = settings.page_concurrency + 16  # a thread per question being answered
    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    server.include_router(ChatCompletions(assistant).router())
    server = gr.mount_gradio_app(
        server,
        page,
        path="/",
        server_name=host,
        server_port=port,
        show_error=False,
        max_file_size=settings.max_file_bytes,
        css=CSS,
    )
    print(f"Chat page: http://{host}:{port} · OpenAI-compatible API: http://{host}:{port}/v1")
    uvicorn.run(server, host=host, port=port, log_level="warning")
