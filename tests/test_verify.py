from __future__ import annotations

import json
from pathlib import Path

from rag.answer import Assistant
from rag.verify import check_claim, names, numbers, parse_citations

PAIRS = Path(__file__).resolve().parent.parent / "eval" / "support_pairs.jsonl"


def test_parse_citations_drops_indices_that_point_nowhere() -> None:
    text, refs, dropped = parse_citations("Wu Zhaohui ira au sommet [2][9] et [1, 2].", 3)
    assert text == "Wu Zhaohui ira au sommet et."
    assert refs == (2, 1) and dropped == 1


def test_numbers_and_names() -> None:
    assert numbers("28 pays, 40 %, 2023 et 3,50") == {"28", "40", "2023", "3.5"}
    assert names("The talks were held in Geneva by Seth Center.") == {"geneva", "seth", "center"}
    assert "according" not in names("According to Reuters, China agreed.")


def test_counts_in_words_are_numbers() -> None:
    assert numbers("Five years, cinq ans, 5 ans") == {"5"}
    assert numbers("une fois, one time, deux-trois") == {"2", "3"}


def test_numbers_in_words_are_checked_and_digits_need_digits(assistant: Assistant) -> None:
    embedder = assistant.retriever().embedder
    passage = "James Cleverly s'est rendu à Pékin, premier voyage d'un ministre en cinq ans."
    three, _ = check_claim("Cleverly made the first trip in three years.", [passage], embedder, 0.8)
    assert not three.supported and "3" in three.reason
    # "5" found nowhere in digits: a number taken from another phrase, not a translation
    digit, _ = check_claim("La visite de Cleverly a duré 5 ans.", [passage], embedder, 0.8)
    assert not digit.supported and "5" in digit.reason


def test_english_rendering_of_a_french_institution_name(assistant: Assistant) -> None:
    embedder = assistant.retriever().embedder
    passage = (
        "a déclaré Liu Wei, directeur du laboratoire d'interaction homme-machine et "
        "d'ingénierie cognitive à l'Université des postes et télécommunications de Pékin."
    )
    cross = assistant.settings.cross_support_threshold
    rendered, _ = check_claim(
        "Liu Wei directs a laboratory at the University of Posts and Telecommunications "
        "of Beijing.",
        [passage],
        embedder,
        0.8,
        cross,
    )
    assert rendered.supported, rendered.reason
    # a person's name is capitalised in its source: a near spelling is another person
    sent = "La Chine enverra Wu Zhaohui, vice-ministre des Sciences, au sommet."
    other, _ = check_claim(
        "China will send Wu Zhaoxui to the summit.", [sent], embedder, 0.8, cross
    )
    assert not other.supported and "zhaoxui" in other.reason


def test_wrong_number_is_not_supported(assistant: Assistant) -> None:
    embedder = assistant.retriever().embedder
    passage = "Le sommet a réuni 28 pays et l'Union européenne à Bletchley Park."
    good, _ = check_claim("The summit brought together 28 countries.", [passage], embedder, 0.8)
    bad, _ = check_claim("The summit brought together 13 countries.", [passage], embedder, 0.8)
    assert good.supported
    assert not bad.supported and "13" in bad.reason


def test_agreement_on_hand_labelled_pairs(assistant: Assistant) -> None:
    embedder = assistant.retriever().embedder
    threshold = assistant.settings.support_threshold
    rows = [json.loads(line) for line in PAIRS.read_text("utf-8").splitlines() if line.strip()]
    agree = sum(
        check_claim(r["claim"], [r["passage"]], embedder, threshold)[0].supported == r["supported"]
        for r in rows
    )
    assert len(rows) >= 25
    assert agree / len(rows) >= 0.9
