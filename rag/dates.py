"""When what an answer says was true: an article that reports a plan is dated beside the
answer ("[1] Reuters (30 October 2023) reported this as planned or expected when the
article was written"), and a question about the latest news is answered from the most
recent article that answers it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.extractive import ScoredSentence
from rag.filters import article_date
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
