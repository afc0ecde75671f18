"""When the sources disagree: the versions of the asked fact, one per article.

The trigger: the best filling sentence of two or more articles, each strong enough
to answer alone and about as close to the question as the best, gives a different
filler of the asked slot (another person, count, date or place). Then the reply
shows each version with its source instead of picking one. Sources are ordered by
what they are (a dated article from a named outlet first, an undated or anonymous
page last), never by which was indexed last.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.extractive import ScoredSentence, best_answer
from rag.slots import NAME_RUN, Slot, absent_names, states_asked_title
from rag.text import (
    ALIASES,
    MONTH_NUMBERS,
    MONTHS_EN,
    MONTHS_FR,
    STOPWORDS,
    WEEKDAYS_EN,
    WEEKDAYS_FR,
    detect_language,
    fold,
    stem,
)
from rag.text import words as word_tokens
from rag.types import Document

# Organisations are left out: articles list different companies or bodies without
# contradicting each other ("TikTok or Huawei", "ByteDance, Tencent and Baidu").
VERSION_KINDS = ("person", "place", "date", "count")
# A second article's sentence is a version when it scores this close to the best one:
# both articles must be answering the same question, not a neighbouring one.
VERSION_MARGIN = 0.10
# The sentence that answers scores lower when it is in another language than the
# question: by 0.08 at the median on the dev split (0.965 for French questions, 0.888
# for English ones, same sentences). Added back before sentences are compared.
CROSS_LINGUAL_GAP = 0.08
MAX_VERSIONS = 3
# "date 2024-07 Le Premier ministre…": a text's date marker dates the article; it is no
# version of when an event took place
_DATE_MARKER = re.compile(r"(?:^|\n)\s*date\s*:?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Version:
    sentence: ScoredSentence
    span: tuple[int, int]  # the filler, in the sentence

    @property
    def value(self) -> str:
        return self.sentence.text[self.span[0] : self.span[1]]

    @property
    def doc_id(self) -> str:
        return self.sentence.hit.chunk.doc_id


def versions(
    question: str,
    slot: Slot,
    candidates: Sequence[ScoredSentence],
    answer_threshold: float,
    texts: Mapping[str, str],
    margin: float | None = VERSION_MARGIN,
) -> list[Version]:
    """Each article's answer to the question (its sentence and filler, chosen as the
    instant answer is), when its sentence clears the answer threshold and comes within
    `margin` of the best sentence of all (None: any margin, for versions the model
    will judge); only articles telling the story of the best one (`texts`: each
    article's text); the best article first, at most MAX_VERSIONS."""
    if slot.kind not in VERSION_KINDS or slot.across or not candidates:
        return []
    lang = detect_language(question)
    levels = [
        x.score + (CROSS_LINGUAL_GAP if detect_language(x.text) != lang else 0.0)
        for x in candidates
    ]
    floor = max(levels) - margin if margin is not None else 0.0
    close = [
        x
        for x, level in zip(candidates, levels, strict=True)
        if x.score >= answer_threshold and level >= floor
    ]
    found: list[Version] = []
    for doc_id in dict.fromkeys(x.hit.chunk.doc_id for x in close):
        if found and not same_story(texts[found[0].doc_id], texts[doc_id]):
            continue
        if absent_names(question, texts[doc_id]):  # not about whom the question names
            continue
        mine = [
            x
            for x in close
            if x.hit.chunk.doc_id == doc_id
            and (slot.kind != "person" or states_asked_title(f"{x.context} {x.text}", question))
        ]
        if not mine:  # none of its sentences names the person by the asked title
            continue
        sentence, span = best_answer(question, mine)
        if span is not None and not _DATE_MARKER.search(sentence.text[: span[0]]):
            found.append(Version(sentence, span))
    return found[:MAX_VERSIONS]


def distinct(kind: str, found: Sequence[Version], subject: bool = False) -> list[Version]:
    """One version per value (the first of each); with `subject`, only versions about
    what the first is about (when no model confirms them). Two or more: the sources
    disagree."""
    kept: list[Version] = []
    for v in found:
        if subject and kept and not same_subject(kept[0], v):
            continue
        if not any(same_value(kind, v.value, k.value) for k in kept):
            kept.append(v)
    return kept[:MAX_VERSIONS]


SHARED_NAMES = 2  # two reports of one event name at least two of the same people or places


def same_story(a: str, b: str) -> bool:
    """Whether two articles report the same event: they share at least SHARED_NAMES
    names (a hospital in Limoges and a university in Poitiers share none)."""
    return len(story_names(a) & story_names(b)) >= SHARED_NAMES


@functools.lru_cache(maxsize=512)
def story_names(text: str) -> frozenset[str]:
    """The names an article gives (capitalised runs that are not sentence openers or
    common words), folded."""
    found = set()
    for m in NAME_RUN.finditer(text):
        stems = _name_stems(m.group(0))
        if m.start() == 0 or text[m.start() - 2 : m.start()].strip() in (".", "!", "?", ""):
            stems = stems if len(m.group(0).split()) > 1 else set()
        found |= stems
    return frozenset(found - _COMMON_STEMS)


SUBJECT_WINDOW = 60  # characters each side of a filler: what the sentence says of it
SHARED_WORDS = 2  # content words two versions' contexts share: they tell the same fact


def same_subject(a: Version, b: Version) -> bool:
    """Whether two fillers are given for the same fact: the words around them share at
    least SHARED_WORDS content words ("la Chine enverra Wu Zhaohui … au sommet" and
    "la Chine sera représentée au sommet par … Zhang Wenbo"; not "… comme OpenAI et
    Google DeepMind")."""
    return len(_context(a) & _context(b)) >= SHARED_WORDS


def _context(v: Version) -> set[str]:
    text = v.sentence.text
    start, end = v.span
    around = text[max(0, start - SUBJECT_WINDOW) : start] + " " + text[end : end + SUBJECT_WINDOW]
    return _name_stems(around) - _name_stems(v.value)


def by_source(found: Sequence[Version], documents: dict[str, Document]) -> list[Version]:
    """A dated article from a named outlet first, then a dated or a named one, then an
    undated anonymous page; the closer sentence first within each."""

    def weight(v: Version) -> tuple[int, float]:
        doc = documents[v.doc_id]
        return (-(bool(doc.outlet) + bool(doc.date)), -v.sentence.score)

    return sorted(found, key=weight)


# ---------------------------------------------------------------- same value?


def same_value(kind: str, a: str, b: str) -> bool:
    """Whether two fillers of the asked slot say the same thing ("Wu Zhaohui" and
    "M. Wu"; "1 200" and "1,200"; "1er novembre" and "November 1"; "Genève" and
    "Geneva"). When they cannot be compared, they count as the same: a disagreement
    is claimed only when it is certain."""
    if fold(a) == fold(b):
        return True
    if kind == "count":
        x, y = _number(a), _number(b)
        return x is None or y is None or x == y
    if kind == "date":
        x, y = _date_fields(a), _date_fields(b)
        shared = set(x) & set(y)
        return all(x[f] == y[f] for f in shared)
    x, y = _name_stems(a), _name_stems(b)
    if any(x & names and y & names for names in _ONE_PLACE):
        return True
    return not x or not y or bool(x & y)


# Names of one place that share no word: Royaume-Uni is Grande-Bretagne
_ONE_PLACE = [
    {stem(w) for w in word_tokens(names)}
    for names in ("royaume-uni grande-bretagne britain uk angleterre", "etats-unis usa amerique")
]
_DIGIT_GROUP = re.compile(r"(?<=\d)[\s\u202f\u00a0.,'](?=\d{3}\b)")
_SCALE = {"million": 10**6, "millions": 10**6, "milliard": 10**9, "milliards": 10**9}
_SCALE.update({"billion": 10**9, "billions": 10**9, "thousand": 10**3, "mille": 10**3})


def _number(phrase: str) -> float | None:
    text = _DIGIT_GROUP.sub("", phrase)
    match = re.search(r"\d+(?:[.,]\d+)?", text)
    if not match:
        return None
    value = float(match.group(0).replace(",", "."))
    after = fold(text[match.end() :]).split()
    return value * _SCALE.get(after[0], 1) if after else value


_WEEKDAY_NUMBER = {
    fold(d): i for names in (WEEKDAYS_FR, WEEKDAYS_EN) for i, d in enumerate(names, 1)
}


def _date_fields(phrase: str) -> dict[str, int]:
    fields: dict[str, int] = {}
    for token in word_tokens(phrase):
        if token in MONTH_NUMBERS:
            fields["month"] = MONTH_NUMBERS[token]
        elif token in _WEEKDAY_NUMBER:
            fields["weekday"] = _WEEKDAY_NUMBER[token]
    for number in re.findall(r"\d+", phrase):
        if len(number) == 4:
            fields["year"] = int(number)
        elif int(number) <= 31:
            fields.setdefault("day", int(number))
    return fields


# capitalised words of every story: titles, months, weekdays, outlets' datelines
_COMMON_STEMS = {
    stem(w)
    for w in word_tokens(
        " ".join(MONTHS_FR + MONTHS_EN + WEEKDAYS_FR + WEEKDAYS_EN)
        + " reuters afp ap bloomberg bbc monde date selon according ministre minister"
        " président president"
    )
}


def _name_stems(phrase: str) -> set[str]:
    """The stems of a name's words and their other spellings ("Genève" meets "Geneva")."""
    found: set[str] = set()
    for token in word_tokens(phrase):
        if token in STOPWORDS or len(token) < 2:
            continue
        found |= {stem(token), *ALIASES.get(token, ())}
    return found
