"""Which articles a question may draw from: one outlet, a date range.

Dates are ISO and may be partial ("2024", "2024-07"): an article dated "2024-07" is in
range when any day of July 2024 is, so a month-dated article is never lost to a filter
on a day of its month. An undated article is outside any date range: nothing says it
is inside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rag.errors import UsageError
from rag.types import Document

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_ISO_PREFIX = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?")


def _bounds(date: str) -> tuple[str, str]:
    """The first and last day a partial ISO date may mean, as comparable strings
    ("2024-07" → "2024-07-00", "2024-07-99")."""
    parts = date.split("-")
    low = parts + ["00"] * (3 - len(parts))
    high = parts + ["99"] * (3 - len(parts))
    return "-".join(low), "-".join(high)


def article_date(doc: Document) -> str | None:
    """The ISO part of an article's date, or None when it has none."""
    found = _ISO_PREFIX.match(doc.date or "")
    return found.group(0) if found else None


def check_date(value: str, name: str) -> str:
    found = _ISO.match(value.strip())
    month, day = (found.group(2) or "01", found.group(3) or "01") if found else ("", "")
    if not ("01" <= month <= "12" and "01" <= day <= "31"):
        raise UsageError(f"{name} takes a date as YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}")
    return value.strip()


@dataclass(frozen=True)
class ArticleFilter:
    outlet: str | None = None  # compared without case
    since: str | None = None  # ISO, inclusive
    until: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, check_date(value, f"--{name}"))
        if self.outlet is not None:
            object.__setattr__(self, "outlet", self.outlet.strip() or None)
        if self.since and self.until and _bounds(self.since)[0] > _bounds(self.until)[1]:
            raise UsageError(f"--since {self.since} is after --until {self.until}")

    @property
    def active(self) -> bool:
        return any((self.outlet, self.since, self.until))

    def matches(self, doc: Document) -> bool:
        if self.outlet and (doc.outlet or "").casefold() != self.outlet.casefold():
            return False
        if not (self.since or self.until):
            return True
        date = article_date(doc)
        if date is None:
            return False
        first, last = _bounds(date)
        if self.since and last < _bounds(self.since)[0]:
            return False
        return not (self.until and first > _bounds(self.until)[1])

    def describe(self) -> str:
        parts = [f"outlet {self.outlet}"] if self.outlet else []
        parts += [f"since {self.since}"] if self.since else []
        parts += [f"until {self.until}"] if self.until else []
        return ", ".join(parts)


def what_there_is(documents: Iterable[Document]) -> tuple[list[str], str | None, str | None]:
    """The outlets named in the index, and its first and last article dates."""
    docs = list(documents)
    outlets = sorted({d.outlet for d in docs if d.outlet}, key=str.casefold)
    dates = sorted(d for d in map(article_date, docs) if d)
    return outlets, (dates[0] if dates else None), (dates[-1] if dates else None)
