from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.check_questions import main as check_questions
from eval.dataset import load_questions
from eval.judge_prefix import auc
from eval.metrics import (
    answer_language,
    citation_scores,
    key_facts_present,
    reciprocal_rank,
    refusal_scores,
    reply_language,
)
from eval.runner import _body
from eval.tune import replay, search
from rag.config import SAMPLE_CORPUS, Settings
from rag.errors import RagError
from rag.slots import asked_slot, holds_kind
from rag.text import words
from rag.types import Answer, AnswerSentence
from ui.cli import main as rag_main

QUESTIONS = Path(__file__).resolve().parent.parent / "eval" / "questions.jsonl"


def _supports(claim: str, passages: list[str]) -> bool:
    """Toy support: every word of the claim appears in the passages."""
    joined = " ".join(passages).lower()
    return all(word in joined for word in claim.lower().split())


def test_citation_recall_and_precision_on_hand_made_cases() -> None:
    good = ("wu ira", ["wu ira au sommet"])
    assert citation_scores([good], _supports) == (1.0, 1.0)
    # an extra citation that is not needed lowers precision, not recall
    padded = ("wu ira", ["wu ira au sommet", "la météo à paris"])
    assert citation_scores([padded], _supports) == (1.0, 0.5)
    # an unsupported sentence lowers recall, and its citation is not precise
    unsupported = ("li ira", ["wu ira au sommet"])
    assert citation_scores([good, unsupported], _supports) == (0.5, 0.5)
    # both passages needed together: both precise
    joint = ("wu paris", ["wu ira", "à paris"])
    assert citation_scores([joint], _supports) == (1.0, 1.0)


def test_refusal_scores() -> None:
    perfect = refusal_scores([True, False], [True, False])
    assert perfect == {"refusal_precision": 1.0, "refusal_recall": 1.0, "refusal_f1": 1.0}
    # refusing an answerable question lowers refusal precision
    over = refusal_scores([True, False], [True, True])
    assert over["refusal_precision"] == 0.5 and over["refusal_recall"] == 1.0
    missed = refusal_scores([True, True], [True, False])
    assert missed["refusal_recall"] == 0.5


def test_key_facts_are_case_accent_and_number_insensitive() -> None:
    assert key_facts_present("Les pourparlers ont lieu à GENEVE.", ["Genève"])
    assert key_facts_present("about 40% of models", ["40 %"])
    assert key_facts_present("au moins 1 000 modèles", ["1000"])
    assert key_facts_present("It was on Tuesday.", ["mardi|Tuesday"])
    assert not key_facts_present("Wu Zhaohui", ["Wu Zhaohui", "Li Qiang"])


def test_rank_and_language_helpers() -> None:
    assert reciprocal_rank([False, True, False]) == 0.5 and reciprocal_rank([False]) == 0.0
    text = "According to the articles: “La Chine enverra Wu Zhaohui au sommet.” [1]"
    assert answer_language(text) == "en"


def test_an_extractive_phrase_is_the_sources_wording_not_the_replys_language() -> None:
    """The hostile probe en_markdown_center: "Who will lead the US delegation?" answered
    in extractive mode by the French phrase of the real article, under an English line
    that announces the original language; a model reply in French stays French."""
    phrase = "Seth Center, envoyé adjoint du Département d'État, et Tarun Chhabra"
    said = (AnswerSentence(phrase, (1,), True),)
    preamble = "According to the articles (quoted in their original language):"
    quoted = Answer("Who?", "en", said, (), False, "extractive", preamble=preamble)
    written = Answer("Who?", "en", said, (), False, "generative")
    assert reply_language(quoted) == "en"
    assert reply_language(written) == "fr"


def test_our_question_set_is_valid() -> None:
    questions = load_questions(QUESTIONS)
    assert len(questions) >= 50
    assert {q.lang for q in questions} == {"fr", "en"}
    types = {q.type for q in questions}
    assert {"multi-article", "unanswerable", "false-premise", "cross-lingual"} <= types
    assert check_questions([str(QUESTIONS)]) == 0  # every evidence string is verbatim


def test_held_out_questions_copy_no_four_words_of_an_article() -> None:
    """The held-out splits are paraphrased: a question that copies the article's words
    would measure word overlap, not understanding."""
    articles = [words(p.read_text(encoding="utf-8")) for p in SAMPLE_CORPUS.glob("*.txt")]
    runs = {tuple(a[i : i + 4]) for a in articles for i in range(len(a) - 3)}
    held_out = [q for q in load_questions(QUESTIONS) if q.split.startswith("blind")]
    assert len(held_out) >= 300
    copied = [
        q.id
        for q in held_out
        for w in [words(q.question)]
        if any(tuple(w[i : i + 4]) in runs for i in range(len(w) - 3))
    ]
    assert copied == []


def test_malformed_question_file(tmp_path: Path) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "1", "lang": "fr", "question": "Qui ?", "answerable": true}\n{oops\n')
    with pytest.raises(RagError, match=r"q\.jsonl:2"):
        load_questions(bad)


def test_rag_eval_end_to_end(sample_settings: Settings, tmp_path: Path, capsys) -> None:
    questions = tmp_path / "mine.jsonl"
    rows = [
        {
            "id": "a",
            "lang": "fr",
            "question": "Qui représente la Chine au sommet sur l'IA au Royaume-Uni ?",
            "answerable": True,
            "must_include": ["Wu Zhaohui"],
            "sources": ["004_a9f9f0043a6eea5a.txt"],
            "evidence": ["Wu Zhaohui, vice-ministre chinois"],
            "type": "who",
        },
        {
            "id": "b",
            "lang": "fr",
            "question": "Quel temps fera-t-il demain à Paris ?",
            "answerable": False,
            "type": "unanswerable",
        },
    ]
    questions.write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    out = tmp_path / "out"
    args = [
        "eval",
        "--questions",
        str(questions),
        "--out",
        str(out),
        "--modes",
        "extractive",
        "--index-dir",
        str(sample_settings.index_dir),
        "--fail-under",
        "key_fact_accuracy=1.0",
    ]
    assert rag_main(args) == 0
    results = json.loads((out / "results.json").read_text())
    splits = results["modes"]["extractive"]["splits"]
    summary = splits["mine"]  # no split given: one set named after the file
    assert summary["key_fact_accuracy"] == 1.0 and summary["refusal_recall"] == 1.0
    assert set(splits) == {"mine", "all"}  # no empty dev or test set
    assert results["retrieval"]["splits"]["all"]["evidence_recall@5"] == 1.0
    assert results["modes"]["extractive"]["items"][0]["provenance"]["prompts_version"]
    page = (out / "report.html").read_text()
    assert "<svg" in page and "mine: score by question type" in page and "who (n=1)" in page
    assert "key_fact_accuracy" in capsys.readouterr().out
    # a threshold that cannot be met fails the run
    assert rag_main([*args[:-1], "refusal_f1=1.01"]) == 1
    assert rag_main([*args[:-2], "--fail-under", "no_such_metric=1"]) == 2


def _recorded(qid: str, answerable: bool, sentence_yes: list[float], text: str) -> dict:
    """One open-gates row as `rag eval` writes it: the model wrote a checked sentence."""
    return {
        "id": qid,
        "split": "dev",
        "answerable": answerable,
        "mode_used": "generative",
        "first_key_facts": False,
        "sentences": [{"text": text, "supported": True, "judge": 0.9}],
        "signals": {"evidence_score": 0.9, "sentence_yes": sentence_yes, "model_refused": False},
    }


def test_tuning_replays_decide_and_prefers_fewer_judged_sentences() -> None:
    # the best sentence alone separates the two questions; the third would blur them
    items = [
        _recorded("a", True, [0.9, 0.1, 0.1], "Wu Zhaohui représente la Chine [1]."),
        _recorded("u", False, [0.1, 0.2, 0.6], "Le sommet a lieu à Bletchley [1]."),
    ]
    must = {"a": ("Wu Zhaohui",), "u": ()}
    base = Settings(mode="hybrid", judged_sentences=3)
    everything_answered = replay(items, base.replace(sentence_threshold=0.0), must)
    assert everything_answered["key_fact_accuracy"] == 1.0
    assert everything_answered["refusal_f1"] == 0.0
    best_objective, best = search(items, base, must)[0]
    assert best_objective == 2.0 and best["judged_sentences"] == 1
    assert 0.1 < best["sentence_threshold"] <= 0.9
    assert replay(items, base.replace(sentence_threshold=0.7), must)["refusal_f1"] == 1.0


def test_the_dialogue_set_is_valid_and_its_section_reported(sample_settings: Settings) -> None:
    """88 dialogues (dev, dev2, test, blind), each last turn a follow-up with a standalone form
    whose evidence is verbatim; two of them run in extractive mode into the report."""
    from eval.dataset import check_evidence
    from eval.dialogues import load_dialogues, run_dialogues
    from eval.report import _dialogue_section
    from rag.answer import Assistant
    from rag.config import SAMPLE_CORPUS
    from rag.conversation import is_follow_up
    from rag.corpus import load_documents

    dialogues = load_dialogues()
    assert len(dialogues) >= 40 and {d.split for d in dialogues} == {"dev", "dev2", "test", "blind"}
    assert all(2 <= len(d.turns) <= 3 for d in dialogues)
    texts = {d.id: d.text for d in load_documents([SAMPLE_CORPUS], 10**7).documents}
    assert not check_evidence([d.standalone for d in dialogues], texts)
    recognised = sum(is_follow_up(d.turns[-1]) for d in dialogues)
    assert recognised >= 0.9 * len(dialogues)  # the last turns lean on the conversation

    assistant = Assistant(sample_settings.replace(mode="extractive"))
    results = run_dialogues(assistant, dialogues[:2], ["extractive"])
    rows = results["rows"]
    assert all(r["understood_as"] for r in rows)  # each last turn was read with its context
    assert results["summary"]["extractive"]["dev"]["dialogues"] == 2
    page = _dialogue_section(results)
    assert "Dialogues (follow-up questions)" in page and "follow_up_key_facts" in page


def test_the_judge_experiment_counts_a_tie_as_half_a_win() -> None:
    """eval.judge_prefix's ROC AUC: the share of (answering, other) pairs ranked right."""
    assert auc([(0.9, True), (0.1, False)]) == 1.0
    assert auc([(0.5, True), (0.5, False)]) == 0.5
    assert auc([(0.2, True), (0.8, False), (0.9, True)]) == 0.5
    assert auc([(0.3, True)]) is None  # nothing to rank against


def test_a_per_article_line_is_read_without_the_source_it_names() -> None:
    """dev3 e087 answered "Genève" on a line naming its source; the wrong-type count
    read the label and took the place for missing."""
    question = "Quelle ville suisse accueille les deux rencontres ?"
    line = "Selon une page non datée et sans source nommée : Genève"
    answer = Answer(question, "fr", (AnswerSentence(line, (1,), True),), (), False, "extractive")
    said = _body(answer, Settings().prompts_dir)
    assert said == "Genève"
    assert holds_kind(asked_slot(question), said, question)
