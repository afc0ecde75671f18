"""An OpenAI-compatible door: `/v1/models` and `/v1/chat/completions`, served by
`rag serve` beside the chat page, so that existing chat front ends, scripts and
the `openai` client library can ask the articles.

The messages are the conversation: the last one is the question (a user message),
the earlier ones its history, so that a follow-up is understood as on the page.
The reply is the verified answer with its [n] markers, and the citations as a
structured field (article, outlet, date, quoted span with its character offsets).

Streaming (server-sent events) sends the verified answer, never the model's
unverified draft: while the question waits for the model, chunks with an empty
delta carry `rag.waiting` (questions ahead, the estimated wait), and `rag.first`
the first states (the closest passages, then the instant answer). Errors have the
HTTP status and the error shape that OpenAI client libraries expect.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from rag.answer import Assistant
from rag.config import MODES, Settings
from rag.conversation import message_text, turns_from_messages
from rag.errors import QuestionError, RagError, UsageError
from rag.filters import ArticleFilter
from rag.types import Answer, Waiting

MODEL_ID = "rag-news"  # the server's own mode; "rag-news-hybrid" etc. choose one
MAX_BODY_BYTES = 256 * 1024  # a conversation, not a document
MAX_MESSAGES = 200


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str, code: str, param: str | None = None):
        super().__init__(message)
        self.status, self.kind, self.code, self.param = status, kind, code, param

    def payload(self) -> dict[str, Any]:
        error = {"message": str(self), "type": self.kind, "param": self.param, "code": self.code}
        return {"error": error}

    def response(self) -> JSONResponse:
        return JSONResponse(self.payload(), status_code=self.status)


MODEL_IDS = (MODEL_ID, *(f"{MODEL_ID}-{mode}" for mode in MODES))


def citations_of(answer: Answer) -> list[dict[str, Any]]:
    return [
        {
            "n": c.n,
            "article": c.doc_id,
            "title": c.title,
            "outlet": c.outlet,
            "date": c.date,
            "quote": c.quote,
            "start": c.start,
            "end": c.end,
        }
        for c in answer.citations
    ]


def rag_fields(answer: Answer) -> dict[str, Any]:
    return {
        "refused": answer.refused,
        "mode": answer.mode,
        "understood_as": answer.understood_as,
        "disagreements": [
            {"value": v.value, "citation": v.citation, "outlet": v.outlet, "date": v.date}
            for v in answer.disagreements
        ],
    }


class ChatCompletions:
    """The two routes, over one `Assistant` (the page's)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        # questions admitted at once: past this, a client is told to come back (429)
        self._slots = threading.BoundedSemaphore(self.settings.page_concurrency)

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route("/v1/models", self.models, methods=["GET"])
        router.add_api_route("/v1/chat/completions", self.complete, methods=["POST"])
        return router

    async def models(self) -> dict[str, Any]:
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": "rag-news"} for m in MODEL_IDS
        ]
        return {"object": "list", "data": data}

    async def complete(self, request: Request) -> Any:
        try:
            body = await self._body(request)
            settings, question, history = self._parse(body)
        except ApiError as exc:
            return exc.response()
        if not self._slots.acquire(blocking=False):
            return ApiError(
                429, "too many questions at once; retry shortly", "rate_limit_error", "busy"
            ).response()
        reply_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        model = body.get("model", MODEL_ID)
        if body.get("stream"):
            events = self._events(settings, question, history)
            return StreamingResponse(
                self._sse(events, reply_id, model), media_type="text/event-stream"
            )
        try:
            answer = await run_in_threadpool(self._ask, settings, question, history)
        except ApiError as exc:
            return exc.response()
        finally:
            self._slots.release()
        return _completion(answer, reply_id, model)

    async def _body(self, request: Request) -> dict[str, Any]:
        size = int(request.headers.get("content-length") or 0)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, f"request body over {MAX_BODY_BYTES} bytes", *_INVALID)
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            raise ApiError(413, f"request body over {MAX_BODY_BYTES} bytes", *_INVALID)
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"the body is not JSON: {exc}", *_INVALID) from exc
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object", *_INVALID)
        return body

    def _parse(self, body: dict[str, Any]) -> tuple[Settings, str, list]:
        model = body.get("model", MODEL_ID)
        if model not in MODEL_IDS:
            known = ", ".join(MODEL_IDS)
            raise ApiError(
                404,
                f"the model '{model}' does not exist; known: {known}",
                "invalid_request_error",
                "model_not_found",
                "model",
            )
        mode = model.removeprefix(f"{MODEL_ID}-") if model != MODEL_ID else self.settings.mode
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ApiError(400, "'messages' must be a non-empty list", *_INVALID, "messages")
        if len(messages) > MAX_MESSAGES:
            raise ApiError(400, f"more than {MAX_MESSAGES} messages", *_INVALID, "messages")
        if not all(isinstance(m, dict) for m in messages) or messages[-1].get("role") != "user":
            raise ApiError(400, "the last message must be the user's question", *_INVALID)
        question = message_text(messages[-1].get("content"))
        history = turns_from_messages([m for m in messages[:-1] if m.get("role") != "system"])
        return self.settings.replace(mode=mode, articles=_filter(body)), question, history

    def _ask(self, settings: Settings, question: str, history: list) -> Answer:
        try:
            return self.assistant.ask(question, settings, history)
        except QuestionError as exc:
            raise ApiError(400, str(exc), *_INVALID, "messages") from exc
        except RagError as exc:
            raise ApiError(500, str(exc), "server_error", "rag_error") from exc

    def _events(self, settings: Settings, question: str, history: list) -> Iterator[Any]:
        """The assistant's events; an error as the last one."""
        try:
            yield from self.assistant.stream(question, settings, history)
        except QuestionError as exc:
            yield ApiError(400, str(exc), *_INVALID, "messages")
        except RagError as exc:
            yield ApiError(500, str(exc), "server_error", "rag_error")

    async def _sse(self, events: Iterator[Any], reply_id: str, model: str) -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            data = {
                "id": reply_id,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        try:
            yield chunk({"role": "assistant", "content": ""})
            async for event in iterate_in_threadpool(events):
                if isinstance(event, ApiError):
                    yield f"data: {json.dumps(event.payload(), ensure_ascii=False)}\n\n"
                    break
                if isinstance(event, Waiting):
                    waiting = {"ahead": event.ahead, "wait_s": round(event.wait_s, 1)}
                    yield chunk({}, rag={"waiting": waiting})
                elif isinstance(event, Answer) and not event.final:
                    yield chunk({}, rag={"first": event.to_text()})
                elif isinstance(event, Answer):
                    for line in _content(event).splitlines(keepends=True):
                        yield chunk({"content": line})
                    extra = {"citations": citations_of(event), "rag": rag_fields(event)}
                    yield chunk({}, "stop", **extra)
            yield "data: [DONE]\n\n"
        finally:  # also when the client went away: its place in line is given up
            with contextlib.suppress(ValueError):  # still running in its thread
                events.close()
            self._slots.release()


_INVALID = ("invalid_request_error", "invalid_request")


def _filter(body: dict[str, Any]) -> ArticleFilter:
    """The request's optional `filter`: {"outlet": …, "since": …, "until": …}."""
    given = body.get("filter") or {}
    known = {"outlet", "since", "until"}
    if not isinstance(given, dict) or set(given) - known:
        raise ApiError(400, f"'filter' takes only {sorted(known)}", *_INVALID, "filter")
    if not all(isinstance(v, str | None) for v in given.values()):
        raise ApiError(400, "'filter' values must be strings", *_INVALID, "filter")
    try:
        return ArticleFilter(**given)
    except UsageError as exc:
        raise ApiError(400, str(exc), *_INVALID, "filter") from exc


def _content(answer: Answer) -> str:
    """The answer's words with [n] markers; the sources are in `citations`."""
    return answer.to_text().split("\n\nSources:\n", 1)[0]


def _completion(answer: Answer, reply_id: str, model: str) -> dict[str, Any]:
    content = _content(answer)
    return {
        "id": reply_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": answer.timings.prompt_tokens,
            "completion_tokens": answer.timings.tokens,
            "total_tokens": answer.timings.prompt_tokens + answer.timings.tokens,
        },
        "citations": citations_of(answer),
        "rag": rag_fields(answer),
    }
