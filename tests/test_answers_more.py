"""Answers beyond one quote, with the fake embedder and a scripted generator: lists from several
articles, disagreeing sources, citation repair, and what the terminal shows."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.cli import main
from tests.scripted import SCRIPTS

ARTICLES = {
    "a.txt": "Geneva talks\nRussia and Ukraine agreed a prisoner exchange of 175 soldiers on each side.\n",
    "b.txt": "Caucasus deal\nArmenia and Azerbaijan agreed a prisoner exchange of 15 soldiers in Sochi.\n",
    "c.txt": "Harbour fire\nAt least 12 people died in the harbour fire, the fire brigade said on Monday.\n",
    "d.txt": "Harbour fire toll\nThe number of people who died in the harbour fire rose to 17, officials said.\n",
}


@pytest.fixture
def collection(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text)
    assert CliRunner().invoke(main, ["index", str(folder), "-c", "news"]).exit_code == 0
    return folder


def ask(question: str, script: str, *extra: str) -> dict:
    SCRIPTS["current"] = script
    result = CliRunner().invoke(main, ["ask", question, "-c", "news", "--model", "scripted:current", "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_question_gets_one_cited_sentence_per_article(collection):
    payload = ask("What prisoner exchanges were agreed?", "Russia and Ukraine agreed a prisoner exchange of 175 soldiers. [1]")
    assert payload["mode"] == "mixed"  # the model wrote one fact; the other is quoted
    assert "175" in payload["answer"] and "15 soldiers" in payload["answer"]
    assert {c["source"].rsplit("/", 1)[-1] for c in payload["citations"]} == {"a.txt", "b.txt"}
    assert [p["generated"] for p in payload["parts"]] == [True, False]


def test_disagreeing_sources_are_both_cited_with_a_note(collection):
    payload = ask("How many people died in the harbour fire?", "At least 12 people died in the harbour fire. [1]")
    assert payload["note"] == "The articles give different figures; each is cited."
    assert "12" in payload["answer"] and "17" in payload["answer"]
    assert len(payload["citations"]) == 2


def test_copied_sentence_under_the_wrong_number_is_re_cited(collection):
    # the model copies evidence [2] (the fire toll) but cites [1]
    payload = ask("How many people died in the harbour fire?", "The number of people who died in the harbour fire rose to 17. [1]")
    repaired = [s for s in payload["sentences"] if s.get("repaired_from")]
    assert repaired and repaired[0]["supported"]
    by_number = {c["n"]: c for c in payload["citations"]}
    assert "17" in by_number[repaired[0]["citations"][0]]["quote"]


def test_year_only_in_article_metadata_does_not_veto(tmp_path):
    folder = tmp_path / "html"
    folder.mkdir()
    (folder / "vote.html").write_text(
        "<html><head><title>DeVos confirmed</title><meta name='date' content='2017-02-07'></head><body><article>"
        "<h1>DeVos confirmed</h1><p>The Senate confirmed Betsy DeVos as education secretary by 51 votes to 50 after"
        " Vice President Mike Pence broke the tie.</p><p>Teachers' unions had opposed the nomination for weeks.</p>"
        "</article></body></html>"
    )
    assert CliRunner().invoke(main, ["index", str(folder), "-c", "dated"]).exit_code == 0
    SCRIPTS["current"] = "The Senate confirmed Betsy DeVos by 51 votes to 50. [1]"
    for question, answered in (("How many votes confirmed Betsy DeVos in February 2017?", True),
                               ("How many votes confirmed Betsy DeVos in February 2019?", False)):
        result = CliRunner().invoke(main, ["ask", question, "-c", "dated", "--model", "scripted:current", "--json"])
        payload = json.loads(result.stdout)
        assert (payload["mode"] != "abstained") == answered, payload


def test_terminal_does_not_print_a_quote_twice(collection):
    SCRIPTS["current"] = "Nothing here. [1]"
    result = CliRunner().invoke(main, ["ask", "How many people died in the harbour fire?", "-c", "news", "--model",
                                       "scripted:current"])
    assert result.exit_code == 0
    quote = "At least 12 people died in the harbour fire, the fire brigade said on Monday."
    assert result.stdout.count(quote) == 1  # in the answer, not again under Sources
    assert "Sources:" in result.stdout and "para." in result.stdout


def _item(n: int, text: str):
    from qa.evidence import Evidence

    return Evidence(n, n, 0, "Six Nations", "a.txt", "para. 1", 0, len(text), text, 0, n=n)


@pytest.mark.parametrize("question, sentence, cited, complete", [
    # a "who" answer need not repeat the cited sentence's other numbers
    ("Who scored Ireland's try?", "Iain Henderson scored Ireland's try.",
     "A first-half try from Iain Henderson and eight points from Johnny Sexton won it.", True),
    # "how many": the number beside the asked-about words, not any other
    ("How many votes did Steinmeier get?", "Steinmeier got 931 votes.",
     "Steinmeier, the 12th president, got 931 votes of 1,239 cast.", True),
    ("How many votes did Steinmeier get?", "Steinmeier was the 12th president.",
     "Steinmeier, the 12th president, got 931 votes of 1,239 cast.", False),
    ("How much tax did Trump pay in 2005?", "Trump paid $38 million in federal taxes in 2005.",
     "Trump paid $38 million in federal taxes in 2005, on income of more than $150 million.", True),
    # a question that names no kind: the cited numbers are the facts
    ("What prisoner exchange was agreed?", "Russia and Ukraine agreed a prisoner exchange.",
     "Russia and Ukraine agreed a prisoner exchange of 175 soldiers on each side.", False),
    # but not the reason asked for, nor the place
    ("Why were two mechanics arrested in Hong Kong?", "The mechanics were arrested after an escalator malfunction.",
     "Hong Kong escalator malfunction: 2 mechanics arrested", True),
    ("Where did Tillerson go?", "Tillerson visited the demilitarized zone.",
     "Tillerson visited the demilitarized zone, the first senior official to visit since 2012.", True),
    # of two numbers beside "seats", the one "win" stands beside too
    ("How many seats did Rutte's VVD win in the Dutch election?", "Rutte's VVD won 33 seats.",
     "Rutte's VVD party was set to win 33 seats, with Wilders' party second with 20 seats, the Dutch broadcaster said.",
     True),
])
def test_a_kept_answer_carries_what_was_asked(question, sentence, cited, complete):
    from qa.answer import is_complete
    from qa.grounding import CheckedSentence
    from qa.question import analyze

    kept = [CheckedSentence(sentence, [1], True)]
    assert is_complete(analyze(question), kept, [_item(1, cited)]) == complete


def test_a_sentence_said_again_in_other_small_words_is_shown_once():
    from qa.answer import _one_per_fact
    from qa.grounding import CheckedSentence

    first = CheckedSentence("Chuck Berry died at the age of 90, according to police in Missouri.", [2, 4], True)
    again = CheckedSentence("Chuck Berry has died at the age of 90, according to police in Missouri.", [2, 4], True)
    more = CheckedSentence("Chuck Berry died at the age of 90 at his home near St. Louis.", [2, 4], True)
    other = CheckedSentence("Chuck Berry has died at the age of 90, according to police in Missouri.", [3], True)
    assert _one_per_fact([first, again, more, other]) == [first, more, other]


def test_a_date_answer_that_names_only_a_weekday_gets_the_date_it_was():
    """News tune 032: "Steinmeier on Sunday won 931 ... votes", in an article dated 2017-02-12 (a
    Sunday) and another dated 2017-03-19 about his taking office: each Sunday gets its date, from
    its own article, as a computed line citing it."""
    from qa.answer import Part, beside_their_quotes, dated_day
    from qa.question import analyze
    from tests.test_evidence import ev

    elected = ev("Steinmeier on Sunday won 931 out of 1,239 valid votes.", 0.7, doc_id=1, date="2017-02-12")
    office = ev("Steinmeier became Germany's new president on Sunday.", 0.7, doc_id=2, date="2017-03-20")
    elected.n, office.n = 1, 2
    question = analyze("On what date was Steinmeier elected Germany's president?")
    parts = [Part(f"“{elected.text}”", [1], False), Part(f"“{office.text}”", [2], False)]
    lines = dated_day(question, parts, [elected, office])
    assert [(p.text, p.citations, p.computed) for p in lines] == [
        ("Sunday there is 12 February 2017, the article's own date.", [1], True),
        ("Sunday there is 19 March 2017, counted from the article's date, Monday 20 March 2017.", [2], True),
    ]
    shown = beside_their_quotes(parts, lines)
    assert [p.citations for p in shown] == [[1], [1], [2], [2]] and [p.computed for p in shown] == [False, True, False, True]
    # an answer that already gives the calendar date needs no line; nor does a question of another kind
    assert dated_day(question, [Part("He was elected on 12 February 2017.", [1], True)], [elected]) == []
    assert dated_day(analyze("How many votes did Steinmeier win?"), parts, [elected, office]) == []


def test_evaluation_checks_a_computed_day_line_against_its_quote_and_date():
    from qa.answer import AnswerResult, Part
    from qa.evaluation import unsupported_in_answer
    from qa.grounding import Citation

    quote = "Steinmeier on Sunday won 931 out of 1,239 valid votes."
    cited = Citation(1, 1, "Steinmeier elected", "a.html", "para. 3", 1, quote, 0, len(quote), "2017-02-13")

    def shown(line: str) -> AnswerResult:
        parts = [Part(f"“{quote}”", [1], False), Part(line, [1], False, computed=True)]
        return AnswerResult("When was Steinmeier elected?", "", "extractive", [], [cited], "m", {}, parts=parts)

    right = "Sunday there is 12 February 2017, counted from the article's date, Monday 13 February 2017."
    assert unsupported_in_answer(shown(right)) == 0
    assert unsupported_in_answer(shown(right.replace("12 February", "19 February"))) == 1


def test_no_day_line_when_the_answer_gives_a_month_and_day():
    """News tune 036: "on February 13" is a calendar date though it has no year."""
    from qa.answer import Part, dated_day
    from qa.question import analyze
    from tests.test_evidence import ev

    item = ev("Kim Jong-nam was attacked at the airport on February 13; police spoke on Monday.", 0.7, date="2017-02-24")
    item.n = 1
    question = analyze("On what date was Kim Jong-nam attacked?")
    assert dated_day(question, [Part(f"“{item.text}”", [1], False)], [item]) == []
