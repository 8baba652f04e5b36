"""Check each answer sentence against the passages it cites; pure logic, similarity passed in."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.textmatch import STOPWORDS, content_stems, coverage, name_in, names, numbers, stem, words

# Calibrated on tests/data/gold.jsonl with all-MiniLM-L6-v2 (see models/README.md):
# a supported rewrite of a cited sentence scores well above this, an unrelated claim below.
SUPPORT_SIMILARITY = 0.62
SUPPORT_COVERAGE = 0.6
MIN_WORDS = 3
SUPPORT_ORDER = 0.75


def _content_sequence(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def order_agreement(sentence: str, cited_text: str) -> float:
    """Longest common subsequence of content words, over the sentence's content words.

    Small models recombine source words into new claims ("proposed by Putin" from "Putin refused
    ... proposed by the United States"); such claims keep the words but not their order.
    """
    claim, source = _content_sequence(sentence), _content_sequence(cited_text)
    if not claim:
        return 0.0
    previous = [0] * (len(source) + 1)
    for word in claim:
        current = [0]
        for j, other in enumerate(source, start=1):
            current.append(previous[j - 1] + 1 if word == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1] / len(claim)


@dataclass
class Verdict:
    supported: bool
    reasons: list[str] = field(default_factory=list)


def unsupported_facts(sentence: str, cited_text: str) -> list[str]:
    """Numbers, dates and names in `sentence` that the cited text does not contain."""
    problems = []
    source_numbers = numbers(cited_text)
    for number in sorted(numbers(sentence)):
        if number not in source_numbers:
            problems.append(f"number {number} not in cited text")
    for name in sorted(names(sentence)):
        if not name_in(cited_text, name):
            problems.append(f"name {name} not in cited text")
    return problems


def verify_sentence(
    sentence: str, citations: list[int], cited_texts: list[str], similarity: float, question: str = ""
) -> Verdict:
    """`similarity`: the best cosine between the sentence and the cited evidence."""
    if not citations or not cited_texts:
        return Verdict(False, ["no valid citation"])
    if len(words(sentence)) < MIN_WORDS:
        return Verdict(False, ["too short to be a claim"])
    cited = "\n".join(cited_texts)
    reasons = unsupported_facts(sentence, cited)
    lexical = coverage(content_stems(sentence), content_stems(cited))
    if similarity < SUPPORT_SIMILARITY and lexical < 1.0:
        reasons.append(f"similarity {similarity:.2f} below {SUPPORT_SIMILARITY}")
    if lexical < SUPPORT_COVERAGE:
        reasons.append(f"only {lexical:.0%} of its words are in the cited text")
    order = max(order_agreement(sentence, text) for text in cited_texts)
    if order < SUPPORT_ORDER:
        reasons.append(f"its words follow the cited text only {order:.0%} of the way (recombined claim)")
    if question and not (content_stems(sentence) - content_stems(question)):
        reasons.append("only repeats the question")
    return Verdict(not reasons, reasons)
