"""Grounding shared by answers and summaries: citations with exact quotes, checked sentences, and
citation repair (a sentence backed by another evidence item than the one it cites is re-cited)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from qa.citations import AnswerSentence
from qa.evidence import Evidence
from qa.policy import VerifyPolicy
from qa.question import Entity, Question, entities
from qa.verify import Cited, Verdict, verify_sentence

# The similarity of a sentence to the evidence items it cites (by their numbers).
Similarity = Callable[[str, list[int]], float]


@dataclass
class Citation:
    n: int
    doc_id: int
    title: str
    source: str
    location: str
    passage_id: int
    quote: str
    start: int
    end: int
    date: str | None = None


@dataclass
class CheckedSentence:
    text: str
    citations: list[int]
    supported: bool
    reasons: list[str] = field(default_factory=list)
    repaired_from: list[int] = field(default_factory=list)  # what the model cited, when re-cited
    judged: bool = False  # failed only a wording proxy and was accepted by the model's reading


def citation_for(item: Evidence) -> Citation:
    return Citation(item.n, item.doc_id, item.title, item.source, item.location, item.passage_id, item.text,
                    item.start, item.end, item.date)


def cited(item: Evidence) -> Cited:
    return Cited(item.text, item.title, item.date, item.previous)


# Does the quote state everything the claim says? (claim, quote, article title) -> yes / no / no opinion.
Judge = Callable[[str, str, str], "bool | None"]


def check_sentences(
    parsed: list[AnswerSentence],
    evidence: list[Evidence],
    similarity: Similarity,
    question: Question | None = None,
    policy: VerifyPolicy | None = None,
    repair: bool = True,
    judge: Judge | None = None,
) -> list[CheckedSentence]:
    """Verify every sentence against what it cites. A sentence that fails only a wording proxy
    is accepted if `judge` (a model large enough to read) says the quote states it. With `repair`,
    a sentence its citation does not back, but another single evidence item does, is re-cited;
    failing that, one that only adds a detail another item about the same subject gives cites
    that item too."""
    by_number = {e.n: e for e in evidence}
    checked = []
    for sentence in parsed:
        items = [by_number[n] for n in sentence.citations]
        verdict = verify_sentence(
            sentence.text, [cited(i) for i in items],
            similarity(sentence.text, sentence.citations) if items else 0.0, question, policy,
        )
        judged = False
        if verdict.soft_only and judge is not None:
            quote = " ".join(" ".join(i.text.split()) for i in items)
            if judge(sentence.text, quote, items[0].title):
                verdict, judged = Verdict(True, []), True
        citations, repaired_from = sentence.citations, []
        if not verdict.supported and repair and items:
            # another single item first; then one that adds the missing detail about the same subject
            others = [e for e in evidence if e.n not in sentence.citations]
            subject = detail_subject(sentence.text, verdict, items)
            choices = [[other] for other in others]
            choices += [[*items, other] for other in others if subject is not None and subject.found_in(other.text)]
            for chosen in choices:
                numbers = [i.n for i in chosen]
                alternative = verify_sentence(sentence.text, [cited(i) for i in chosen], similarity(sentence.text, numbers),
                                              question, policy)
                if alternative.supported:
                    verdict, citations, repaired_from = alternative, numbers, sentence.citations
                    break
        reasons = verdict.reasons + [f"unknown citation [{n}] dropped" for n in sentence.dropped]
        checked.append(CheckedSentence(sentence.text, citations, verdict.supported, reasons, repaired_from, judged))
    return checked


_MISSING_FACT = re.compile(r"^(?:name|number|date) .+ not in cited text")
_SHORTEST_NAME = 3  # letters in a name's longest word: "St" of "St. Charles County" is no one's name


def detail_subject(text: str, verdict: Verdict, items: list[Evidence]) -> Entity | None:
    """Whom the sentence names first, when its citation names them too and only lacks a name,
    number or date of the sentence ("Chuck Berry was found dead at a residence outside St. Louis,
    Missouri", citing a sentence without "Missouri"). Another evidence item about the same one
    that gives the missing fact is then cited beside it, and the sentence is checked against
    both. None when the citation lacks that first name: "Rutte won 33 seats" citing "Wilders won
    20 seats" is another claim, whatever a second article says of Rutte. An abbreviation ("St.")
    names no one."""
    if not any(_MISSING_FACT.match(reason) for reason in verdict.reasons):
        return None
    subject = next((e for e in entities(text) if max(len(w) for w in e.words) >= _SHORTEST_NAME), None)
    return subject if subject is not None and any(subject.found_in(item.text) for item in items) else None


def supports(text: str, item: Evidence, similarity: Similarity, question: Question | None, policy: VerifyPolicy | None) -> bool:
    return verify_sentence(text, [cited(item)], similarity(text, [item.n]), question, policy).supported
