from __future__ import annotations

import json
from pathlib import Path

from rag.answer import Assistant
from rag.verify import (
    Source,
    check_claim,
    check_draft,
    names,
    numbers,
    parse_citations,
)

PAIRS = Path(__file__).resolve().parent.parent / "eval" / "support_pairs.jsonl"


def test_parse_citations_drops_indices_that_point_nowhere() -> None:
    text, refs, dropped = parse_citations("Wu Zhaohui ira au sommet [2][9] et [1, 2].", 3)
    assert text == "Wu Zhaohui ira au sommet et."
    assert refs == (2, 1) and dropped == 1


def test_numbers_and_names() -> None:
    assert numbers("28 pays, 40 %, 2023 et 3,50") == {"28", "40", "2023", "3.5"}
    assert names("The talks were held in Geneva by Seth Center.") == {"geneva", "seth", "center"}
    assert "according" not in names("According to Reuters, China agreed.")


def test_a_sentence_opener_the_question_names_is_a_name(assistant: Assistant) -> None:
    """Dev2 d22: "Baidu has released 130 large language models" passed against the
    sentence on China's 130 models (which names Alibaba and Tencent): "Baidu", the
    claim's first word, was taken for a mere capitalised opener."""
    assert names("Baidu has released 130 models.") == set()
    assert names("Baidu has released 130 models.", {"baidu"}) == {"baidu"}
    passage = (
        "La Chine compte désormais au moins 130 grands modèles linguistiques lancés par des "
        "sociétés dont Alibaba et Tencent."
    )
    support, _ = check_claim(
        "Baidu has released 130 large language models.",
        [passage],
        assistant.retriever().embedder,
        0.8,
        assistant.settings.cross_support_threshold,
        question="How many large language models has Baidu released?",
    )
    assert not support.supported and "baidu" in support.reason


def test_a_bare_answer_copied_with_another_article_is_copied(assistant: Assistant) -> None:
    """Dev2 d67: "La Shaikh Group [2]." was unverified: "la" is not in "le Shaikh Group"."""
    passage = "Les pourparlers ont été négociés par le Shaikh Group, une organisation de médiation."
    embedder = assistant.retriever().embedder
    support, _ = check_claim("La Shaikh Group", [passage], embedder, 0.95)
    assert support.supported, support.reason
    other, _ = check_claim("La Shaikh Foundation", [passage], embedder, 0.95)
    assert not other.supported


def test_a_bare_answer_is_judged_with_its_question(assistant: Assistant) -> None:
    """Dev2 d08: "Beijing [2]." was shown for where Li Qiang spoke (Shanghai), copied from
    an extract on another event held in Beijing: the judge had read "Beijing" alone."""
    passage = "Le 3e Forum de la Ceinture et la Route s'est tenu à Beijing le 18 octobre."
    question = "Where did Li Qiang give his speech?"
    read: list[str] = []

    def judge(extract: str, claim: str) -> float:
        read.append(claim)
        return 0.9

    embedder = assistant.retriever().embedder
    check_draft("Beijing [1].", [passage], embedder, "en", 0.8, 0.7, judge, question=question)
    check_draft(
        "The forum was held in Beijing on 18 October [1].",
        [passage],
        embedder,
        "en",
        0.8,
        0.7,
        judge,
        question=question,
    )
    assert read == [f"{question} → Beijing.", "The forum was held in Beijing on 18 October."]


def test_a_sentence_the_cited_extract_does_not_state_is_read_against_the_others(
    assistant: Assistant,
) -> None:
    """Test q122: the model cited the extract that sends Wu to the summit for "Wu Zhaohui
    gave a speech…", which the next extract states. An editor looks there before
    striking the sentence; a sentence no extract states is still struck."""
    sent = "La Chine enverra Wu Zhaohui, vice-ministre des Sciences, au sommet britannique."
    speech = (
        "Wu Zhaohui, vice-ministre chinois des Sciences, a prononcé un discours lors de la "
        "séance plénière d'ouverture du sommet britannique."
    )
    read: list[str] = []

    def judge(extract: str, claim: str) -> float:
        read.append(extract)
        return 0.9 if "discours" in extract and "speech" in claim else 0.1

    s, embedder = assistant.settings, assistant.retriever().embedder
    bars = (s.support_threshold, s.cross_support_threshold, judge, s.claim_threshold)
    draft = "Wu Zhaohui gave a speech at the British summit's opening plenary session [1]."
    (checked,), _ = check_draft(draft, [sent, speech], embedder, "en", *bars)
    assert checked.support.supported and checked.refs == (2,) and checked.recited
    assert read == [sent, speech]
    unstated = "Wu Zhaohui gave an interview at the British summit [1]."
    (struck,), _ = check_draft(unstated, [sent, speech], embedder, "en", *bars)
    assert not struck.support.supported and "judge" in struck.support.reason


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


def test_a_count_the_claim_lists_itself(assistant: Assistant) -> None:
    """Dev4 g066: the article lists the firms and gives no figure; a claim may count
    the list it gives, not more or fewer."""
    embedder = assistant.retriever().embedder
    cross = assistant.settings.cross_support_threshold
    passage = (
        "Les entreprises OpenAI, Anthropic et Cohere, qui représentent les États-Unis, ont "
        "participé aux discussions confidentielles à Genève."
    )
    three, _ = check_claim(
        "Three American firms took part in the talks in Geneva: OpenAI, Anthropic and Cohere.",
        [passage],
        embedder,
        0.8,
        cross,
    )
    assert three.supported, three.reason
    two, _ = check_claim(
        "Two American firms took part in the talks in Geneva: OpenAI, Anthropic and Cohere.",
        [passage],
        embedder,
        0.8,
        cross,
    )
    assert not two.supported and "2" in two.reason


def test_an_acronym_after_the_words_it_abbreviates_is_no_name(assistant: Assistant) -> None:
    """Dev4 g083: "large language models (LLMs)" renders "grands modèles linguistiques";
    an acronym of other words is still a name to find."""
    embedder = assistant.retriever().embedder
    cross = assistant.settings.cross_support_threshold
    passage = (
        "La Chine compte désormais au moins 130 grands modèles linguistiques, juste derrière "
        "les 50 % des États-Unis, selon la société de courtage CLSA."
    )
    claim = "According to CLSA, the United States have 50% of the large language models (LLMs)."
    spelled, _ = check_claim(claim, [passage], embedder, 0.8, cross)
    assert spelled.supported, spelled.reason
    other, _ = check_claim(claim.replace("(LLMs)", "(GPUs)"), [passage], embedder, 0.8, cross)
    assert not other.supported and "gpus" in other.reason


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


# ---------------------------------------------------------------- what an editor accepts

WU_ARTICLE = "000_975379ed672e047b.txt"
WU_NAMED = "Wu a été nommé à son poste au ministère des Sciences en décembre 2022."


def _source(assistant: Assistant, doc_id: str, metadata: str = "") -> Source:
    return Source(metadata, assistant.store.documents[doc_id].text)


def test_a_full_name_from_the_same_article(assistant: Assistant) -> None:
    embedder = assistant.retriever().embedder
    claim = "Wu Zhaohui a été nommé à son poste au ministère des Sciences en décembre 2022."
    alone, _ = check_claim(claim, [WU_NAMED], embedder, 0.8)
    assert not alone.supported and "zhaohui" in alone.reason
    with_article, _ = check_claim(
        claim, [WU_NAMED], embedder, 0.8, None, [_source(assistant, WU_ARTICLE)]
    )
    assert with_article.supported, with_article.reason
    # a first name the article never gives stays an invention
    invented = claim.replace("Wu Zhaohui", "Wu Jianguo")
    wrong, _ = check_claim(
        invented, [WU_NAMED], embedder, 0.8, None, [_source(assistant, WU_ARTICLE)]
    )
    assert not wrong.supported and "jianguo" in wrong.reason


def test_the_articles_own_date_is_citable(assistant: Assistant) -> None:
    embedder = assistant.retriever().embedder
    article = "001_00b606b2294fa235.txt"
    passage = (
        "Il a averti que les risques liés au développement rapide des technologies liées à "
        "l’IA nécessiteraient également une concertation au niveau international."
    )
    claim = (
        "En juillet 2024, il a averti que les risques de l'IA nécessiteraient une "
        "concertation internationale."
    )
    bare, _ = check_claim(claim, [passage], embedder, 0.8)
    assert not bare.supported and "2024" in bare.reason
    metadata = "juillet 2024. July 2024"
    dated, _ = check_claim(
        claim, [passage], embedder, 0.8, None, [_source(assistant, article, metadata)]
    )
    assert dated.supported, dated.reason


def test_one_sentence_two_facts_from_two_extracts(assistant: Assistant) -> None:
    embedder = assistant.retriever().embedder
    passages = [
        "Les pourparlers sont prévus mardi à Genève.",
        "La Chine compte désormais au moins 130 grands modèles linguistiques lancés par des "
        "sociétés dont Alibaba et Tencent.",
    ]
    claim = (
        "Les pourparlers sont prévus mardi à Genève, et la Chine compte au moins 130 grands "
        "modèles linguistiques."
    )
    both, _ = check_claim(claim, passages, embedder, 0.91)  # the whole: 0.90
    assert both.supported, both.reason
    one, _ = check_claim(claim, passages[:1], embedder, 0.91)
    assert not one.supported  # 130 is in the other extract only


def test_a_denied_premise_may_repeat_the_question(assistant: Assistant) -> None:
    embedder = assistant.retriever().embedder
    passage = "Ces discussions, qui ont eu lieu à Genève, en Suisse, constituent un rare exemple."
    question = "Pourquoi les discussions ont-elles eu lieu à Paris ?"
    denied = "Les discussions n'ont pas eu lieu à Paris mais à Genève, en Suisse."
    ok, _ = check_claim(denied, [passage], embedder, 0.8, None, None, question)
    assert ok.supported, ok.reason
    # the same name asserted, not denied, is still not in the source
    asserted = "Les discussions ont eu lieu à Paris et à Genève, en Suisse."
    bad, _ = check_claim(asserted, [passage], embedder, 0.8, None, None, question)
    assert not bad.supported and "paris" in bad.reason


def test_a_superlative_or_next_needs_a_source_that_says_it(assistant: Assistant) -> None:
    """The model's "the most" and "the next" are claims of their own (dev q81, q77)."""
    embedder = assistant.retriever().embedder
    passage = (
        "La Chine compte désormais au moins 130 grands modèles linguistiques lancés par des "
        "sociétés dont Alibaba et Tencent."
    )
    most = "Alibaba et Tencent ont lancé le plus grand nombre de grands modèles linguistiques."
    plain = "Des sociétés dont Alibaba et Tencent ont lancé des grands modèles linguistiques."
    over, _ = check_claim(most, [passage], embedder, 0.8)
    assert not over.supported and "most" in over.reason
    assert check_claim(plain, [passage], embedder, 0.8)[0].supported
    summit = "La Grande-Bretagne réunira des experts les 1er et 2 novembre pour un sommet."
    nxt, _ = check_claim("Le prochain sommet sera en Grande-Bretagne.", [summit], embedder, 0.8)
    assert not nxt.supported and "next" in nxt.reason


def test_a_role_needs_a_source_that_says_it(assistant: Assistant) -> None:
    """Dev q65: "chaired by James Cleverly" from a passage where he only visits Beijing;
    a role the question itself states may be repeated."""
    embedder = assistant.retriever().embedder
    passage = (
        "La Chine a accepté l'invitation de la Grande-Bretagne à participer au sommet, après "
        "la visite à Pékin du plus haut diplomate britannique James Cleverly en août."
    )
    chaired = "The summit was chaired by James Cleverly."
    support, _ = check_claim(chaired, [passage], embedder, 0.8)
    assert not support.supported and "chaired" in support.reason
    question = "Who visited Beijing before the summit organised by Britain?"
    echo = "James Cleverly visited Beijing before the summit organised by Britain."
    repeated, _ = check_claim(echo, [passage], embedder, 0.8, None, None, question)
    assert "hosted" not in repeated.reason
    # dev4 g053: a role given to no one claims the date, not who organised
    dates = "La Grande-Bretagne réunira des experts les 1er et 2 novembre pour le sommet."
    held = "Le sommet a été organisé les 1er et 2 novembre."
    support, _ = check_claim(held, [dates], embedder, 0.8)
    assert "hosted" not in support.reason
    by_whom, _ = check_claim("Le sommet a été organisé par la Chine.", [dates], embedder, 0.8)
    assert not by_whom.supported


def test_a_place_the_question_gives_may_be_repeated_from_the_article(assistant: Assistant) -> None:
    """Test q115: the extract names the delegation's head; "Genève" is two sentences away
    in the same article. A place the article never names, or a person the question
    brings, is still an invention."""
    embedder = assistant.retriever().embedder
    question = "Which newspaper reported who would lead the US delegation to the Geneva talks?"
    extract = (
        "Selon le Washington Post, la délégation américaine sera dirigée par Seth Center, "
        "envoyé adjoint du Département d'État pour les technologies critiques et émergentes."
    )
    article = [_source(assistant, "002_320ec093cdc6cb77.txt")]
    claim = (
        "The Washington Post reported that Seth Center would lead the US delegation "
        "to the Geneva talks."
    )
    alone, _ = check_claim(claim, [extract], embedder, 0.8, 0.8, [Source()], question)
    assert not alone.supported and "geneva" in alone.reason
    found, _ = check_claim(claim, [extract], embedder, 0.8, 0.8, article, question)
    assert "geneva" not in found.reason
    paris = question.replace("Geneva", "Paris")
    moved, _ = check_claim(
        claim.replace("Geneva", "Paris"), [extract], embedder, 0.8, 0.8, article, paris
    )
    assert not moved.supported and "paris" in moved.reason
    person = "Did Liu Wei say who would lead the US delegation?"  # Liu Wei is in the article
    named, _ = check_claim(
        "Liu Wei said that Seth Center would lead the US delegation.",
        [extract],
        embedder,
        0.8,
        0.8,
        article,
        person,
    )
    assert not named.supported and "liu" in named.reason


def test_names_the_source_ties_to_another_country(assistant: Assistant) -> None:
    """Dev q92: the model listed OpenAI, Anthropic and Cohere as Chinese companies; the
    extract says they represent the United States."""
    embedder = assistant.retriever().embedder
    question = "Quelles entreprises technologiques chinoises sont citées dans les articles ?"
    extract = (
        "Les entreprises OpenAI, Anthropic et Cohere, qui représentent les États-Unis, ont "
        "participé aux côtés de délégués chinois de l'université de Tsinghua."
    )
    claim = "Les entreprises chinoises citées sont OpenAI, Anthropic et Cohere."
    wrong, _ = check_claim(claim, [extract], embedder, 0.8, 0.8, None, question)
    assert not wrong.supported and "another country" in wrong.reason
    plain = "Quelles entreprises ont participé aux discussions ?"
    right, _ = check_claim(
        "Les entreprises OpenAI, Anthropic et Cohere ont participé.",
        [extract],
        embedder,
        0.8,
        0.8,
        None,
        plain,
    )
    assert "another country" not in right.reason


CLSA = (
    "La Chine compte désormais au moins 130 grands modèles linguistiques lancés par des "
    "sociétés dont Alibaba et Tencent, représentant 40 % du total mondial et juste "
    "derrière les 50 % des États-Unis, selon la société de courtage CLSA."
)


def test_a_figure_the_source_gives_to_another_country(assistant: Assistant) -> None:
    """Test q107 and q12: the model gave the United States China's 40 %; the extract
    gives them 50 %, and China 40 %."""
    embedder = assistant.retriever().embedder
    extract = CLSA
    claims = {
        "The United States accounts for 40% of the world's large language models.": False,
        "Les États-Unis représentent 40 % du total mondial des grands modèles.": False,
        "The United States accounts for 50% of the world's large language models.": True,
        "La Chine représente 40 % du total mondial des grands modèles linguistiques.": True,
    }
    for claim, right in claims.items():
        support, _ = check_claim(claim, [extract], embedder, 0.7, 0.7)
        assert ("another" not in support.reason) == right, (claim, support)
    # one country in the source: nothing says the figure belongs to someone else
    alone = "La Chine compte 130 modèles, contre 100 l'an dernier."
    support, _ = check_claim("China had 100 models last year.", [alone], embedder, 0.5, 0.5)
    assert "another" not in support.reason


def test_two_countries_ranked_the_other_way(assistant: Assistant) -> None:
    """dev4 g073 and dev3 e065: "China leads…, ahead of the US" and "The US is just behind
    China" were shown as verified answers; the extract puts China "juste derrière" the
    United States."""
    embedder = assistant.retriever().embedder
    extract = CLSA
    claims = {
        "Yes, China leads the world in large language models with 40%, ahead of the US.": False,
        "The US is just behind China in terms of large language models worldwide.": False,
        "China has 40% of the world's large language models, just behind the United States.": (
            True
        ),
        "La Chine est juste derrière les États-Unis, avec 40 % du total mondial.": True,
        "The US is ahead of China, with 50% of the world's large language models.": True,
    }
    for claim, right in claims.items():
        support, _ = check_claim(claim, [extract], embedder, 0.7, 0.7)
        assert ("other way" not in support.reason) == right, (claim, support)


# the first sentence of the Reuters story (000): one event, one person, one country
WU_SENT = (
    "La Chine enverra Wu Zhaohui, vice-ministre des Sciences et de la Technologie, à un "
    "sommet mondial sur l'intelligence artificielle cette semaine en Grande-Bretagne."
)


def test_a_claim_about_another_event(assistant: Assistant) -> None:
    """Test q63: "Le sommet … se tient à Genève" cited to the sentence on the Geneva talks
    was shown as a verified answer; a sentence that names the summit supports it."""
    embedder = assistant.retriever().embedder
    talks = (
        "Ces discussions, qui ont eu lieu à Genève, en Suisse, constituent un rare exemple de "
        "coopération entre les deux puissances mondiales."
    )
    claim = "Le sommet sur la sécurité se tient à Genève, en Suisse."
    support, _ = check_claim(claim, [talks], embedder, 0.7, 0.7)
    assert not support.supported and "another event: talks" in support.reason
    summit = (
        "Wu Zhaohui a prononcé une allocution mercredi lors de la séance plénière qui a ouvert "
        "le sommet. La délégation chinoise a ensuite participé à des discussions sur la "
        "sécurité de l'IA."
    )
    claim = "At the summit, the Chinese delegation took part in discussions on AI safety."
    support, _ = check_claim(claim, [summit], embedder, 0.7, 0.7)
    assert "another event" not in support.reason
    # dev3 e077: the talks "declared" what the story of the summit says
    claim = (
        "Les pourparlers officiels ont déclaré que Wu Zhaohui sera envoyé à un sommet mondial "
        "sur l'intelligence artificielle cette semaine en Grande-Bretagne."
    )
    support, _ = check_claim(claim, [WU_SENT], embedder, 0.7, 0.7)
    assert not support.supported and "another event: summit" in support.reason


def test_one_country_under_two_names(assistant: Assistant) -> None:
    """Test q45: the answer said "au Royaume-Uni" where its extract says "en
    Grande-Bretagne", and was refused as naming a place not in the source."""
    embedder = assistant.retriever().embedder
    claim = "Wu Zhaohui représente la Chine au sommet sur l'IA au Royaume-Uni."
    support, _ = check_claim(claim, [WU_SENT], embedder, 0.7, 0.7)
    assert "name not in source" not in support.reason
    moved, _ = check_claim(claim.replace("Royaume-Uni", "Japon"), [WU_SENT], embedder, 0.7, 0.7)
    assert not moved.supported and "japon" in moved.reason


def test_a_number_of_days_from_a_range_of_dates(assistant: Assistant) -> None:
    """Dev4 g011: "two days" is what "les 1er et 2 novembre" covers; three is not."""
    embedder = assistant.retriever().embedder
    extract = "La Grande-Bretagne réunira des experts les 1er et 2 novembre pour en discuter."
    two, _ = check_claim("Le sommet durera deux jours.", [extract], embedder, 0.5, 0.5)
    assert "number not in source" not in two.reason
    three, _ = check_claim("Le sommet durera trois jours.", [extract], embedder, 0.5, 0.5)
    assert not three.supported and "number not in source" in three.reason
