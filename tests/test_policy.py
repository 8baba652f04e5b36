"""The answer policy: every knob documented and within its bounds; reports can name it."""

from dataclasses import replace
from pathlib import Path

from qa.policy import DEFAULT_POLICY, documented_fields, policy_markdown

POLICY_DOC = Path(__file__).resolve().parent.parent / "docs" / "policy.md"


def test_every_knob_says_why_and_sits_in_its_range():
    rows = documented_fields(DEFAULT_POLICY)
    assert len(rows) >= 30
    for name, value, why, low, high in rows:
        assert len(why) > 30, f"{name} has no reason"
        assert low <= value <= high, f"{name}={value} outside [{low}, {high}]"


def test_digest_names_the_exact_policy():
    changed = replace(DEFAULT_POLICY, verify=replace(DEFAULT_POLICY.verify, support_coverage=0.7))
    assert DEFAULT_POLICY.digest() != changed.digest()
    assert DEFAULT_POLICY.label().startswith("default@")
    assert DEFAULT_POLICY.digest() == replace(DEFAULT_POLICY).digest()


def test_the_policy_document_is_the_policy():
    assert POLICY_DOC.read_text() == policy_markdown(DEFAULT_POLICY), (
        "docs/policy.md is out of date: python -m qa.policy > docs/policy.md")
    assert f"`{DEFAULT_POLICY.label()}`" in POLICY_DOC.read_text()
