"""Summaries with the real bundled models, on seeds/ and on the Wikipedia subset."""

import json
import re

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.config import Settings
from qa.store.collection import Collection
from tests.conftest import REPO

pytestmark = pytest.mark.slow
WIKI = REPO / "tests" / "data" / "wiki"


def summarize(*args):
    result = CliRunner().invoke(main, ["summarize", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_every_sentence_backed(payload, collection="default"):
    store = Collection.open_reader(Settings.from_env(collection))
    by_number = {c["n"]: c for c in payload["citations"]}
    supported = {s["text"] for s in payload["sentences"] if s["supported"]}
    parts = re.findall(r"(.+?)((?: \[\d+\])+)(?= |$)", payload["answer"])
    assert parts, payload["answer"]
    for text, markers in parts:
        text = text.strip()
        numbers = [int(n) for n in re.findall(r"\d+", markers)]
        assert numbers and all(n in by_number for n in numbers)
        if text.startswith("“"):
            assert text.strip("“”") == " ".join(by_number[numbers[0]]["quote"].split())
        else:
            assert text in supported
    for citation in payload["citations"]:
        assert store.document_text(citation["doc_id"])[citation["start"] : citation["end"]] == citation["quote"]
    return parts


def test_seed_article_summary_covers_the_story(real_env):
    payload = summarize("1")
    parts = assert_every_sentence_backed(payload)
    assert len(parts) == 5
    text = payload["answer"].lower()
    assert "30-day ceasefire" in text and ("refused" in text or "rejected" in text)
    assert "energy infrastructure" in text
    assert "military support" in text or "military aid" in text or "intelligence assistance" in text
    assert "175" in text and "23 seriously wounded" in text


def test_collection_and_topic_summaries(real_env):
    assert CliRunner().invoke(main, ["index", str(WIKI), "-c", "wiki"]).exit_code == 0
    collection = summarize("--all", "-c", "wiki")
    assert collection["scope"] == "collection"
    assert len(assert_every_sentence_backed(collection, "wiki")) == 5
    assert len({c["doc_id"] for c in collection["citations"]}) >= 3  # it reports across articles

    topic = summarize("--about", "Moon landing", "-c", "wiki", "--sentences", "3")
    assert topic["scope"] == "topic" and topic["target"] == "Moon landing"
    assert_every_sentence_backed(topic, "wiki")
    assert all("Apollo" in c["title"] for c in topic["citations"])
