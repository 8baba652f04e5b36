"""Citation repair (qa.grounding.check_sentences) on hand-made evidence; pure, no model."""

from __future__ import annotations

from qa.citations import AnswerSentence
from qa.evidence import Evidence
from qa.grounding import check_sentences
from qa.question import analyze

FOUND = "Chuck Berry was found dead on Saturday at a residence outside St. Louis, police in St. Charles County said."
STATE = "The St. Charles County Police Department in Missouri said the rock and roll icon Chuck Berry was found dead."
OTHER_TITLE = "Rutte's party ahead"
WILDERS = "Geert Wilders' Freedom Party won 20 seats, the broadcaster said."
RUTTE = "Mark Rutte's VVD party came out on top, the broadcaster said."


def item(n: int, text: str, doc_id: int, title: str = "Chuck Berry dies at 90") -> Evidence:
    return Evidence(
        passage_id=doc_id, doc_id=doc_id, ordinal=0, title=title, source=f"doc{doc_id}.html", location="para. 1",
        start=0, end=len(text), text=text, passage_rank=0, date="2017-03-18", previous="", n=n,
    )


def similar(_text: str, _cited: list[int]) -> float:
    return 0.8


def test_a_detail_from_another_article_is_cited_beside_it():
    evidence = [item(1, FOUND, 1), item(2, STATE, 2)]
    sentence = "Chuck Berry was found dead at a residence outside St. Louis, Missouri, police in St. Charles County said."
    checked = check_sentences([AnswerSentence(sentence, [1])], evidence, similar, analyze("Where was Chuck Berry found dead?"))
    assert checked[0].supported
    assert checked[0].citations == [1, 2]
    assert checked[0].repaired_from == [1]
    # without repair, the name the cited sentence lacks fails it
    alone = check_sentences([AnswerSentence(sentence, [1])], evidence, similar, repair=False)
    assert not alone.pop().supported


def test_a_claim_about_someone_its_citation_does_not_name_is_not_patched_from_another():
    """The number is Wilders' party's; another sentence naming Rutte does not make it Rutte's."""
    evidence = [item(1, WILDERS, 1, OTHER_TITLE), item(2, RUTTE, 2, OTHER_TITLE)]
    sentence = "Mark Rutte's VVD party won 20 seats, the broadcaster said."
    checked = check_sentences([AnswerSentence(sentence, [1])], evidence, similar, analyze("How many seats did the VVD win?"))
    assert not checked[0].supported
    assert checked[0].citations == [1]


VESNINA = "Russia's Elena Vesnina has defeated fellow Russian Svetlana Kuznetsova 6:7 (6:8), 7:5, 6:4 to win the WTA tournament in Indian Wells."
FEDERER = "Federer beat his Swiss compatriot to become the oldest winner of the BNP Paribas Open title in California."
CHARGED = "The US Justice Department announced that two FSB officers and two hackers who assisted them have been charged."
FOUR = "Four people will be charged: 3 in Russia and 1 in Canada, according to the sources."


def test_a_detail_is_taken_only_from_an_item_about_the_same_subject():
    """Seen on news tune (session 11): the place of Federer's win does not become Vesnina's, and a
    count from a sentence that does not name the Justice Department is not added to its claim."""
    tennis = [item(1, VESNINA, 1, "Vesnina wins"), item(2, FEDERER, 2, "Federer wins")]
    claim = "Russia's Elena Vesnina has defeated fellow Russian Svetlana Kuznetsova to win the BNP Paribas Open title in California."
    checked = check_sentences([AnswerSentence(claim, [1])], tennis, similar, analyze("Who won at Indian Wells?"))
    assert not checked[0].supported and checked[0].citations == [1]
    yahoo = [item(1, CHARGED, 1, "Yahoo hack charges"), item(2, FOUR, 2, "Yahoo hack charges")]
    junk = "4 The US Justice Department announced that two FSB officers and two hackers who assisted them have been charged."
    checked = check_sentences([AnswerSentence(junk, [1])], yahoo, similar, analyze("How many people were charged over the Yahoo hack?"))
    assert not checked[0].supported and checked[0].citations == [1]


def test_an_abbreviation_is_not_the_subject_a_detail_is_about():
    evidence = [item(1, FOUND, 1), item(2, STATE, 2)]
    claim = "The St. Charles County Police Department in Missouri said Chuck Berry was found dead outside St. Louis."
    checked = check_sentences([AnswerSentence(claim, [1])], evidence, similar, analyze("Where was Chuck Berry found dead?"))
    # "St" is in both; the department, whom the sentence names first, is not in [1]
    assert not checked[0].supported and checked[0].citations == [1]

