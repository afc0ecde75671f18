"""The instant answer: the phrase that answers, found by the kind of fact asked for,
and the evidence given to the model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rag.answer import Assistant
from rag.embed import MemoEmbedder
from rag.extractive import (
    ScoredSentence,
    answer_phrase,
    article_leads,
    evidence_passages,
    following_sentences,
    phrase_in_english,
    refers_back,
    score_sentences,
)
from rag.slots import places_and_dates_in_english
from rag.types import Chunk, Document, Hit
from rag.verify import split_answer

DATELINE = (
    "BEIJING/SHANGHAI (Reuters) – La Chine enverra Wu Zhaohui, vice-ministre des Sciences, "
    "à un sommet mondial."
)


@pytest.mark.parametrize(
    ("question", "sentence", "phrase"),
    [
        ("Qui la Chine enverra-t-elle au sommet ?", DATELINE, "Wu Zhaohui"),
        (
            "Qui dirigera la délégation américaine ?",
            "Selon le Washington Post, la délégation sera dirigée par Seth Center, envoyé.",
            "Seth Center",
        ),
        (
            "Quand la Grande-Bretagne réunit-elle le sommet ?",
            "La Grande-Bretagne réunira des experts les 1er et 2 novembre pour discuter.",
            "les 1er et 2 novembre",
        ),
        (
            "Combien de grands modèles la Chine compte-t-elle ?",
            "La Chine compte désormais au moins 130 grands modèles linguistiques lancés.",
            "au moins 130 grands modèles linguistiques",
        ),
        (
            "Where did the US and China hold their AI talks?",
            "Ces discussions, qui ont eu lieu à Genève, en Suisse, sont rares.",
            "Genève",
        ),
        (
            "When did the meetings take place?",
            "Ces rassemblements, qui ont eu lieu en juillet et en octobre 2023, sont restés.",
            "en juillet et en octobre 2023",
        ),
        (
            "On which dates did Britain bring the experts together?",
            "La Grande-Bretagne réunira des experts les 1er et 2 novembre pour discuter.",
            "les 1er et 2 novembre",
        ),
        (
            "In which month and year was he appointed?",
            "Il a été nommé à ce poste en décembre 2022, selon le ministère.",
            "en décembre 2022",
        ),
        (
            "How many years had passed since a minister last visited China?",
            "C'était le premier voyage d'un ministre britannique en cinq ans.",
            "cinq ans",
        ),
        (  # a figure before a count in words
            "Combien de modèles la Chine compte-t-elle ?",
            "Selon deux sources, la Chine compte 130 grands modèles.",
            "130 grands modèles",
        ),
        (  # dev2 d67: the newspaper that reports is not the mediator asked for
            "Quelle organisation a joué les intermédiaires pour ces discussions ?",
            "Le Financial Times indique que les pourparlers ont été négociés par le Shaikh "
            "Group, une organisation de médiation privée.",
            "Shaikh Group",
        ),
        (  # ... unless the question asks who said it
            "Quelle organisation a indiqué que les pourparlers avaient été négociés ?",
            "Le Financial Times indique que les pourparlers ont été négociés par le Shaikh "
            "Group, une organisation de médiation privée.",
            "Financial Times",
        ),
    ],
)
def test_the_phrase_that_answers(question: str, sentence: str, phrase: str) -> None:
    span = answer_phrase(question, sentence)
    assert span is not None and sentence[span[0] : span[1]] == phrase


@pytest.mark.parametrize(
    ("question", "phrase", "english"),
    [
        ("When was the forum held?", "le 18 octobre", "18 October"),
        ("When did the meetings take place?", "les 1er et 2 novembre", "1 and 2 November"),
        ("When did they meet?", "en juillet et en octobre 2023", "July and October 2023"),
        ("How many countries signed?", "environ 100 pays", "about 100 countries"),
        ("How many companies took part?", "au moins 20 entreprises", "at least 20 companies"),
        ("How many years had passed?", "cinq ans", "five years"),
        ("How many models does China have?", "130 grands modèles", "130 grands modèles"),
        ("Who spoke at the summit?", "Mars", "Mars"),  # a name is never translated
        # a quoted place stays as written: a follow-up read with "Genève" finds its
        # French articles better than with "Geneva" (the page's conversation test)
        ("Where did the US and China hold their AI talks?", "Genève", "Genève"),
    ],
)
def test_a_date_or_quantity_is_given_in_english(question: str, phrase: str, english: str) -> None:
    assert phrase_in_english(question, phrase) == english


def test_no_phrase_when_the_question_asks_for_no_kind_of_fact() -> None:
    assert answer_phrase("Why did Britain invite China?", DATELINE) is None
    # a who-question whose sentence names nobody new gives the sentence, not a fragment
    assert answer_phrase("Qui représente la Chine ?", "La Chine a accepté l'invitation.") is None
    # "les deux" counts nothing: a count in words needs what it counts
    assert answer_phrase("Combien de pays ont signé ?", "Les deux ont signé.") is None


def test_citations_after_the_full_stop_stay_with_their_sentence() -> None:
    assert split_answer("Ils ont lieu mardi. [1] Ils sont à Genève [2]. Fin") == [
        "Ils ont lieu mardi. [1]",
        "Ils sont à Genève [2].",
        "Fin",
    ]


def test_evidence_is_exact_merged_and_within_budget(assistant) -> None:
    question = "Combien de grands modèles linguistiques la Chine compte-t-elle ?"
    retriever = assistant.retriever()
    scored = score_sentences(question, retriever.search(question, 5), retriever.embedder)
    docs = {d: doc.text for d, doc in assistant.store.documents.items()}
    evidence = evidence_passages(scored, docs, 900, 6)
    assert sum(len(e.text) for e in evidence) <= 900
    assert "au moins 130 grands modèles" in evidence[0].text  # the best comes first
    for e in evidence:
        assert docs[e.hit.chunk.doc_id][e.start : e.end] == e.text
    spans = sorted((e.hit.chunk.doc_id, e.start, e.end) for e in evidence)
    for (d1, _, end1), (d2, start2, _) in itertools.pairwise(spans):
        assert d1 != d2 or docs[d1][end1:start2].strip()  # adjacent runs were merged


def test_a_question_embeds_only_itself(sample_settings) -> None:
    """Sentence vectors come from the index: answering embeds the question, once."""
    assistant = Assistant(sample_settings.replace(mode="extractive"))
    retriever = assistant.retriever()
    inner = retriever.embedder.inner
    calls: list[tuple[str, int]] = []

    class Counting:
        name, dim = inner.name, inner.dim

        def embed(self, texts: list[str], kind: str) -> np.ndarray:
            calls.append((kind, len(texts)))
            return inner.embed(texts, kind)

    retriever.embedder = MemoEmbedder(Counting())
    answer = assistant.ask("Combien de grands modèles linguistiques la Chine compte-t-elle ?")
    assert "130" in answer.text
    assert calls == [("query", 1)]


def test_an_english_sentence_names_listed_places_days_and_months_the_english_way() -> None:
    english = places_and_dates_in_english
    assert (
        english("The talks were held in Genève, in Suisse [1].")
        == "The talks were held in Geneva, in Switzerland [1]."
    )
    assert english("Royaume-Uni and Grande-Bretagne") == "United Kingdom and Britain"
    # only whole names: a compound or a longer word keeps its letters
    assert english("Chine-Inde relations, Genèvegrad") == "Chine-Inde relations, Genèvegrad"
    # the model left "mardi" in an English reply (the page's three-turn test)
    assert english("Scheduled for mardi [2].") == "Scheduled for Tuesday [2]."
    assert english("on 1 and 2 novembre") == "on 1 and 2 November"
    assert english("Mars and Tuesday-night") == "Mars and Tuesday-night"  # a name, a compound


def test_two_people_each_with_a_role_are_one_answer() -> None:
    """Dev2 d51: who heads the US delegation was shown as "Seth Center" alone."""
    sentence = (
        "Selon le Washington Post, la délégation américaine sera dirigée par Seth Center, "
        "envoyé adjoint du Département d'État pour les technologies critiques et émergentes, "
        "et Tarun Chhabra, directeur principal au Conseil de sécurité nationale."
    )
    span = answer_phrase("Who is heading the American delegation?", sentence)
    assert span is not None
    phrase = sentence[span[0] : span[1]]
    assert phrase.startswith("Seth Center") and phrase.endswith("Tarun Chhabra")
    # a name after a full stop is another sentence's
    two = "Seth Center dirigera la délégation. Il a rencontré Li Qiang et Tarun Chhabra."
    span = answer_phrase("Qui dirigera la délégation ?", two)
    assert span is not None and two[span[0] : span[1]] == "Seth Center"


def test_a_sentence_that_refers_back_is_read_with_the_one_before(assistant) -> None:
    """Dev2 d70: "Ces rassemblements, qui ont eu lieu en juillet et en octobre 2023" says
    when the secret meetings were held, but names them only in the sentence before."""
    text = (
        "Les entreprises américaines et les experts chinois ont mené des discussions "
        "confidentielles sur la sécurité de l'IA. Ces rassemblements, qui ont eu lieu en "
        "juillet et en octobre 2023, n'ont pas été rendus publics."
    )
    hit = Hit(Chunk("c", "d", 0, len(text), text), 1.0, 0)
    question = "Quand les discussions confidentielles sur la sécurité de l'IA ont-elles eu lieu ?"
    embedder = assistant.retriever().embedder
    scored = {x.text[:5]: x for x in score_sentences(question, [hit], embedder)}
    later = text[117:]  # the same sentence without the one before
    alone = score_sentences(
        question, [Hit(Chunk("c", "d", 117, len(text), later), 1.0, 0)], embedder
    )
    assert scored["Ces r"].context.startswith("Les entreprises") and scored["Les e"].context == ""
    assert scored["Ces r"].score > alone[0].score  # the meetings' words count for it


def test_the_sentence_past_a_passage_is_read_after_its_last_sentence() -> None:
    """Dev2 d70: the answer ("Ces rassemblements, qui ont eu lieu en juillet…") sat just
    past the retrieved passage; it is read too, with the passage's last sentence before
    it, as an exact span of the article."""
    text = (
        "Titre. Les entreprises américaines ont discuté avec des experts chinois. "
        "Ces rassemblements ont eu lieu en juillet. Une autre phrase suit ici."
    )
    doc = Document("d", "a.txt", "Titre", None, None, None, text, "0" * 64)
    end = text.index(" Ces")
    hit = Hit(Chunk("c", "d", 0, end, text[:end]), 0.9, 0)
    (following,) = following_sentences([hit], {"d": doc})
    chunk = following.chunk
    assert chunk.text == text[chunk.start : chunk.end]
    assert chunk.text.startswith("Les entreprises") and chunk.text.endswith("en juillet.")
    assert (following.score, following.rank) == (hit.score, hit.rank)
    last = Hit(Chunk("e", "d", 0, len(text), text), 0.9, 0)
    assert following_sentences([last], {"d": doc}) == []  # nothing past the article's end


def test_an_article_lead_is_read_when_only_later_passages_were_retrieved(assistant) -> None:
    """Dev3 e074: "Qui Pékin a-t-il choisi pour représenter la Chine…" retrieved three
    later passages of the Reuters story, not its lead ("La Chine enverra Wu Zhaohui…")."""
    docs = assistant.store.documents
    doc = next(d for d in docs.values() if d.text.startswith("Par Laurie Chen"))
    later = [c for c in assistant.store.chunks if c.doc_id == doc.id and c.start > 0][:2]
    hits = [Hit(c, 0.9, n) for n, c in enumerate(later, 1)]
    (lead,) = article_leads(hits, docs)
    assert lead.chunk.start == 0 and "La Chine enverra Wu Zhaohui" in lead.chunk.text
    assert lead.chunk.text == doc.text[: lead.chunk.end] and lead.rank == 1
    first = next(c for c in assistant.store.chunks if c.doc_id == doc.id and c.start == 0)
    assert article_leads([Hit(first, 0.9, 1), *hits], docs) == []  # the lead is there


@pytest.mark.parametrize(
    ("sentence", "back"),
    [
        ("Ces rassemblements ont eu lieu en juillet.", True),
        ("« Nous devrions coopérer », a-t-il déclaré à Shanghai à l'ouverture.", True),
        ('"We should cooperate," he said in Shanghai.', True),
        ("Li Qiang a déclaré à Shanghai que les pays devaient coopérer.", False),
        ("« Nous devrions coopérer », a déclaré Li Qiang à Shanghai.", False),
    ],
)
def test_a_sentence_whose_subject_is_a_pronoun_refers_back(sentence: str, back: bool) -> None:
    """Dev2 d08: "Where did Li Qiang give the speech…?" is answered by "« … », a-t-il
    déclaré à Shanghai", whose speaker is named only in the sentence before."""
    assert refers_back(sentence) is back


def test_a_sentence_that_refers_back_reaches_the_model_with_the_one_before() -> None:
    """Dev q33: the model wrote "the meetings took place in July and October 2023 [2]"
    from "Ces rassemblements, qui ont eu lieu en juillet et en octobre 2023…" given
    alone (the budget was spent), and the claim judge could not tell which meetings."""
    before = "Les entreprises américaines ont rencontré des experts chinois."
    text = f"{before} Ces rassemblements ont eu lieu en juillet et en octobre 2023."
    start = len(before) + 1
    hit = Hit(Chunk("c", "d", 0, len(text), text), 1.0, 0)
    sentence = ScoredSentence(hit, start, len(text), text[start:], 0.9, 0.9, 0.9, before)
    (evidence,) = evidence_passages([sentence], {"d": text}, budget_chars=20, max_sentences=3)
    assert evidence.text == text  # over the budget, but never without its antecedent
    alone = ScoredSentence(hit, start, len(text), text[start:], 0.9, 0.9, 0.9)
    (evidence,) = evidence_passages([alone], {"d": text}, budget_chars=20, max_sentences=3)
    assert evidence.text == text[start:]  # a sentence that stands alone: the budget holds
