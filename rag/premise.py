"""What a question takes for granted, and the sentence that says otherwise.

"Why did James Cleverly travel to Beijing in October?" takes a trip in October for
granted; the article that tells of the trip dates it in August and never says October.
An editor answers with that sentence ("The articles say August, not October"), not
with a reason for a trip that did not take place then. Read here: where something
took place (a city after "à", "in", "to"…), a month, a year, a count of years, days,
countries… ("depuis dix ans" against "en cinq ans"), and who did something ("Tony
Blair met Xi Jinping" against "a rencontré… Wang Yi")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from rag.chunking import split_sentences
from rag.extractive import PHRASE_KINDS, ScoredSentence
from rag.slots import (
    Slot,
    agents,
    asked_prefixes,
    asked_slot,
    asks_absence,
    asks_what_was_said,
    city_names,
    country_named,
    is_place,
    nation_near,
    nation_words,
    negates,
    stays_away,
    subject_names,
    titled_person,
)
from rag.text import (
    COUNT_WORDS,
    MONTH_NUMBERS,
    MONTHS_EN,
    MONTHS_FR,
    STOPWORDS,
    UNIT_WORDS,
    fold,
    stem,
    words,
)

READ = 5  # the best sentences: the question's subject is told there, or nowhere
SHARED = 2  # words of the question's subject a sentence must share to be about it


Key = int | str | tuple[int, str]


@dataclass(frozen=True)
class Premise:
    kind: str  # "place", "month", "year", "count" or "person"
    phrase: str  # as the question writes it
    key: Key  # which place (index in city_names), month (1-12), year, count and unit, or name


@dataclass(frozen=True)
class Correction:
    premise: Premise
    sentence: ScoredSentence
    said: str  # what the sentence gives instead, as the article writes it


def premises(question: str) -> list[Premise]:
    """The places where, months, years and counts a question states."""
    found = [Premise("place", phrase, key) for key, phrase in _places_at(question)]
    found += [Premise("month", phrase, key) for key, phrase in _months(question)]
    found += [Premise("year", y, y) for y in _YEAR.findall(question)]
    found += [Premise("count", phrase, key) for key, phrase in _counts(question)]
    return found


def contradicted(
    question: str, scored: Sequence[ScoredSentence], articles: Mapping[str, str], bar: float
) -> Correction | None:
    """The first of the best sentences (clearing `bar`) that is about what the question
    is about (names someone or something it names, and shares two of its words) and
    gives another place, month, year or count than the question, in an article that
    never names the question's one ("à Shanghai" for "à Pékin", "en août" for "in
    October"). An article that names it anywhere leaves the premise standing: it may be
    another event's ("à San Francisco" beside the Geneva talks)."""
    names = subject_names(question, articles.values())
    # whom or what the question is about, by name: a sentence that names none of them
    # tells of something else (blind b048: "La délégation chinoise a fait la promotion
    # de l'Initiative… lancée lors du 3e Forum…, qui s'est tenu à Beijing" corrected
    # "Which Chinese university sent delegates to the confidential talks in Geneva?")
    subjects = [n for n in names if _names_someone(n)]
    stated = premises(question)
    if not stated:
        slot = asked_slot(question)
        return swapped_person(question, slot, names, scored, articles, bar) or reversed_part(
            question, slot, subjects, scored, bar
        )
    if not subjects:
        return None
    # what the question is about, without its places and dates
    asked = asked_prefixes(question) - {w[:4] for p in stated for w in words(p.phrase)}
    named = {p.key for p in stated} | {key for key, _, _ in _cities(question)}
    settled: set[Premise] = set()
    for x in scored[:READ]:
        if x.score < bar:
            continue
        said = f"{x.context} {x.text}"
        article = articles.get(x.hit.chunk.doc_id, said)
        if not any(_written(name, said) for name in subjects):
            continue
        if len(asked_prefixes(said) & asked) < SHARED:
            continue
        for p in stated:
            given = _found(p.kind, x.text)
            if p in settled or not given:
                continue
            settled.add(p)  # the best sentence about it that gives one settles it
            # "à Pékin" corrects no question that names Pékin ("représentent Pékin à Genève")
            other = next((phrase for key, phrase in given if key not in named), None)
            if other is not None and not _named(p, article):
                return Correction(p, x, other)
    return None


def swapped_person(
    question: str,
    slot: Slot,
    names: list[str],
    scored: Sequence[ScoredSentence],
    articles: Mapping[str, str],
    bar: float,
) -> Correction | None:
    """Someone the question puts in a part (leading a delegation, meeting someone,
    giving a speech) that the articles give to another person of the same country:
    "Pourquoi Xi Jinping a-t-il prononcé le discours d'ouverture du sommet ?" against
    "Wu Zhaohui, vice-ministre chinois…, a prononcé une allocution… lors de la séance
    plénière qui a ouvert le sommet". Read: the best sentence about the part (sharing
    SHARED of the question's other words) that names a titled person other than
    the question's, when no sentence of the articles puts the question's person there.
    Only for a question asking why, what or whether: one asking who, where, when or how
    many asks a fact of which the person is the context, and the answer gives it; nor
    about several articles, or about what someone said (many may say the same). `names`:
    the question's (`subject_names`)."""
    if slot.kind in PHRASE_KINDS or slot.across or asks_what_was_said(question):
        return None
    nation_prefixes = {
        w[:4] for s, e, _ in nation_words(question, fold(question)) for w in words(question[s:e])
    }
    for person, nation in _people(question, names, articles.values()):
        # what they are said to do: not their name, nor whose it was ("britannique"); the
        # question's other names count only where written whole ("Wang Yi" is not in
        # "Wang Wenbin")
        part = asked_prefixes(question) - {w[:4] for n in names for w in words(n)}
        part -= nation_prefixes
        others = [n for n in names if n != person]
        if any(_puts_there(person, text, part, others) for text in articles.values()):
            continue  # an article puts them there, or near enough to leave it standing
        for x in scored[:READ]:
            if x.score < bar or not _about_part(f"{x.context} {x.text}", part, others):
                continue
            instead = [
                x.text[s:e]
                for s, e in agents(x.text, question)
                if titled_person(x.text, s, e)
                and (nation is None or nation_near(x.text, s, e) in (None, nation))
            ]
            if instead:
                return Correction(Premise("person", person, person), x, instead[0])
    return None


# What a question may take for granted about someone's part in an event: that they
# refused it ("Why did Beijing turn down Britain's invitation?"), or that they took part
# ("What did Google DeepMind bring to the Geneva talks?").
_REFUSED = re.compile(
    r"\b(?:refus\w*|declin\w*|déclin\w*|turn(?:ed|s)? down|reject\w*|rejet\w*|boycott\w*"
    r"|snub\w*)",
    re.IGNORECASE,
)
_ACCEPTED = re.compile(
    r"\b(?:accept\w*|particip\w*|took part|pris part|attended|a assisté|ont assisté)",
    re.IGNORECASE,
)
_TOOK_PART = re.compile(
    r"\b(?:talk\w*|discuss\w*|discut\w*|bring|brought|apport\w*|role|rôle|play(?:ed)?"
    r"|joué|join\w*|joint\w*|lead|led|dirig\w*|men[eéè]\w*|particip\w*|took part"
    r"|take part|pris part|contribu\w*)",
    re.IGNORECASE,
)


def reversed_part(
    question: str, slot: Slot, names: list[str], scored: Sequence[ScoredSentence], bar: float
) -> Correction | None:
    """The best sentences say the opposite of the part the question gives someone: it
    asks why they refused, and a sentence about the same thing says they accepted or
    took part (e003: "la Chine a accepté l'invitation"); or it asks what they did there,
    and the sentence naming them says they stayed away ("Google DeepMind a été informée,
    mais n'a pas participé"). Not for a question that asks who, or about absence, or
    about several articles. `names`: the people and bodies the question names."""
    if slot.kind in ("person", "organisation") or slot.across or asks_absence(question):
        return None
    refused = _REFUSED.search(question)
    if refused is None and not _TOOK_PART.search(question):
        return None
    asked = (
        asked_prefixes(question) - {w[:4] for w in words(refused.group(0))} if refused else set()
    )
    for x in scored[:READ]:
        if x.score < bar:
            continue
        if refused is not None:
            accepted = _ACCEPTED.search(x.text)
            if (
                accepted
                and asked & asked_prefixes(x.text)
                and not negates(_clause_before(x.text, accepted.start()))
            ):
                return Correction(Premise("refused", refused.group(0), "refused"), x, "")
            continue
        folded = fold(x.text)
        for name in names:
            at = folded.find(fold(name))
            if at >= 0 and len(folded) == len(x.text) and stays_away(x.text, at + len(name)):
                return Correction(Premise("took part", name, "took part"), x, "")
    return None


def _clause_before(text: str, at: int) -> str:
    """The words of `text` before `at`, back to the last comma or clause break."""
    return re.split(r"[,;:]", text[:at])[-1]


def _people(question: str, names: list[str], texts: Iterable[str]) -> list[tuple[str, str | None]]:
    """The question's `names` of two words or more that it or an article gives with a
    person's title ("le président Xi Jinping", "Foreign Minister Wang Yi"), each with
    the country written beside it there, if any."""
    found = []
    for name in names:
        if len(name.split()) < 2:
            continue
        for text in (question, *texts):
            at = text.find(name)
            if at >= 0 and titled_person(text, at, at + len(name)):
                found.append((name, nation_near(text, at, at + len(name))))
                break
    return found


def _about_part(sentence: str, part: set[str], others: list[str]) -> bool:
    """Whether `sentence` shares SHARED of the part's words, a name counting by its words
    where written whole."""
    written = sum(len(words(n)) for n in others if _written(n, sentence))
    return len(asked_prefixes(sentence) & part) + written >= SHARED


def _puts_there(person: str, article: str, part: set[str], others: list[str]) -> bool:
    """Whether a sentence of `article` about the part names the person, or follows one
    that does ("…Li Qiang a exhorté… » « …», a-t-il déclaré à l'ouverture de la WAIC")."""
    surname = fold(person.split()[-1])
    before = ""
    for s, e in split_sentences(article):
        sentence = article[s:e]
        if surname in fold(f"{before} {sentence}") and _about_part(sentence, part, others):
            return True
        before = sentence
    return False


def _names_someone(name: str) -> bool:
    """A person, a body or an event: not a place, a nationality, a month, "AI"/"IA"."""
    return not (
        is_place(name)
        or country_named(name)
        or _months(name)
        or all(w in _NOBODY or w in STOPWORDS for w in words(name))
    )


_NOBODY = {"ai", "ia"}


def _written(name: str, text: str) -> bool:
    """Whether `text` writes most words of `name` ("Conférence mondiale sur
    l'intelligence artificielle" for "World Artificial Intelligence Conference")."""
    stems = {stem(w) for w in words(text)}
    kept = [stem(w) for w in words(name) if w not in STOPWORDS]
    return bool(kept) and 3 * sum(w in stems for w in kept) >= 2 * len(kept)


def _found(kind: str, text: str) -> list[tuple[Key, str]]:
    if kind == "place":
        return _places_at(text)
    if kind == "month":
        return _months(text)
    if kind == "count":
        return _counts(text)
    return [(y, y) for y in _YEAR.findall(text)]


def _named(p: Premise, text: str) -> bool:
    """Whether `text` names the premise's place (where or not), month, year or count."""
    if p.kind == "place":
        return any(key == p.key for key, _, _ in _cities(text))
    return any(key == p.key for key, _ in _found(p.kind, text))


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_MONTH = re.compile(rf"(?<!\w)(?:{'|'.join(MONTHS_FR + MONTHS_EN)})(?!\w)", re.IGNORECASE)
_FRENCH_MONTHS = {fold(m) for m in MONTHS_FR}


def _months(text: str) -> list[tuple[Key, str]]:
    """(month 1-12, as written): French in any case, English capitalised only ("may")."""
    return [
        (MONTH_NUMBERS[fold(word)], word)
        for word in _MONTH.findall(text)
        if fold(word) in _FRENCH_MONTHS or word[0].isupper()
    ]


@cache
def _city_spellings() -> tuple[re.Pattern[str], dict[str, int]]:
    """A pattern finding any listed city (folded), and each folded spelling's city."""
    index = {fold(s): i for i, line in enumerate(city_names()) for s in line}
    alternation = "|".join(re.escape(s) for s in sorted(index, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:(a|au|in|to|at|dans|vers) )?({alternation})(?!\w)")
    return pattern, index


def _cities(text: str) -> list[tuple[int, str, bool]]:
    """(index in city_names, as written, whether named as where something is: "à
    Pékin", "in Beijing", not "Pékin réclame…") of each listed city `text` names."""
    folded = fold(text)
    same_length = len(folded) == len(text)
    pattern, index = _city_spellings()
    found = []
    for m in pattern.finditer(folded):
        key = index[m.group(2)]
        phrase = text[m.start(2) : m.end(2)] if same_length else city_names()[key][0]
        found.append((key, phrase, m.group(1) is not None))
    return found


def _places_at(text: str) -> list[tuple[Key, str]]:
    return [(key, phrase) for key, phrase, at in _cities(text) if at]


# a count and what it counts, in either language: "dix ans", "5 years", "trois pays"
_UNIT = {fold(fr): en for fr, en in UNIT_WORDS.items()} | {en: en for en in UNIT_WORDS.values()}
_UNIT |= {en[:-1]: en for en in UNIT_WORDS.values() if en.endswith("s")}  # "1 year"
_COUNT = re.compile(
    rf"(?<!\w)(\d{{1,3}}|{'|'.join(COUNT_WORDS)}) ({'|'.join(map(re.escape, _UNIT))})(?!\w)"
)


def _counts(text: str) -> list[tuple[Key, str]]:
    """((count, unit in English), as written) of each count of something `text` gives."""
    folded = fold(text)
    if len(folded) != len(text):
        return []
    return [
        ((int(n) if n.isdigit() else COUNT_WORDS[n], _UNIT[unit]), text[m.start() : m.end()])
        for m in _COUNT.finditer(folded)
        for n, unit in [m.groups()]
    ]
