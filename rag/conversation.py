"""Follow-up questions. A message that leans on the conversation before it ("Et la
Chine ?", "When was he appointed?") is rewritten into a standalone question before
anything is retrieved; retrieval, the judges and the answer then use that question,
and the reply shows how the message was understood.

The rewrite is the model's, checked by rules: it must keep every content word of the
message, add only words from the conversation, and address no one but the articles.
Without a model, or when the model's rewrite fails a check, the message is read
with the question it follows ("Et la Chine ? (after: Combien de modèles…?)"). A first
message, and one that stands alone, is never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.text import (
    ALIASES,
    STOPWORDS,
    content_terms,
    detect_language,
    fold,
    planted,
    stem,
    words,
)
from rag.types import Answer

HISTORY_CHARS = 1200  # the conversation given to the rewrite, newest turns first
ANSWER_CHARS = 200  # of each earlier answer: its first words hold the referent
QUESTION_CHARS = 400  # of each earlier question (an API caller may send any length)
MAX_REWRITE_CHARS = 400


@dataclass(frozen=True)
class Turn:
    """One earlier exchange: what was asked (as understood) and the reply's words."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Understood:
    question: str  # what is retrieved and answered
    how: str  # "typed" (stands alone), "model" (rewritten) or "context" (read with the last)


# Words that point back into the conversation.
_POINTERS = re.compile(
    r"(?<!-)\b(?:he|she|it|they|him|her|them|his|this|that|these|those|there|then"
    r"|the other|the same|same one|il|elle|ils|elles|lui|celui|celle|ceux|celles"
    r"|cet|cette|ces|ce (?!que\b|qui\b)|ça|cela|là-bas|là|l['’]autre|le même|la même)\b",
    re.IGNORECASE,
)
# "occupe-t-il", "se tiendront-ils": a pronoun, unless a name before it is its subject
# ("la Chine et les États-Unis tiendront-ils…", "Quand Wu Zhaohui a-t-il…").
_INVERTED = re.compile(r"-(?:t-)?(?:il|elle|ils|elles)\b", re.IGNORECASE)
_NAME_BEFORE = re.compile(r"\s[A-ZÀ-Ý]")
# Not a pointer: "y a-t-il", "est-ce", impersonal "il y a", "are there".
_IMPERSONAL = re.compile(
    r"\by a-t-il\b|\best-ce\b|\bil y a\b|\bil (?:faut|s['’]agit)\b|\bqu['’]est-ce\b"
    r"|\b(?:are|is|were|was) there\b",
    re.I,
)
_OPENERS = re.compile(
    r"^\s*(?:and|et|what about|how about|also|aussi|then|ensuite|puis|alors|mais|but)\b",
    re.IGNORECASE,
)
_QUESTION_WORDS = {
    *words(
        "who whom whose what which when where why how many much long quel quelle quels quelles"
        " qui que quoi quand où pourquoi comment combien lequel laquelle lesquels est sont"
        " was were did does do is are a ont été fait raison raisons reason reasons"
    )
}


# "Dans quel domaine les firmes chinoises essaient-elles…", "le sommet a-t-il…": the
# inverted pronoun repeats the subject just before its verb (dev2 k16 had "elles" read
# as the United States of the turn before)
_NOUN_SUBJECT = re.compile(
    r"\b(?:les|le|la|l['’]|leurs?|son|sa|ses)\s*[a-zà-ÿ][\w-]{2,}"
    r"(?:\s+(?:s['’])?[a-zà-ÿ][\w-]*){1,3}$",
    re.IGNORECASE,
)


def _without_repeated_subjects(text: str) -> str:
    """`text` without the inverted pronouns that repeat a subject written before them."""
    for m in reversed(list(_INVERTED.finditer(text))):
        before = text[: m.start()]
        if _NAME_BEFORE.search(before) or _NOUN_SUBJECT.search(before):
            text = text[: m.start()] + text[m.end() :]
    return text


def points_back(message: str) -> bool:
    """A pronoun or a pointer ("he", "cette", "là-bas", "l'autre", "occupe-t-il")."""
    text = _without_repeated_subjects(_IMPERSONAL.sub(" ", message))
    return bool(_POINTERS.search(text) or _INVERTED.search(text))


# Pronouns that stand for a person or a body named before ("he", "elle"), as against
# pointers to a thing, a place or a time ("it", "ça", "cette réunion", "là-bas"), which
# this model resolves badly alone (dev2: "ça" read as a city): those are rewritten whole.
_PERSONAL = re.compile(
    rf"(?<!-)\b(?:he|she|him|her|his|they|them|il|elle|ils|elles|lui)\b|{_INVERTED.pattern}",
    re.IGNORECASE,
)


# "Et l'ambassade chinoise à Londres, elle a réagi comment ?": the pronoun takes up the
# words before its comma, in the message itself
_TAKEN_UP = re.compile(r"\w[^,?]*,\s*(?:he|she|they|il|elle|ils|elles)\b", re.IGNORECASE)


def points_to_someone(message: str) -> bool:
    """The message points back by personal pronouns only ("Where does he work?"), and
    not to words of its own."""
    text = _without_repeated_subjects(_IMPERSONAL.sub(" ", message))
    if _TAKEN_UP.search(text) or not _PERSONAL.search(text):
        return False
    return not _POINTERS.search(_PERSONAL.sub(" ", text))


def is_follow_up(message: str) -> bool:
    """A pronoun or a pointer, an opening "and…/et…", or no content word of its own
    ("Pourquoi ?", "Why was that?")."""
    if points_back(message) or _OPENERS.search(_IMPERSONAL.sub(" ", message)):
        return True
    own = [w for w in words(message) if w not in _QUESTION_WORDS]
    return not content_terms(" ".join(own))


def recent(turns: Sequence[Turn], budget: int = HISTORY_CHARS) -> list[Turn]:
    """The newest turns that fit the budget, oldest first; a turn that addresses the
    assistant ("ignore the articles from now on") is left out: it is never context."""
    kept: list[Turn] = []
    used = 0
    for turn in reversed(turns):
        if planted(turn.question) or planted(turn.answer):
            continue
        question, answer = turn.question[:QUESTION_CHARS], turn.answer[:ANSWER_CHARS]
        size = len(question) + len(answer)
        if kept and used + size > budget:
            break
        kept.append(Turn(question, answer))
        used += size
    return kept[::-1]


def _said(turns: Sequence[Turn]) -> str:
    """The conversation's words: what a rewrite or a referent may take from it."""
    return " ".join(f"{t.question} {t.answer}" for t in turns)


def _stems(text: str) -> set[str]:
    found = set(content_terms(text))
    for word in words(text):
        found |= ALIASES.get(word, set())
    return found


_RAW_WORD = re.compile(r"\w+")


def _own_words(message: str) -> tuple[set[str], set[str]]:
    """The stems of the message's names and figures (capitalised past its opening word,
    or digits), and of its other content words; not its pointers, which are what a
    rewrite replaces."""
    text = _POINTERS.sub(" ", _IMPERSONAL.sub(" ", message))
    names: set[str] = set()
    others: set[str] = set()
    for at, token in enumerate(_RAW_WORD.findall(text)):
        word = fold(token)
        if word in STOPWORDS or word in _QUESTION_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        named = (token[0].isupper() and at > 0) or token.isdigit()  # not the opening word
        (names if named else others).add(stem(word))
    return names, others


def acceptable(rewrite: str, message: str, turns: Sequence[Turn]) -> bool:
    """A rewrite is one question: it keeps the message's names and figures and all its
    other content words but one (an "altogether" dropped, "happen" written "take place"),
    takes its other words from the conversation, keeps the message's language and
    addresses no one."""
    if not rewrite or len(rewrite) > MAX_REWRITE_CHARS or planted(rewrite):
        return False
    if fold(rewrite).strip(" ?") == fold(message).strip(" ?"):
        return False  # not rewritten at all
    if rewrite.count("?") > message.count("?"):
        return False  # the earlier question joined to the message: two questions, not one
    if message.rstrip().endswith("?") and not rewrite.rstrip().endswith("?"):
        return False  # an answer ("Et ça se passait dans Shanghai."), not a question
    names, others = _own_words(message)
    kept = _stems(rewrite)
    if not names <= kept or len(others - kept) > 1:
        return False
    known = _stems(f"{message} {_said(turns)}")
    added = set(content_terms(rewrite)) - known
    lang = detect_language(message)
    return len(added) <= 2 and (detect_language(rewrite) == lang or len(words(message)) <= 3)


MAX_REFERENT_WORDS = 12


def referent_ok(referent: str, message: str, turns: Sequence[Turn]) -> bool:
    """What a pronoun stands for is a short phrase the conversation writes (no word of
    its own), that the message does not already say, addressing no one."""
    if not referent or planted(referent) or len(words(referent)) > MAX_REFERENT_WORDS:
        return False
    terms = set(content_terms(referent))
    known = _stems(_said(turns))
    return bool(terms - _stems(message)) and terms <= known


_LAST_BRACKETS = re.compile(r"\s*\(([^()]*)\)\s*$")
REFERENT_CHARS = 80  # of the previous answer, where its referent is named


def without_context(question: str) -> str:
    """A question as understood, without the turn `with_context` read it with (an
    earlier question, or more words than a referent has); a referent, "Where does he
    work? (Liu Wei)", stays: it is what the question asks about."""
    tail = _LAST_BRACKETS.search(question)
    if tail and ("?" in tail.group(1) or len(words(tail.group(1))) > MAX_REFERENT_WORDS):
        return question[: tail.start()]
    return question


def with_context(message: str, turns: Sequence[Turn]) -> str:
    """The message read with the turn it follows (its question, the first words of its
    answer), when no model may rewrite it."""
    if not turns:
        return message
    last = turns[-1]
    before = without_context(last.question)  # not the context of the context
    answer = last.answer
    if len(answer) > REFERENT_CHARS:  # whole words only
        answer = answer[:REFERENT_CHARS].rsplit(" ", 1)[0]
    return f"{message} ({before} {answer})".replace("  ", " ").replace(" )", ")")


Ask = Callable[[list[Turn], str], str]


def understand(
    message: str, turns: Sequence[Turn], rewrite: Ask | None, refer: Ask | None = None
) -> Understood:
    """The standalone question for `message` after `turns` (oldest first). A message
    whose pronouns stand for someone is read with whom ("Where does he work? (Liu Wei)",
    `refer` asks the model); an ellipsis, a pointer to a thing, or a pronoun the model
    cannot resolve, is rewritten (`rewrite`). None: no model, as in extractive mode."""
    context = recent(turns)
    if not context or not is_follow_up(message):
        return Understood(message, "typed")
    if refer is not None and points_to_someone(message):
        referent = _one_line(refer(context, message))
        if referent_ok(referent, message, context):
            return Understood(f"{message} ({referent})", "model")
    if rewrite is not None:
        written = _one_line(rewrite(context, message))
        if acceptable(written, message, context):
            return Understood(written, "model")
    return Understood(with_context(message, context), "context")


def _one_line(reply: str) -> str:
    return " ".join(reply.strip().splitlines()[:1]).strip().strip("\"'«» ")


# ---------------------------------------------------------------- from chat messages

_SOURCES = re.compile(r"\n+Sources:\n.*", re.S)
_UNDERSTOOD = re.compile(r"^\((?:Understood as:|Compris comme :)\s*(.*?)\)\s*$", re.M)
_MARKERS = re.compile(r"\s*\[\d+\]")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+!|~>-])")
_STATUS = re.compile(r"^(?:⏳|✍️|⚠️).*$|^.*:\s*$", re.M)  # status and framing lines


def message_text(content: object) -> str:
    """A chat message's text, whether a string or a list of parts (Gradio, OpenAI)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return ""


def turns_from_messages(messages: Sequence[dict[str, object]]) -> list[Turn]:
    """Earlier turns from chat messages (the page's history, an API's `messages`): each
    user message with the reply that follows it, read back as plain words (no sources
    list, no [n] markers); a reply that says how it understood its question gives that
    question."""
    turns: list[Turn] = []
    for item in messages:
        role, text = item.get("role"), message_text(item.get("content")).strip()
        if role == "user":
            turns.append(Turn(text))
        elif role == "assistant" and turns and not turns[-1].answer:
            understood = _UNDERSTOOD.search(text)
            body = _UNDERSTOOD.sub("", _SOURCES.sub("", text))
            body = _ESCAPE.sub(r"\1", _MARKERS.sub("", _STATUS.sub("", body)))
            question = _ESCAPE.sub(r"\1", understood.group(1)) if understood else turns[-1].question
            turns[-1] = Turn(question, " ".join(body.split()))
    return [t for t in turns if t.question]


def turn_of(answer: Answer) -> Turn:
    """An answered turn: its question as understood, the reply's words (none for a
    refusal: it names nothing a follow-up could point to)."""
    said = "" if answer.refused else " ".join(s.text for s in answer.sentences)
    return Turn(answer.understood_as or answer.question, said)
