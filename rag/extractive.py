"""The extractive answerer: the passage sentences that best answer the question,
the short phrase inside the best one that answers it, and the evidence given to
the model.

It is the first, instant answer and the fallback of the generative path: every
phrase and sentence it returns is an exact span of an article. A sentence
scores by its embedding similarity to the question plus a small bonus for
shared content words; when even the best sentence is below `answer_threshold`,
the articles are taken not to contain the answer. The phrase is found by the
kind of fact the question asks for (a name for who, a date for when, a place
for where, a number for how many); when none is found, the sentence is the
answer. Deliberately left out: parsing; the rules are patterns for French and
English news prose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rag.chunking import chunk_id, split_sentences
from rag.embed import Embedder
from rag.slots import (
    Slot,
    asked_names,
    asked_slot,
    asked_stems,
    fillers,
    places,
)
from rag.text import (
    ENGLISH_COUNTS,
    ENGLISH_DATE_WORDS,
    STOPWORDS,
    UNIT_WORDS,
    content_terms,
    looks_like_prose,
    planted,
    stem,
)
from rag.types import Chunk, Document, Hit

LEXICAL_WEIGHT = 0.15  # chosen on eval/questions.jsonl: best top-3 key facts and refusal AUC
TYPE_BONUS = 0.07  # ranking only: a sentence holding the kind of fact the question asks for
PHRASE_KINDS = ("person", "organisation", "place", "date", "count")  # answered by a phrase


@dataclass(frozen=True)
class ScoredSentence:
    hit: Hit
    start: int  # offsets in the document
    end: int
    text: str
    similarity: float
    score: float  # similarity + lexical bonus: what the answer threshold is compared with
    rank_score: float  # score + answer-type bonus: what orders the sentences
    context: str = ""  # the sentence before, when this one opens by referring back to it


def score_sentences(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    stored: Callable[[str, int], np.ndarray | None] | None = None,
) -> list[ScoredSentence]:
    """Every sentence of the retrieved passages, best first. `stored` gives the vectors
    computed at index time, so that only the question (and any sentence the index does
    not hold) is embedded now."""
    seen: set[tuple[str, int]] = set()
    candidates: list[tuple[Hit, int, int, str]] = []
    before: dict[int, tuple[Hit, int, int, str]] = {}  # candidate → the sentence it refers to
    for hit in hits:
        previous = None
        for s, e in split_sentences(hit.chunk.text, offset=hit.chunk.start):
            text = hit.chunk.text[s - hit.chunk.start : e - hit.chunk.start]
            key, last, previous = (hit.chunk.doc_id, s), previous, (hit, s, e, text)
            if key in seen or len(text.split()) < 4:  # headings and fragments answer nothing
                continue
            if not looks_like_prose(text) or planted(text):
                continue  # keyword stuffing and planted instructions answer nothing
            seen.add(key)
            if last is not None and refers_back(text):
                before[len(candidates)] = last
            candidates.append((hit, s, e, text))
    if not candidates:
        return []
    q_vec = embedder.embed([question], "query")[0]
    vectors = _sentence_vectors([*candidates, *before.values()], embedder, stored)
    own_sims = vectors[: len(candidates)] @ q_vec
    joined_sims = own_sims.copy()
    for j, i in enumerate(before):  # read with the sentence it refers back to
        joined = vectors[i] + vectors[len(candidates) + j]
        joined_sims[i] = max(own_sims[i], float(joined @ q_vec) / float(np.linalg.norm(joined)))
    q_terms = set(content_terms(question))
    slot = asked_slot(question)
    typed = slot.kind in PHRASE_KINDS
    scored = []
    for i, (hit, s, e, text) in enumerate(candidates):
        fills = typed and bool(fillers(slot, text, question))
        # only the asked fact itself may lean on the sentence before ("when?" answered by
        # "Ces rassemblements, qui ont eu lieu en juillet…"); a sentence that gives no
        # name, date, place or count is scored as it stands
        context = before[i][3] if i in before and fills else ""
        sim = float(joined_sims[i] if context else own_sims[i])
        terms = set(content_terms(f"{context} {text}"))
        overlap = len(q_terms & terms) / max(len(q_terms), 1)
        score = sim + LEXICAL_WEIGHT * overlap
        bonus = TYPE_BONUS * fills
        scored.append(ScoredSentence(hit, s, e, text, sim, score, score + bonus, context))
    return sorted(scored, key=lambda x: -x.rank_score)


FOLLOWING_CHARS = 600  # how far past a passage its next sentence is looked for


def following_sentences(hits: list[Hit], documents: Mapping[str, Document]) -> list[Hit]:
    """The sentence just past each retrieved passage, as a passage of its own (after
    the passage's last sentence): an answer often follows the sentence that names its
    subject ("Les entreprises … ont participé … Ces rassemblements, qui ont eu lieu en
    juillet…"), and a chunk boundary may fall between them."""
    found = []
    for hit in hits:
        doc = documents[hit.chunk.doc_id]
        tail = doc.text[hit.chunk.end : hit.chunk.end + FOLLOWING_CHARS]
        spans = split_sentences(tail, offset=hit.chunk.end)
        if not spans or (len(spans) == 1 and hit.chunk.end + len(tail) < len(doc.text)):
            continue  # nothing after the passage, or a sentence cut by the window
        # from the passage's last sentence, which the new one may refer back to
        start = split_sentences(hit.chunk.text, offset=hit.chunk.start)[-1][0]
        end = spans[0][1]
        chunk = Chunk(chunk_id(doc, start, end), doc.id, start, end, doc.text[start:end])
        found.append(Hit(chunk, hit.score, hit.rank))
    return found


LEAD_CHARS = 300  # an article's title, byline, dateline and first sentence start here


def article_leads(hits: list[Hit], documents: Mapping[str, Document]) -> list[Hit]:
    """The lead of each article a passage comes from, when no passage holds it: a news
    story says its main fact first ("La Chine enverra Wu Zhaohui…"), and a question
    worded otherwise may retrieve only the story's later passages."""
    found = []
    for doc_id in dict.fromkeys(h.chunk.doc_id for h in hits):
        mine = [h for h in hits if h.chunk.doc_id == doc_id]
        if any(h.chunk.start == 0 for h in mine):
            continue
        doc = documents[doc_id]
        spans = [sp for sp in split_sentences(doc.text[: 3 * LEAD_CHARS]) if sp[0] < LEAD_CHARS]
        if not spans:
            continue
        end = spans[-1][1]
        chunk = Chunk(chunk_id(doc, 0, end), doc.id, 0, end, doc.text[:end])
        found.append(Hit(chunk, mine[0].score, mine[0].rank))
    return found


# A sentence that opens by pointing back ("Ces rassemblements, qui ont eu lieu en
# juillet…", "They met in Geneva"), or whose speaker is a pronoun ("« Nous devrions
# coopérer », a-t-il déclaré à Shanghai"), says what it is about in the sentence before.
_REFERS_BACK = re.compile(
    r"^(?:ces|cette|cet|ce|celui-ci|celle-ci|ceux-ci|il|elle|ils|elles|these|this|those|they"
    r"|it|he|she)\b",
    re.IGNORECASE,
)
_PRONOUN_SPEAKER = re.compile(
    r"[,»”\"]\s*(?:a|ont|avait|avaient|aurait)(?:-t)?-(?:il|elle|ils|elles)\b"
    r"|[,”\"]\s*(?:he|she|they) (?:said|added|told|noted|stressed|warned)\b",
    re.IGNORECASE,
)


def refers_back(sentence: str) -> bool:
    return bool(_REFERS_BACK.match(sentence) or _PRONOUN_SPEAKER.search(sentence))


def _sentence_vectors(
    candidates: list[tuple[Hit, int, int, str]],
    embedder: Embedder,
    stored: Callable[[str, int], np.ndarray | None] | None,
) -> np.ndarray:
    found = [stored(hit.chunk.doc_id, s) if stored else None for hit, s, _, _ in candidates]
    missing = [i for i, v in enumerate(found) if v is None]
    if missing:
        fresh = embedder.embed([candidates[i][3] for i in missing], "passage")
        for i, vector in zip(missing, fresh, strict=True):
            found[i] = vector
    return np.stack(found)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the answer phrase

_ARTICLE_BEFORE = re.compile(r"(?:\b(?:le|la|les|du|des|the)|[ld]['’])\s*$", re.IGNORECASE)
_LIST_JOIN = re.compile(r"^(?:, | et | and | ou | or |, et |, and |, ou |, or )$")
# two people, each with a role: "Seth Center, envoyé adjoint du Département d'État…, et
# Tarun Chhabra": the second full name after the first one's apposition
_APPOSITION_JOIN = re.compile(r"^, [^.;:!?]{3,160}?,? (?:et|and) $")


def answer_phrase(
    question: str, sentence: str, slot: Slot | None = None, given: str = ""
) -> tuple[int, int] | None:
    """(start, end) of the words of `sentence` that fill the slot `question` asks for
    (a name, an organisation, a place, a date, a count), or None: for another kind of
    question, or when the sentence holds no filler of the asked kind. `given`: the
    question with the turn it was read with, whose phrases are no answer ("Et l'autre
    journaliste, elle travaillait depuis quelle ville ? (… Laurie Chen… ? Beijing)":
    not "Pékin", dev d16)."""
    slot = slot or asked_slot(question)
    if slot.kind not in PHRASE_KINDS:
        return None
    found = _phrases(question, sentence, slot)
    if given and given != question:
        new_to_the_turn = set(_phrases(given, sentence, slot))
        found = [span for span in found if span in new_to_the_turn]
    if slot.kind == "count":  # a figure before a count in words
        found.sort(key=lambda span: not re.search(r"\d", sentence[span[0] : span[1]]))
    if slot.kind in ("person", "organisation"):
        found = _names_first(sentence, found, person=slot.kind == "person")
    else:  # of two figures, the one beside the question's words: "les 50 % des États-Unis"
        found.sort(key=lambda span: -_near_question(sentence, span, question, _NEAR))
    if not found:
        return None
    start, end = found[0]
    while end > start and sentence[end - 1] in " ,.;:":
        end -= 1
    return start, end


def _phrases(question: str, sentence: str, slot: Slot) -> list[tuple[int, int]]:
    """Every phrase of `sentence` of the asked kind that the question does not hold."""
    if slot.kind in ("person", "organisation"):  # a name: a group noun is no phrase
        return asked_names(sentence, question, bodies=slot.kind == "organisation")
    if slot.kind == "place":
        return places(sentence, question)
    return fillers(slot, sentence, question)


def _names_first(sentence: str, runs: list[tuple[int, int]], person: bool) -> list[tuple[int, int]]:
    """For a person, a full name first and organisations ("le Washington Post",
    "(Reuters)") last; then a list ("OpenAI, Anthropic et Cohere"), or two people each
    with a role, joined as one answer."""
    runs = sorted(  # "(Reuters)" is a credit, not an answer
        runs, key=lambda r: sentence[: r[0]].endswith("(") and sentence[r[1] : r[1] + 1] == ")"
    )
    if person:
        runs = sorted(
            runs,
            key=lambda r: (
                bool(_ARTICLE_BEFORE.search(sentence[: r[0]])) or sentence[: r[0]].endswith("("),
                " " not in sentence[r[0] : r[1]],
            ),
        )
    if not runs:
        return []
    start, end = runs[0]
    for s, e in runs[1:]:
        gap = sentence[end:s]
        second = person and " " in sentence[s:e] and _APPOSITION_JOIN.match(gap)
        if s < end or not (_LIST_JOIN.match(gap) or second):
            break
        end = e
    return [(start, end), *runs[1:]]


_ENGLISH_WORDS = {
    **ENGLISH_DATE_WORDS,
    "et": "and",
    "environ": "about",
    **UNIT_WORDS,
}
_ENGLISH_PHRASES = {"au moins": "at least", "plus de": "more than", "moins de": "less than"}
_DROPPED = {"le", "les", "en"}


def phrase_in_english(question: str, phrase: str) -> str:
    """The answer phrase of a date or quantity question in English ("le 18 octobre" →
    "18 October", "les 1er et 2 novembre" → "1 and 2 November", "environ 100 pays" →
    "about 100 countries", "cinq ans" → "five years"), word for word; as it is when a
    word is not in the table (names, places and other phrases are never translated:
    "Mars" may be a name; a quoted "Genève" stays as the article writes it)."""
    if asked_slot(question).kind not in ("date", "count"):
        return phrase
    return _in_english(phrase) or phrase


def _in_english(phrase: str) -> str | None:
    text = phrase.strip()
    for french, english in _ENGLISH_PHRASES.items():
        text = re.sub(rf"\b{french}\b", english.replace(" ", "_"), text, flags=re.IGNORECASE)
    out = []
    for word in text.split():
        lower = word.lower()
        if lower in _DROPPED and not out:
            continue
        if lower == "en" and out and out[-1] == "and":
            continue  # "en juillet et en octobre"
        if re.fullmatch(r"\d+er", lower):
            word = lower[:-2]
        elif lower in _ENGLISH_WORDS:
            word = _ENGLISH_WORDS[lower]
        elif lower in ENGLISH_COUNTS:
            word = ENGLISH_COUNTS[lower]
        elif not re.fullmatch(r"[\d\u202f.,%]+|[a-z]+_[a-z]+", lower):
            return None  # a word this table cannot translate: the phrase stays French
        out.append(word.replace("_", " "))
    return " ".join(out) or None


# ---------------------------------------------------------------- evidence for the model


@dataclass(frozen=True)
class Evidence:
    """A contiguous run of sentences of one article, given to the model as [n]."""

    hit: Hit  # the retrieved passage it grew from
    start: int  # offsets in the document
    end: int
    text: str
    score: float  # the best sentence score inside it


def evidence_passages(
    scored: list[ScoredSentence], doc_texts: dict[str, str], budget_chars: int, max_sentences: int
) -> list[Evidence]:
    """The best sentences, then their neighbours (the one before first: it holds the
    antecedents of 'he', 'the talks'), within `budget_chars`; a sentence that refers
    back (`ScoredSentence.context`) always comes with the one before, so that the model
    and the claim judge read what "ces rassemblements" are. Adjacent sentences of one
    article are merged. Passages come in the order of their best sentence."""
    chosen: dict[tuple[str, int, int], ScoredSentence] = {}
    used = 0
    for s in scored[:max_sentences]:
        size = len(s.text) + len(s.context)  # one that refers back comes with the one before
        if used + size > budget_chars and chosen:
            break
        chosen[(s.hit.chunk.doc_id, s.start, s.end)] = s
        used += size
    neighbours: dict[tuple[str, int, int], ScoredSentence] = {}
    doc_spans: dict[str, list[tuple[int, int]]] = {}  # each article split once
    for (doc_id, start, end), s in list(chosen.items()):
        if doc_id not in doc_spans:
            doc_spans[doc_id] = split_sentences(doc_texts[doc_id])
        spans = doc_spans[doc_id]
        i = spans.index((start, end)) if (start, end) in spans else -1
        for j in (i - 1, i + 1):
            if i < 0 or not 0 <= j < len(spans):
                continue
            key = (doc_id, *spans[j])
            text = doc_texts[doc_id][spans[j][0] : spans[j][1]]
            if key in chosen or key in neighbours or len(text.split()) < 4:
                continue
            if planted(text):  # a planted instruction never reaches the model
                continue
            needed = j == i - 1 and bool(s.context)  # already counted with its sentence
            if needed or used + len(text) <= budget_chars:
                neighbours[key] = s
                used += 0 if needed else len(text)
    return _merge_runs(chosen, neighbours, doc_texts)


def _merge_runs(
    chosen: dict[tuple[str, int, int], ScoredSentence],
    neighbours: dict[tuple[str, int, int], ScoredSentence],
    doc_texts: dict[str, str],
) -> list[Evidence]:
    spans = sorted({**neighbours, **chosen}.items())
    runs: list[Evidence] = []
    for (doc_id, start, end), s in spans:
        score = s.rank_score if (doc_id, start, end) in chosen else float("-inf")
        last = runs[-1] if runs else None
        text = doc_texts[doc_id]
        if last and last.hit.chunk.doc_id == doc_id and not text[last.end : start].strip():
            runs[-1] = Evidence(
                last.hit, last.start, end, text[last.start : end], max(last.score, score)
            )
        else:
            runs.append(Evidence(s.hit, start, end, text[start:end], score))
    return sorted(runs, key=lambda e: -e.score)


PHRASE_TIE_MARGIN = 0.03  # sentences this close to the best compete on their phrase
_WINDOW = 60  # characters each side of a phrase where the question's words count
_NEAR = 30  # the same, between two phrases of one sentence
_STOP_STEMS = {stem(w) for w in STOPWORDS}


def _near_question(sentence: str, span: tuple[int, int], question: str, window: int) -> int:
    """How many of the question's content words stand within `window` characters of
    the phrase at `span`."""
    q_terms = asked_stems(question) - _STOP_STEMS
    around = sentence[max(0, span[0] - window) : span[1] + window]
    return len(q_terms & set(content_terms(around)))


def best_answer(
    question: str, scored: list[ScoredSentence], slot: Slot | None = None, given: str = ""
) -> tuple[ScoredSentence, tuple[int, int] | None]:
    """The sentence and phrase for the instant answer. Among sentences that score
    within `PHRASE_TIE_MARGIN` of the best, the one whose answer phrase stands
    closest to the question's words wins ("La Chine enverra Wu Zhaohui … à un
    sommet" over "… la Chine … après la visite … de James Cleverly"). `given`: as for
    `answer_phrase`; the sentence is chosen by its words too ("When will they take
    place? (Where did the US and China hold their AI talks?…)": the official talks'
    "mardi", not the secret ones' "ont eu lieu en juillet")."""
    slot = slot or asked_slot(question)
    words_of = given or question
    best, best_span, best_key = scored[0], None, (-1, 0.0)
    for s in scored:
        if s.rank_score < scored[0].rank_score - PHRASE_TIE_MARGIN:
            break
        span = answer_phrase(question, s.text, slot, given)
        if span is None:
            key = (0, s.rank_score)
        else:
            key = (1 + _near_question(s.text, span, words_of, _WINDOW), s.rank_score)
        if key > best_key:
            best, best_span, best_key = s, span, key
    return best, best_span
