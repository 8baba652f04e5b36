"""Pick the sentences that answer a question, and decide whether they answer it at all.

Similarity alone cannot decide answerability (a question about French tanks scores higher against
the seed article than the true prisoner-exchange question does against its answer), so the
question's specific names and numbers, and the kind of answer it asks for, must be present too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.textmatch import (
    MONTHS,
    STOPWORDS,
    content_stems,
    coverage,
    digit_numbers,
    name_in,
    names,
    numbers,
    stem,
    words,
)

if TYPE_CHECKING:
    from qa.store.collection import Collection, PassageRow

MAX_EVIDENCE = 3
MIN_WORDS = 4
MIN_SIMILARITY = 0.3
MIN_COVERAGE = 0.5
CLOSE_SIMILARITY = 0.55
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules|directions)\b"
    r"|\b(system prompt|you are now|as an ai|jailbreak)\b"
    r"|\b(reply|respond|answer|say|print|output)\b.{0,30}\b(only|exactly|with the word)\b",
    re.IGNORECASE,
)


@dataclass
class Evidence:
    passage_id: int
    doc_id: int
    ordinal: int
    title: str
    source: str
    location: str
    start: int
    end: int
    text: str
    passage_rank: int
    similarity: float = 0.0
    score: float = 0.0
    n: int = 0


def expected_answer_kind(question: str) -> str | None:
    q = question.lower().strip()
    if re.match(r"^(how many|how much|how long|how old|how far|what (percentage|number|amount))\b", q):
        return "number"
    if re.match(r"^(when|what year|which year|in what year|on what date|what date|in which year)\b", q):
        return "date"
    if re.match(r"^(who|whom|whose)\b", q):
        return "person"
    return None


def has_kind(text: str, kind: str | None, question: str) -> bool:
    if kind is None:
        return True
    if kind == "number":
        return bool(numbers(text) - numbers(question))
    if kind == "date":
        lowered = set(words(text))
        weekdays = {"today", "yesterday", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
        return bool(lowered & (MONTHS | weekdays)) or bool(re.search(r"\b(1[0-9]{3}|20[0-9]{2})\b", text))
    if kind == "person":
        return bool(names(text) - names(question))
    return True


def required_terms(question: str) -> list[str]:
    """Names and numbers a question is specifically about; an answer must mention them all."""
    terms = sorted(names(question)) + sorted(digit_numbers(question))
    return terms


_FOCUS = [
    re.compile(r"^(?:what|which)\s+(?:is|was|are|were)\s+(?:the\s+)?(?:official\s+|first\s+|main\s+|full\s+)?([a-z]+)\s+(?:of|for|in)\b"),
    re.compile(r"^who\s+(?:is|was|were)\s+.+?'s\s+(?:first\s+|second\s+)?([a-z]+)\b"),
]


def focus_noun(question: str) -> str | None:
    """The thing a "what is the X of ..." / "who was Y's X" question asks for (name, currency, wife)."""
    q = question.lower().strip()
    for pattern in _FOCUS:
        match = pattern.match(q)
        if match and match.group(1) not in STOPWORDS:
            return match.group(1)
    return None


def looks_like_instruction(text: str) -> bool:
    return _INJECTION.search(text) is not None


def gather(collection: "Collection", passages: list["PassageRow"]) -> list[Evidence]:
    """The stored sentences of these passages, each once, tagged with the first passage holding it."""
    seen: set[tuple[int, int]] = set()
    evidence: list[Evidence] = []
    for rank, passage in enumerate(passages):
        for sentence in collection.sentences(passage.doc_id, passage.first_sentence, passage.last_sentence):
            key = (sentence.doc_id, sentence.ordinal)
            if key in seen or looks_like_instruction(sentence.text) or len(words(sentence.text)) < MIN_WORDS:
                continue  # headlines of one or two words and instructions are not evidence
            seen.add(key)
            location = f"p. {sentence.page}" if sentence.page is not None else f"para. {sentence.paragraph}"
            evidence.append(
                Evidence(passage.id, passage.doc_id, sentence.ordinal, passage.title, passage.source,
                         location, sentence.start, sentence.end, sentence.text, rank)
            )
    return evidence


def score(question: str, candidates: list[Evidence], similarities: list[float]) -> list[Evidence]:
    """Rank by similarity, word overlap, named terms and answer kind; best first."""
    question_stems = content_stems(question)
    terms = required_terms(question)
    kind = expected_answer_kind(question)
    for candidate, similarity in zip(candidates, similarities):
        # the sentence's own words count as much as the words it borrows from its title
        overlap = 0.5 * coverage(question_stems, content_stems(candidate.text)) + 0.5 * coverage(
            question_stems, content_stems(in_context(candidate))
        )
        named = sum(name_in(in_context(candidate), term) for term in terms) / len(terms) if terms else 0.0
        candidate.similarity = similarity
        candidate.score = (
            similarity + 0.5 * overlap + 0.3 * named + (0.15 if has_kind(candidate.text, kind, question) else 0.0)
            - 0.02 * candidate.passage_rank
        )
    return sorted(candidates, key=lambda c: -c.score)


@dataclass
class Answerability:
    answerable: bool
    reason: str


def assess(question: str, ranked: list[Evidence]) -> Answerability:
    """Is the question answered by the top evidence? Pure: works on texts and stored scores."""
    if not ranked:
        return Answerability(False, "no passages retrieved")
    top = ranked[:MAX_EVIDENCE]
    joined = "\n".join(in_context(e) for e in top)
    missing = [term for term in required_terms(question) if not name_in(joined, term)]
    if missing:
        return Answerability(False, f"the articles do not mention {', '.join(missing)}")
    best = top[0]
    kind = expected_answer_kind(question)
    if not has_kind(best.text, kind, question):
        return Answerability(False, f"no {kind} found in the closest sentence")
    focus = focus_noun(question)
    if focus and stem(focus) not in content_stems(in_context(best)):
        return Answerability(False, f"the closest sentence does not mention the {focus} asked for")
    overlap = coverage(content_stems(question), content_stems(in_context(best)))
    if best.similarity < MIN_SIMILARITY or (overlap < MIN_COVERAGE and best.similarity < CLOSE_SIMILARITY):
        return Answerability(False, f"closest sentence too far from the question (similarity {best.similarity:.2f}, overlap {overlap:.0%})")
    return Answerability(True, "ok")


def select(question: str, ranked: list[Evidence]) -> list[Evidence]:
    """The evidence handed to the model: the best sentence and close runners-up, numbered 1..n."""
    if not ranked:
        return []
    best = ranked[0].score
    chosen = [e for e in ranked[:MAX_EVIDENCE] if e.score >= 0.75 * best]
    for number, item in enumerate(chosen, start=1):
        item.n = number
    return chosen


def in_context(item: Evidence) -> str:
    """A sentence read with its article's title: "He landed..." belongs to "Apollo 11"."""
    return f"{item.title}. {item.text}"
