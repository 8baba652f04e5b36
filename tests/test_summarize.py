"""Summaries: map-reduce citation bookkeeping with scripted generators, and the CLI."""

import json
import re
from dataclasses import replace

import pytest
from click.testing import CliRunner

from qa import policy as policy_module
from qa import summarize as sm
from qa.cli import main
from tests.conftest import REPO
from tests.scripted import BUDGETS, SCRIPTS

WIKI = REPO / "tests" / "data" / "wiki"


def quotes_in(messages) -> list[tuple[int, str]]:
    user = next(m["content"] for m in messages if m["role"] == "user")
    return [(int(n), text) for n, text in re.findall(r"^\[(\d+)\] (.*)$", user, flags=re.MULTILINE)]


def copy_first_two(messages) -> str:
    """A faithful model: repeats the first two quotes it is shown, citing them."""
    return " ".join(f"{text.rstrip('.')}. [{n}]" for n, text in quotes_in(messages)[:2])


def invent(messages) -> str:
    """An unfaithful model: cites ids it was not shown and invents numbers."""
    shown = quotes_in(messages)
    return f"Officials confirmed 9,999 casualties. [{shown[-1][0] + 500}] The deal cost 42 billion dollars. [{shown[0][0]}]"


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def wiki_indexed():
    assert CliRunner().invoke(main, ["index", str(WIKI), "-c", "wiki"]).exit_code == 0


def test_groups_keep_order_numbers_and_limit():
    items = [(n, "x" * (10 * n)) for n in range(1, 20)]
    parts = sm.groups(items, limit=60)
    assert [n for part in parts for n, _ in part] == list(range(1, 20))
    for part in parts:
        assert len(part) == 1 or sum(len(text) for _, text in part) <= 60


def test_mmr_prefers_salient_then_different():
    import numpy as np

    similarity = np.array([[1, 0.99, 0.1], [0.99, 1, 0.1], [0.1, 0.1, 1]])
    assert sm.mmr([1.0, 0.95, 0.5], similarity, 2) == [0, 2]
    assert sm.mmr([1.0, 0.95, 0.5], similarity, 1, chosen=[0]) == [2]


def with_summary(monkeypatch, **changes) -> policy_module.AnswerPolicy:
    """Run with a default policy whose summary part has `changes`."""
    policy = replace(policy_module.DEFAULT_POLICY, summary=replace(policy_module.DEFAULT_POLICY.summary, **changes))
    monkeypatch.setattr(policy_module, "DEFAULT_POLICY", policy)
    return policy


def small_groups(monkeypatch) -> None:
    with_summary(monkeypatch, group_chars=900)


def test_map_reduce_keeps_original_ids_through_layers(monkeypatch, wiki_indexed):
    small_groups(monkeypatch)  # force several map steps and a reduce step
    SCRIPTS["current"] = copy_first_two
    payload = run("summarize", "--all", "-c", "wiki", "--model", "scripted:current", "--json")
    assert payload["scope"] == "collection" and payload["target"] == "wiki"
    assert payload["mode"] == "generated"
    generated = [s for s in payload["sentences"] if s["supported"]]
    assert generated
    by_number = {c["n"]: c for c in payload["citations"]}
    for sentence in generated:
        for n in sentence["citations"]:
            # the reduce step saw an intermediate sentence, yet [n] still points at the original quote
            assert sentence["text"].rstrip(".") in by_number[n]["quote"] or by_number[n]["quote"].rstrip(".") in sentence["text"]
    assert_citations_resolve(payload)


def test_inventing_generator_is_dropped_and_completed_extractively(wiki_indexed, monkeypatch):
    small_groups(monkeypatch)
    SCRIPTS["current"] = invent
    payload = run("summarize", "--all", "-c", "wiki", "--model", "scripted:current", "--json", "--sentences", "4")
    assert payload["mode"] == "extractive"
    assert not any(s["supported"] for s in payload["sentences"])
    assert "9,999" not in payload["answer"] and "42 billion" not in payload["answer"]
    assert len(re.findall(r"“[^”]+” \[\d+\]", payload["answer"])) == 4
    assert_citations_resolve(payload)


def test_the_model_sees_quotes_numbered_from_one_and_its_citations_map_back(monkeypatch):
    """A document summary shows the model a few of its candidate quotes, numbered 1, 2, 3...;
    what the model cites is mapped back to the quotes' own numbers."""
    with_summary(monkeypatch, model_quote_chars=20000)
    shown = []

    def copy_and_record(messages):
        shown.append([n for n, _ in quotes_in(messages)])
        return copy_first_two(messages)

    SCRIPTS["current"] = copy_and_record
    payload = run("summarize", "1", "--model", "scripted:current", "--json", "--sentences", "3")
    assert shown == [list(range(1, 7))]  # 6 of the 9 candidates, renumbered for the model
    generated = [s for s in payload["sentences"] if s["supported"]]
    assert len(generated) == 2
    by_number = {c["n"]: c for c in payload["citations"]}
    for sentence in generated:
        assert sentence["text"].rstrip(".") in by_number[sentence["citations"][0]]["quote"]
    assert max(by_number) > 6  # the quotes' own numbers, among all 9 candidates


@pytest.mark.parametrize("chars", [1, 300, 700])
def test_the_quotes_shown_to_the_model_fit_its_character_budget(monkeypatch, chars):
    with_summary(monkeypatch, model_quote_chars=chars)
    shown = []

    def record(messages):
        shown.append([text for _, text in quotes_in(messages)])
        return copy_first_two(messages)

    SCRIPTS["current"] = record
    run("summarize", "1", "--model", "scripted:current", "--json", "--sentences", "3")
    assert shown[0]
    assert len(shown[0]) == 1 or sum(len(text) for text in shown[0]) <= chars  # at least one, however long
    if chars == 1:
        assert len(shown[0]) == 1


def test_the_drafting_budget_grows_with_the_sentences_wanted_unless_given():
    SCRIPTS["current"] = copy_first_two
    per_sentence = policy_module.DEFAULT_POLICY.summary.draft_tokens_per_sentence
    run("summarize", "1", "--model", "scripted:current", "--json", "--sentences", "3")
    assert BUDGETS[-1] == 3 * per_sentence
    run("summarize", "1", "--model", "scripted:current", "--json", "--sentences", "6")
    assert BUDGETS[-1] == 6 * per_sentence
    run("summarize", "1", "--model", "scripted:current", "--json", "--max-tokens", "50")
    assert BUDGETS[-1] == 50


INVENTIONS = ["Officials confirmed 9,999 casualties.", "The deal cost 42 billion dollars.", "Rebels seized 77 tanks.",
              "Talks collapsed in 1905.", "Mayor Quint resigned on 3 May.", "Snow closed 88 schools."]


@pytest.mark.parametrize(
    ("good_first", "checked"),
    [(False, 2),  # two failures and nothing verified: drafting stops there
     (True, 4)],  # a verified sentence buys one more failure: 1 good, then 3 failures
)
def test_drafting_stops_when_sentences_keep_failing(good_first, checked):
    def script(messages):
        shown = quotes_in(messages)
        first = [f"{shown[0][1].rstrip('.')}. [{shown[0][0]}]"] if good_first else []
        return " ".join(first + [f"{text} [{shown[0][0]}]" for text in INVENTIONS])

    SCRIPTS["current"] = script
    payload = run("summarize", "1", "--model", "scripted:current", "--json", "--sentences", "5")
    assert len(payload["sentences"]) == checked
    assert sum(s["supported"] for s in payload["sentences"]) == int(good_first)
    assert "9,999" not in payload["answer"]


def assert_citations_resolve(payload):
    from qa.config import Settings
    from qa.store.collection import Collection

    store = Collection.open_reader(Settings.from_env("wiki"))
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", payload["answer"])}
    assert markers == {c["n"] for c in payload["citations"]}
    # the parts are the answer's sentences, as qa serve's page shows them
    shown = [part["text"] + "".join(f" [{n}]" for n in part["citations"]) for part in payload["parts"]]
    assert " ".join(shown) == payload["answer"]
    assert any(part["generated"] for part in payload["parts"]) == (payload["mode"] == "generated")
    for citation in payload["citations"]:
        assert store.document_text(citation["doc_id"])[citation["start"] : citation["end"]] == citation["quote"]


def test_document_summary_and_word_budget():
    SCRIPTS["current"] = "Nothing useful here at all. [1]"
    payload = run("summarize", "1", "--model", "scripted:current", "--json", "--words", "60")
    assert payload["scope"] == "document" and payload["mode"] == "extractive"
    words = len(re.sub(r"\[\d+\]", "", payload["answer"]).split())
    assert 60 <= words < 60 + 60


def test_topic_summary_and_off_topic_abstains():
    SCRIPTS["current"] = copy_first_two
    payload = run("summarize", "--about", "prisoner exchange", "--model", "scripted:current", "--json", "--sentences", "2")
    assert payload["scope"] == "topic" and "175" in payload["answer"]
    payload = run("summarize", "--about", "volcanic eruptions in Iceland", "--model", "scripted:current", "--json")
    assert payload["mode"] == "abstained" and payload["citations"] == []


def test_usage_and_unknown_document():
    runner = CliRunner()
    assert runner.invoke(main, ["summarize"]).exit_code == 2
    assert runner.invoke(main, ["summarize", "1", "--all"]).exit_code == 2
    SCRIPTS["current"] = "x"
    result = runner.invoke(main, ["summarize", "77", "--model", "scripted:current"])
    assert result.exit_code == 1 and "no document '77'" in result.stderr


def test_large_collection_is_bounded_by_stored_vectors(monkeypatch, wiki_indexed):
    policy = with_summary(monkeypatch, collection_passages=6)
    SCRIPTS["current"] = copy_first_two
    from qa.config import Settings
    from qa.store.collection import Collection

    store = Collection.open_reader(Settings.from_env("wiki"))
    pool = sm.collection_pool(store, policy)
    assert len({item.passage_id for item in pool}) <= 6
    assert len({item.doc_id for item in pool}) >= 2  # MMR spreads the choice over articles
    payload = run("summarize", "--all", "-c", "wiki", "--model", "scripted:current", "--json")
    assert_citations_resolve(payload)


def test_a_long_document_is_read_from_its_lead_and_central_passages(monkeypatch, wiki_indexed):
    """A document summary embeds the sentences of `document_passages` passages at most."""
    from qa.config import Settings
    from qa.store.collection import Collection

    store = Collection.open_reader(Settings.from_env("wiki"))
    document = max(store.documents(), key=lambda d: d.passages)
    ids = store.document_passage_ids(document.id)
    whole, _ = sm.document_pool(store, str(document.id), with_summary(monkeypatch, document_passages=len(ids)))
    assert {item.passage_id for item in whole} == set(ids)
    policy = with_summary(monkeypatch, document_passages=4)
    pool, title = sm.document_pool(store, str(document.id), policy)
    kept = {item.passage_id for item in pool}
    assert title == document.title and len(kept) <= 4 and ids[0] in kept
    assert [item.ordinal for item in pool] == sorted(item.ordinal for item in pool)  # document order
    SCRIPTS["current"] = copy_first_two
    payload = run("summarize", str(document.id), "-c", "wiki", "--model", "scripted:current", "--json")
    assert_citations_resolve(payload)
