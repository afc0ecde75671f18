"""When what an answer says was true: an article that reports a plan is dated beside the
answer ("[1] Reuters (30 October 2023) reported this as planned or expected when the
article was written"), and a question about the latest news is answered from the most
recent article that answers it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.chunking import split_sentences
from rag.extractive import ScoredSentence
from rag.filters import article_date
from rag.slots import events
from rag.text import word_list
from rag.types import Citation, Document

# A plan or a forecast, not a fact: the future and its usual stand-ins.
_PLANNED = re.compile(
    r"\b(?:will|would|shall|plans?|planned|planning|expected|scheduled|upcoming|"
    r"is to|are to|next (?:week|month|year)|"
    r"va|vont|doit|doivent|devrait|devraient|prévu|prévue|prévus|prévues|prévoit|"
    r"prochain|prochaine|"
    r"\w{3,}(?:era|eront|ira|iront|ra|ront))\b",
    re.IGNORECASE,
)
# French words ending like a future tense that are not verbs
_NOT_FUTURE = frozenset(
    word_list("caméra opéra extra ultra contra tiara sierra cobra hydra mantra cadra entra")
)


def planned(text: str) -> bool:
    """Whether a sentence reports something to come (a plan, a forecast)."""
    return any(m.group(0).lower() not in _NOT_FUTURE for m in _PLANNED.finditer(text))


# "What came out of the talks?", "Qu'ont finalement donné les pourparlers ?": an outcome,
# asked in the past; "Why does Washington want a declaration to come out of the talks?"
# asks about a plan (blind b107)
_OUTCOME_ASKED = re.compile(
    r"\b(?:what (?:was|were) the (?:outcomes?|results?)|came out of|agreed on"
    r"|did\b[^?]{0,40}?\b(?:agree|end up)|qu['’]ont (?:finalement )?donné|ont abouti"
    r"|se sont mis(?:es)? d['’]accord|sont convenus?)\b",
    re.IGNORECASE,
)


def asks_outcome(question: str) -> bool:
    return bool(_OUTCOME_ASKED.search(question))


def written_before(question: str, sentence: str, article: str) -> bool:
    """Whether `article` reports the event `question` names (else `sentence`, one of its
    sentences) as still to come: the first of its sentences naming that kind of event is
    a plan ("Les discussions de haut niveau prévues…"), so it was written before any
    outcome (dev3 e077, dev4 g059)."""
    asked = events(question) or events(sentence)
    for s, e in split_sentences(article):
        if events(article[s:e]) & asked:
            return planned(article[s:e])
    return False


def planned_citations(citations: Iterable[Citation]) -> list[Citation]:
    """The first citation of each article whose cited words report a plan."""
    seen: dict[str, Citation] = {}
    for c in citations:
        if c.doc_id not in seen and planned(c.quote):
            seen[c.doc_id] = c
    return list(seen.values())


def from_latest(
    sentences: Iterable[ScoredSentence], documents: dict[str, Document], floor: float
) -> tuple[ScoredSentence, ...]:
    """For a question about the latest news: the sentences of the most recent dated
    article among those that clear `floor`; all of them when none is dated."""
    sentences = tuple(sentences)
    strong = [x for x in sentences if x.score >= floor]
    dates = {x.hit.chunk.doc_id: article_date(documents[x.hit.chunk.doc_id]) for x in strong}
    newest = max((d for d in dates.values() if d), default=None)
    if newest is None:
        return sentences
    return tuple(x for x in strong if dates[x.hit.chunk.doc_id] == newest)
