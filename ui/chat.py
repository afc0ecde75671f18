"""`rag chat`: a conversation in the terminal.

On a terminal: a prompt with readline history; each question shows the closest
passages, the instant answer once the model has judged it, the model's draft as it is
written (on stderr), then the verified answer.
From a pipe or a file: one question per line, each a turn of the same conversation,
and only the final answers, so that a conversation can be scripted and tested.

Commands: /sources (the last answer's sources), /source N (a cited passage in its
article, with outlet and date), /new (start over), /quit. Ctrl-D ends the chat;
Ctrl-C stops the answer being written, or at the prompt ends the chat.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import TextIO

from rag.answer import Assistant
from rag.config import Settings
from rag.conversation import turn_of
from rag.errors import RagError
from rag.types import Answer, Citation, Waiting

HELP = "/sources · /source N · /new · /quit — Ctrl-D to leave"
CONTEXT_CHARS = 300  # of the article, each side of a quoted passage


class Chat:
    def __init__(self, assistant: Assistant, out: TextIO, err: TextIO, as_json: bool) -> None:
        self.assistant = assistant
        self.answers: list[Answer] = []
        self.out, self.err = out, err
        self.as_json = as_json

    def command(self, line: str) -> bool:
        """Run a /command; False for /quit."""
        name, _, arg = line.partition(" ")
        if name in ("/quit", "/exit"):
            return False
        if name == "/new":
            self.answers.clear()
            print("New conversation.", file=self.out)
        elif name == "/sources":
            self.print_sources()
        elif name == "/source":
            self.print_source(arg.strip())
        else:
            print(f"unknown command {name}; {HELP}", file=self.err)
        return True

    def print_sources(self) -> None:
        last = self.answers[-1] if self.answers else None
        if last is None or not last.citations:
            print("No sources yet.", file=self.out)
            return
        for c in last.citations:
            print(c.heading(), file=self.out)

    def print_source(self, n: str) -> None:
        last = self.answers[-1] if self.answers else None
        citation = next((c for c in last.citations if str(c.n) == n), None) if last else None
        if citation is None:
            print(f"no source [{n}] in the last answer; /sources lists them", file=self.err)
            return
        print(self.passage(citation), file=self.out)

    def passage(self, c: Citation) -> str:
        doc = self.assistant.store.documents.get(c.doc_id)
        if doc is None:
            return "This article is no longer in the index."
        meta = " · ".join(x for x in (doc.outlet, doc.date, doc.id) if x)
        before = doc.text[max(0, c.start - CONTEXT_CHARS) : c.start]
        after = doc.text[c.end : c.end + CONTEXT_CHARS]
        return f"[{c.n}] {doc.title}\n{meta}\n\n…{before}>>> {c.quote} <<<{after}…"

    def ask(self, question: str, live: bool) -> None:
        turns = [turn_of(a) for a in self.answers]
        final: Answer | None = None
        drafting, shown = False, 0
        events = self.assistant.stream(question, None, turns)
        try:
            for event in events:
                if isinstance(event, Answer) and event.final:
                    final = event
                elif not live:
                    continue
                elif isinstance(event, Answer):
                    print(event.to_text(), file=self.out, flush=True)
                elif isinstance(event, Waiting):
                    print(f"… {event.ahead} question(s) ahead of yours", file=self.err)
                else:  # the draft so far: only what is new is written
                    if not drafting:
                        print("drafting: ", end="", file=self.err)
                        drafting = True
                    print(event[shown:], end="", file=self.err, flush=True)
                    shown = len(event)
        except KeyboardInterrupt:
            events.close()
            print("\n(stopped)", file=self.err)
            return
        if drafting:
            print(file=self.err)
        assert final is not None
        self.answers.append(final)
        if self.as_json:
            print(json.dumps(final.to_dict(), ensure_ascii=False), file=self.out)
        else:
            print(final.to_text() + "\n", file=self.out, flush=True)

    def turn(self, line: str, live: bool) -> bool:
        line = line.strip()
        if line.startswith("/"):
            return self.command(line)
        try:
            self.ask(line, live)
        except RagError as exc:  # an empty or too long question: say so, go on
            print(f"error: {exc}", file=self.err)
        return True


def chat(settings: Settings, as_json: bool = False) -> int:
    session = Chat(Assistant(settings), sys.stdout, sys.stderr, as_json)
    if not sys.stdin.isatty():  # scripted: one turn per line
        for line in sys.stdin:
            if line.strip() and not session.turn(line, live=False):
                break
        return 0
    with contextlib.suppress(ImportError):  # line editing and history for input()
        import readline  # noqa: F401
    print(f"Ask the articles, in French or English. {HELP}", file=sys.stderr)
    while True:
        try:
            line = input("> ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if line.strip() and not session.turn(line, live=True):
            return 0
