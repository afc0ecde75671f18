"""Check that an answer sentence is supported by the passages it cites.

No NLI model or cross-encoder ships in a pip package that works offline, and
cosine similarity alone cannot tell "28 countries" from "13 countries". So a
claim counts as supported only when all of these hold:
1. every number in the claim appears in a cited passage (a count in words,
   "five", may stand for "cinq" or "5"; digits must be digits there too), and where
   the passage gives two countries two figures of one unit, the claim's country gets
   the figure nearest it there; a count of the names the claim itself lists is its own;
2. every name in the claim (capitalised words, mapped across French and
   English by a small alias table, or rendering a French common noun of an
   institution's name) appears in a cited passage;
3. the claim is semantically close to its best cited sentence (a lower bar
   when claim and passage are in different languages: cross-lingual
   similarities run lower);
4. when a judge is given, the model, asked afresh whether the passage states
   the claim, says yes with enough probability: it catches claims made of the
   passage's own words that say something else ("OpenAI refused to take part"
   against "OpenAI … took part"), which the first three cannot see;
and it must be written in the reply language.
Deliberately left out: negation and paraphrased numbers ("a dozen", "vingt-huit").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from rag.chunking import split_sentences
from rag.embed import Embedder
from rag.slots import (
    NAME_RUN,
    asked_nation,
    claimed_roles,
    country_named,
    day_counts,
    events,
    is_place,
    listed_counts,
    nation_near,
    nation_words,
    negates,
    qualifiers,
    stated_roles,
)
from rag.slots import names as slot_names
from rag.text import ALIASES, CITATION, COUNT_WORDS, STOPWORDS, detect_language, fold, stem, words

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_CAPITALISED = re.compile(r"\b[A-ZÀ-Ý][\w'’-]*")

_COMMON_CAPITALISED = {"according", "however", "also", "in", "on", "at", "during", "both"}
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-zà-ÿ][\w-]*")


@dataclass(frozen=True)
class Support:
    supported: bool
    similarity: float
    reason: str = ""


def parse_citations(text: str, n_passages: int) -> tuple[str, tuple[int, ...], int]:
    """Strip [n] markers from a sentence: (clean text, valid passage numbers, dropped count)."""
    found: list[int] = []
    dropped = 0
    for match in CITATION.finditer(text):
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part)
            if 1 <= n <= n_passages:
                if n not in found:
                    found.append(n)
            else:
                dropped += 1
    clean = re.sub(r"\s+([.,;:!?])", r"\1", CITATION.sub("", text)).strip()
    return re.sub(r"\s{2,}", " ", clean), tuple(found), dropped


def _normal_number(raw: str) -> str:
    value = raw.replace(",", ".")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def _digits(text: str) -> set[str]:
    return {_normal_number(n) for n in _NUMBER.findall(text)}


def _counts(text: str) -> set[str]:
    return {str(COUNT_WORDS[w]) for w in words(text) if w in COUNT_WORDS}


def numbers(text: str) -> set[str]:
    """Numbers in digits and counts in words, normalised: "cinq", "five" and "5" are "5"
    (so that "five years" meets "cinq ans", and "three" cannot stand for "cinq")."""
    return _digits(text) | _counts(text)


def names(text: str, known: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """Folded capitalised words that are names, not sentence openers or stop words; an
    opener is a name when it is one of the `known` names ("Baidu has released…" when
    the question names Baidu)."""
    found: set[str] = set()
    for start, end in split_sentences(text):
        sentence = text[start:end]
        tokens = _CAPITALISED.findall(sentence)
        for i, token in enumerate(tokens):
            word = re.sub(r"['’]s$", "", fold(token)).strip("'’-")
            if not word or word in STOPWORDS or word in _COMMON_CAPITALISED:
                continue
            if word in COUNT_WORDS:  # "Three American firms…": a count, checked as one
                continue
            is_opener = sentence.startswith(token) and i == 0
            followed = sentence[len(token) :].lstrip()[:1].isupper()
            if is_opener and not followed and word not in ALIASES and word not in known:
                continue
            found.add(word)
    return found


_BRACKETED_ACRONYM = re.compile(r"\(([A-Z]{2,})s?\)")


def _spelled_out(claim: str) -> str:
    """`claim` without the acronyms it gives in brackets after the words they abbreviate
    ("large language models (LLMs)", dev4 g083): no name of their own to find."""

    def drop(m: re.Match[str]) -> str:
        letters = m.group(1)
        before = claim[: m.start()].split()[-len(letters) :]
        return "" if "".join(w[0] for w in before).upper() == letters else m.group(0)

    return _BRACKETED_ACRONYM.sub(drop, claim)


def _name_in(name: str, passage_stems: set[str], common_nouns: set[str]) -> bool:
    parts = [p for p in re.split(r"[-'’]", name) if p]
    return all(
        stem(p) in passage_stems
        or bool(ALIASES.get(p, set()) & passage_stems)
        or _renders(p, common_nouns)
        for p in parts
    )


def _renders(word: str, common_nouns: set[str]) -> bool:
    """A capitalised English word of an institution's name ("Posts") rendering the French
    common noun ("postes"): French capitalises only a name's first word. A person's name
    is capitalised in its source, so it never passes this way."""
    return len(word) >= 5 and any(
        w[:4] == word[:4] and SequenceMatcher(None, word, w).ratio() >= 0.8 for w in common_nouns
    )


def _is_bare(claim: str) -> bool:
    """A reply of a few words ("Beijing."): it claims nothing without its question, so the
    judge reads the question with it ("Where did Li Qiang speak? → Beijing": not what an
    extract on another event in Beijing says)."""
    return len(_fact_words(claim)) <= 4


def _is_copied_phrase(claim: str, passage_stems: set[str]) -> bool:
    """A bare answer of a few words ("Genève [1].") copied from its passage: too short
    for similarity to mean anything, supported when every word is in the passage."""
    terms = _fact_words(claim)  # "La Shaikh Group": the article is no fact
    return 0 < len(terms) <= 4 and all(stem(t) in passage_stems for t in terms)


def _fact_words(claim: str) -> list[str]:
    return [t for t in words(claim) if t not in STOPWORDS]


@dataclass(frozen=True)
class Source:
    """The article an extract comes from. Its metadata (title, outlet, byline, date in
    words) may be cited like its text; in its text, a surname the extract gives alone
    ("Wu a été nommé…") is found with its full name ("Wu Zhaohui")."""

    metadata: str = ""
    text: str = ""


def check_claim(
    claim: str,
    passages: list[str],
    embedder: Embedder,
    threshold: float,
    cross_threshold: float | None = None,
    sources: list[Source] | None = None,
    question: str = "",
) -> tuple[Support, list[tuple[int, int, int]]]:
    """Support of `claim` by the cited `passages` (and their articles' `sources`), and
    the best sentence span in each passage as (passage index, start, end) for quoting,
    best first. A claim that denies the question's premise may repeat the question's
    names and numbers ("The talks were not in Paris but in Geneva")."""
    if not passages:
        return Support(False, 0.0, "no citation"), []
    if cross_threshold is not None and detect_language(claim) != detect_language(passages[0]):
        threshold = cross_threshold
    sources = sources or []
    joined = " ".join([*passages, *(x.metadata for x in sources)])
    if question and negates(claim):  # the question's own words, denied
        joined += " " + question
    # Digits must be digits in the source: "a duré 5 ans" is not backed by "en cinq ans"
    # (a number taken from elsewhere far more often than translated); words may be either.
    missing_numbers = (_digits(claim) - _digits(joined)) | (_counts(claim) - numbers(joined))
    missing_numbers -= listed_counts(claim)  # "three: OpenAI, Anthropic and Cohere"
    missing_numbers -= day_counts(joined)  # "two days" from "les 1er et 2 novembre"
    stems = {stem(w) for w in words(joined)}
    common_nouns = {fold(w) for w in _LOWER_WORD.findall(joined)}
    claim_names = names(_spelled_out(claim), names(question))
    missing_names = {n for n in claim_names if not _name_in(n, stems, common_nouns)}
    missing_names -= _full_names(claim, missing_names, stems, [x.text for x in sources])
    missing_names -= _asked_places(missing_names, question, sources)
    if missing_names:  # "Royaume-Uni" for the source's "Grande-Bretagne" (test q45)
        countries = {key for *_, key in nation_words(joined)}
        missing_names = {n for n in missing_names if country_named(n) not in countries}
    spans = [(i, s, e) for i, p in enumerate(passages) for s, e in split_sentences(p)]
    texts = [passages[i][s:e] for i, s, e in spans]
    sentence_vecs = embedder.embed(texts, "passage") if texts else np.zeros((0, 1))
    best, order = _closest(claim, sentence_vecs, embedder)
    best_spans = []
    seen: set[int] = set()
    for j in order:  # best sentence of each cited passage
        if spans[j][0] not in seen:
            seen.add(spans[j][0])
            best_spans.append(spans[j])
    if missing_numbers:
        return Support(
            False, best, f"number not in source: {', '.join(sorted(missing_numbers))}"
        ), best_spans
    if missing_names:
        return Support(
            False, best, f"name not in source: {', '.join(sorted(missing_names))}"
        ), best_spans
    foreign = _tied_elsewhere(claim, passages, question)
    if foreign:  # "les entreprises chinoises … OpenAI", where OpenAI "représente les États-Unis"
        return Support(
            False, best, f"the source ties them to another country: {', '.join(foreign)}"
        ), best_spans
    # every event the claim names is one its source speaks of: not "the summit is held in
    # Geneva" from "Ces discussions, qui ont eu lieu à Genève", nor "Les pourparlers
    # officiels ont déclaré que Wu Zhaohui… sera envoyé à un sommet" (dev3 e077)
    claimed, sourced = events(claim), events(" ".join(passages))
    if sourced and claimed - sourced:
        return Support(
            False, best, f"the source speaks of another event: {', '.join(sorted(sourced))}"
        ), best_spans
    misplaced = _figures_of_another(claim, passages)
    if misplaced:  # "the United States … 40%" from "40 % … juste derrière les 50 % des États-Unis"
        return Support(
            False, best, f"the source gives this figure to another: {', '.join(misplaced)}"
        ), best_spans
    if _ranked_the_other_way(claim, passages):
        # "China leads, ahead of the US" from "la Chine … juste derrière les 50 % des États-Unis"
        return Support(False, best, "the source ranks them the other way"), best_spans
    overclaim = claimed_roles(claim) - qualifiers(joined) - stated_roles(question)
    if overclaim:  # "the largest", "the next", "the only", "chaired": the source must say so too
        return Support(
            False, best, f"not said by the source: {', '.join(sorted(overclaim))}"
        ), best_spans
    if best < threshold and not _is_copied_phrase(claim, stems):
        # one sentence, two facts from two extracts: each part close to its own sentence
        parts = [p for p in _CLAUSE.split(claim) if len(words(p)) >= 3]
        if len(passages) < 2 or len(parts) < 2:
            return Support(False, best, f"not close enough to the source ({best:.2f})"), best_spans
        worst = min(_closest(part, sentence_vecs, embedder)[0] for part in parts)
        if worst < threshold:
            return Support(False, best, f"not close enough to the source ({best:.2f})"), best_spans
    return Support(True, best), best_spans


_CLAUSE = re.compile(
    r";|,? (?:and|while|whereas|but) (?=[a-z]+ )|,? (?:et|tandis que|alors que|mais) (?=\w+ )"
)


def _closest(text: str, sentence_vecs: np.ndarray, embedder: Embedder) -> tuple[float, list[int]]:
    """The best similarity of `text` to the sentences, and their order, best first."""
    if not len(sentence_vecs):
        return 0.0, []
    sims = sentence_vecs @ embedder.embed([text], "query")[0]
    order = [int(j) for j in np.argsort(-sims)]
    return float(sims[order[0]]), order


def _full_names(
    claim: str, missing: set[str], passage_stems: set[str], articles: list[str]
) -> set[str]:
    """Missing name words that complete a name the extract gives in part: "Wu Zhaohui"
    when the extract says "Wu" and the same article says "Wu Zhaohui"."""
    if not missing or not articles:
        return set()
    folded = [" ".join(words(a)) for a in articles]
    found = set()
    for m in NAME_RUN.finditer(claim):
        run = words(m.group(0))
        gaps = {w for w in run if w in missing}
        known = [w for w in run if w not in missing and w not in STOPWORDS]
        in_passage = any(stem(w) in passage_stems for w in known)
        if gaps and in_passage and any(" ".join(run) in a for a in folded):
            found |= gaps
    return found


def _tied_elsewhere(claim: str, passages: list[str], question: str) -> list[str]:
    """Names of the claim, for a question about one country's people or bodies, that
    every cited passage ties to another country."""
    asked = asked_nation(question)
    if asked is None:
        return []
    found = []
    for start, end in slot_names(claim, question, bodies=True):
        name = claim[start:end].rstrip(".")
        ties = [
            nation_near(p, m.start(), m.end())
            for p in passages
            for m in re.finditer(re.escape(name), p)
        ]
        if ties and all(t not in (None, asked) for t in ties):
            found.append(name)
    return found


# a figure and its unit: "40 %", "50 percent", "130 grands modèles" (the unit is its first word)
_FIGURE = re.compile(rf"({_NUMBER.pattern})\s*(%|pour cent|per ?cent|[^\W\d]+)?")
_PERCENT = {"%", "pour cent", "percent", "per cent"}


def _figures(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, value, unit) of each figure in `text`."""
    found = []
    for m in _FIGURE.finditer(text):
        unit = fold(m.group(2) or "")
        found.append(
            (m.start(), m.end(), _normal_number(m.group(1)), "%" if unit in _PERCENT else unit)
        )
    return found


def _figures_of_another(claim: str, passages: list[str]) -> list[str]:
    """Figures that the claim gives its one country and that every cited passage giving
    them gives to another: there, the figure of the same unit nearest the claim's country
    is another one ("40 % du total mondial et juste derrière les 50 % des États-Unis" is
    50 % for the United States). Only passages with two countries and two figures of the
    unit are read so; any other passage leaves the figure alone."""
    countries = {key for _, _, key in nation_words(claim)}
    if len(countries) != 1:
        return []
    country = countries.pop()
    found = []
    for _, _, value, unit in _figures(claim):
        if not unit:  # a year, a bare number: nothing says whose it is
            continue
        verdicts = [_nearest_figure(p, country, unit) for p in passages if value in _digits(p)]
        if verdicts and all(v is not None and v != value for v in verdicts):
            found.append(f"{value} {unit}".strip())
    return found


# who is ahead: the country after "behind" leads; the one after "ahead of" trails; the
# one before "leads" leads
_BEHIND = re.compile(r"\b(?:behind|trails?|trailing|derriere|a la traine de)\b")
_AHEAD_OF = re.compile(
    r"\b(?:ahead of|in front of|outpac\w+|surpass\w*|overtak\w+|devant|depass\w+|devanc\w+)\b"
)
_LEADS = re.compile(r"\b(?:leads?|leading|in the lead|en tete|domine\w*|dominat\w+)\b")


def _leader(text: str) -> str | None:
    """The country `text` puts ahead of another, when it names exactly two countries and
    every ranking word in it agrees; None otherwise."""
    folded = fold(text)
    if len(folded) != len(text):
        return None
    nations = sorted(nation_words(text, folded))  # in reading order
    if len({key for *_, key in nations}) != 2:
        return None
    leaders = set()
    for pattern, after_leads in ((_BEHIND, True), (_AHEAD_OF, False), (_LEADS, None)):
        for m in pattern.finditer(folded):
            after = [key for s, _, key in nations if s >= m.end()]
            before = [key for _, e, key in nations if e <= m.start()]
            if after_leads is None:  # "China leads…": the country before the word
                if before:
                    leaders.add(before[-1])
            elif after:
                other = {key for *_, key in nations} - {after[0]}
                leaders.add(after[0] if after_leads else other.pop())
    return leaders.pop() if len(leaders) == 1 else None


def _ranked_the_other_way(claim: str, passages: list[str]) -> bool:
    """Whether the claim puts one of its two countries ahead and the cited sentences that
    rank the same two countries all put the other one ahead."""
    leader = _leader(claim)
    if leader is None:
        return False
    countries = {key for *_, key in nation_words(claim)}
    found = {
        _leader(sentence)
        for p in passages
        for sentence in (p[s:e] for s, e in split_sentences(p))
        if {key for *_, key in nation_words(sentence)} == countries
    } - {None}
    return bool(found) and leader not in found


def _nearest_figure(passage: str, country: str, unit: str) -> str | None:
    """The figure of `unit` that `passage` puts nearest a word of `country`; None when the
    passage names fewer than two countries or gives fewer than two such figures."""
    folded = fold(passage)
    if len(folded) != len(passage):  # a ligature moved the offsets: do not guess
        return None
    nations = nation_words(passage, folded)
    figures = [f for f in _figures(passage) if f[3] == unit]
    if len({key for *_, key in nations}) < 2 or len({f[2] for f in figures}) < 2:
        return None
    mentions = [(s, e) for s, e, key in nations if key == country]
    if not mentions:
        return None

    def gap(figure: tuple[int, int, str, str]) -> int:
        return min(max(s - figure[1], figure[0] - e, 0) for s, e in mentions)

    return min(figures, key=gap)[2]


def _asked_places(missing: set[str], question: str, sources: list[Source]) -> set[str]:
    """Missing name words that are the question's own places, which the extract's article
    names elsewhere: "… would lead the US delegation to the Geneva talks" citing the
    sentence after the one that says "Genève". A person the question names is not
    excused: a false premise often puts one where the article does not."""
    if not missing or not question:
        return set()
    article = {stem(w) for x in sources for w in words(x.text)}
    places = {
        w for m in NAME_RUN.finditer(question) if is_place(m.group(0)) for w in words(m.group(0))
    }
    return {n for n in missing & places if _name_in(n, article, set())}


# ---------------------------------------------------------------- a whole draft

_LEADING_CITATIONS = re.compile(rf"^(?:\s*{CITATION.pattern})+")


def split_answer(draft: str) -> list[str]:
    """A model's answer cut into sentences (the one sentence splitter), each keeping the
    [n] markers that follow its full stop ("… mardi. [1] Next" keeps [1] with the first
    sentence)."""
    pieces: list[str] = []
    for start, end in split_sentences(draft):
        piece = draft[start:end]
        markers = _LEADING_CITATIONS.match(piece)
        if markers and pieces:
            pieces[-1] += " " + markers.group(0).strip()
            piece = piece[markers.end() :]
        if piece.strip():
            pieces.append(piece.strip())
    return pieces


@dataclass(frozen=True)
class CheckedSentence:
    text: str  # without its [n] markers
    refs: tuple[int, ...]  # passage numbers it is checked against, 1-based
    support: Support
    spans: list[tuple[int, int, int]]  # best sentence of each cited passage, best first
    recited: bool = False  # the model cited nothing, or a passage that does not support it
    judge: float | None = None


Judge = Callable[[str, str], float]  # (passage, claim) -> P("the passage states the claim")


_Supported = tuple[tuple[int, ...], Support, list[tuple[int, int, int]]]  # refs, support, spans


def _supporting(
    claim: str,
    cited: tuple[int, ...],
    passages: list[str],
    embedder: Embedder,
    threshold: float,
    cross_threshold: float,
    sources: list[Source],
    question: str,
) -> list[_Supported]:
    """Each single passage that supports `claim` by the same bar as its own citation,
    best first, other than the `cited` one: where a sentence whose citation does not
    hold may point instead."""
    found = []
    for n, passage in enumerate(passages, 1):
        if (n,) == cited:
            continue
        support, spans = check_claim(
            claim, [passage], embedder, threshold, cross_threshold, sources[n - 1 : n], question
        )
        if support.supported:
            found.append(((n,), support, spans))
    return sorted(found, key=lambda f: -f[1].similarity)


# Other passages read when the judge finds that the cited one does not state a sentence:
# the model may cite the passage beside the one that says it (test q122: "Wu Zhaohui gave
# a speech…" cited to the extract that sends him to the summit, judge 0.36; the extract
# on his speech, 0.64).
RECHECKED_PASSAGES = 2


def check_draft(
    draft: str,
    passages: list[str],
    embedder: Embedder,
    language: str,
    threshold: float,
    cross_threshold: float,
    judge: Judge | None = None,
    judge_threshold: float = 0.0,
    sources: list[Source] | None = None,
    question: str = "",
) -> tuple[list[CheckedSentence], int]:
    """Every sentence of `draft` checked against the passages it cites (`sources`: the
    article of each passage), and the number of citations that pointed to no passage."""
    sources = sources or [Source() for _ in passages]
    checked: list[CheckedSentence] = []
    dropped = 0
    against = (passages, embedder, threshold, cross_threshold, sources, question)
    for raw in split_answer(draft):
        text, refs, bad = parse_citations(raw, len(passages))
        dropped += bad
        if len(re.findall(r"[^\W\d_]{2,}", text)) < 1:  # "2." of a numbered list
            continue
        support, spans = check_claim(
            text,
            [passages[n - 1] for n in refs],
            embedder,
            threshold,
            cross_threshold,
            [sources[n - 1] for n in refs],
            question,
        )
        recited = False
        others: list[_Supported] | None = None  # other extracts that pass: looked for once
        if not support.supported:
            others = _supporting(text, refs, *against)
            if others:
                (refs, support, spans), recited = others.pop(0), True
        # a French name ("Genève") does not make an English sentence French
        if support.supported and detect_language(NAME_RUN.sub("", text)) not in (
            language,
            "other",
        ):
            support = Support(False, support.similarity, "not in the question's language")
        score = None
        if support.supported and judge is not None:
            claim = f"{question} → {text}" if question and _is_bare(text) else text
            score = judge(" ".join(passages[n - 1] for n in refs), claim)
            if score < judge_threshold:
                if others is None:
                    others = _supporting(text, refs, *against)
                for found in others[:RECHECKED_PASSAGES]:
                    found_score = judge(passages[found[0][0] - 1], claim)
                    if found_score >= judge_threshold:
                        (refs, support, spans), score, recited = found, found_score, True
                        break
            if score < judge_threshold:
                reason = f"the passage does not state it (judge {score:.2f})"
                support = Support(False, support.similarity, reason)
        checked.append(CheckedSentence(text, refs, support, spans, recited, score))
    return checked, dropped
