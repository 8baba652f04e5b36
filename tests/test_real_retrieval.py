"""Retrieval on the bundled seeds/ with the real bundled embedder (all-MiniLM-L6-v2)."""

import json

import pytest
from click.testing import CliRunner

from qa.cli import main
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow


def test_prisoner_exchange_top_hit(real_env):
    runner = CliRunner()
    result = runner.invoke(main, ["index", str(SEEDS)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["search", "prisoner exchange", "--json"], catch_exceptions=False)
    hits = json.loads(result.stdout)["hits"]
    assert "175 prisoners" in hits[0]["text"]
    assert hits[0]["score"] > 0.2


@pytest.mark.parametrize(
    "query, expected",
    [
        ("30-day ceasefire proposal", "30-day"),
        ("strikes on energy infrastructure", "energy"),
        ("military and intelligence assistance to Kyiv", "intelligence assistance"),
    ],
)
def test_more_queries_find_their_passage(real_env, query, expected):
    runner = CliRunner()
    runner.invoke(main, ["index", str(SEEDS)], catch_exceptions=False)
    hits = json.loads(runner.invoke(main, ["search", query, "-k", "3", "--json"]).stdout)["hits"]
    assert any(expected in hit["text"] for hit in hits)
