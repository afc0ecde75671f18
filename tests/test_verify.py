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
