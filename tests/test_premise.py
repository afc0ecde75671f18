from __future__ import annotations

from rag.premise import premises


def test_premises_are_where_and_when_the_question_states() -> None:
    stated = premises("Why did James Cleverly travel to Beijing in October 2023?")
    assert [(p.kind, p.phrase) for p in stated] == [
        ("place", "Beijing"),
        ("month", "October"),
        ("year", "2023"),
    ]


def test_a_city_standing_for_its_government_or_a_modal_may_is_no_premise() -> None:
    assert premises("Pourquoi Pékin réclame-t-il des règles mondiales ?") == []
    assert premises("What may the talks in may lead to?") == []
