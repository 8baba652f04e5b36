"""Score the answer engine on a gold set: correct cited answers, right abstentions, unsupported
sentences shown, how much of each answer the model wrote, and time per question.

A gold file holds one JSON object per line: `id`, `question`, `kind` ("answer" | "abstain"),
`required` (regexes a correct answer must all match, case-insensitively), `expected_sources`
(file names of the articles that answer it) and optional `tags`. A gold set is split into
`tune.jsonl` (thresholds are calibrated on it) and `heldout.jsonl` (never looked at while tuning);
reports keep the two apart.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qa.answer import AnswerResult
from qa.store.collection import Collection


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answerable: bool
    required: tuple[str, ...] = ()
    expected_sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    split: str = "tune"


@dataclass
class Outcome:
    item: GoldItem
    result: AnswerResult
    correct: bool
    unsupported: int
    cites_expected: bool | None  # None when the item names no source, or abstained
    seconds: float


@dataclass
class Scores:
    answered_correctly: int = 0
    answerable: int = 0
    abstained_correctly: int = 0
    unanswerable: int = 0
    unsupported_in_answer: int = 0
    generated: int = 0  # correct answers written wholly by the model
    mixed: int = 0  # correct answers partly written, partly quoted
    cites_expected: int = 0
    with_expected: int = 0
    seconds: float = 0.0
    questions: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def answer_rate(self) -> float:
        return self.answered_correctly / self.answerable if self.answerable else 1.0

    @property
    def abstain_rate(self) -> float:
        return self.abstained_correctly / self.unanswerable if self.unanswerable else 1.0

    @property
    def generated_share(self) -> float:
        return self.generated / self.answered_correctly if self.answered_correctly else 0.0

    def summary(self) -> str:
        return (
            f"answered correctly, cited: {self.answered_correctly}/{self.answerable} ({self.answer_rate:.0%});"
            f" abstained when it should: {self.abstained_correctly}/{self.unanswerable} ({self.abstain_rate:.0%});"
            f" unsupported sentences shown: {self.unsupported_in_answer};"
            f" generated: {self.generated}/{self.answered_correctly} ({self.generated_share:.0%}), mixed {self.mixed};"
            f" cited an expected article: {self.cites_expected}/{self.with_expected};"
            f" {self.seconds / max(self.questions, 1):.1f} s/question"
        )

    def as_dict(self) -> dict:
        return {
            "answered_correctly": self.answered_correctly, "answerable": self.answerable,
            "abstained_correctly": self.abstained_correctly, "unanswerable": self.unanswerable,
            "unsupported_in_answer": self.unsupported_in_answer, "generated": self.generated, "mixed": self.mixed,
            "cites_expected": self.cites_expected, "with_expected": self.with_expected,
            "seconds_per_question": round(self.seconds / max(self.questions, 1), 2),
        }


def load_gold(paths: Iterable[Path]) -> list[GoldItem]:
    """Items of every file; the split is the file's name (tune / heldout)."""
    items = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                items.append(GoldItem(
                    raw["id"], raw["question"], raw["kind"] == "answer", tuple(raw.get("required", [])),
                    tuple(raw.get("expected_sources", [])), tuple(raw.get("tags", [])), Path(path).stem,
                ))
    return items


def citations_valid(result: AnswerResult, collection: Collection) -> bool:
    """Every [n] in the answer has a citation whose quote is exactly the stored text at its offsets."""
    by_number = {c.n: c for c in result.citations}
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
    if not markers or not markers <= set(by_number):
        return False
    return all(
        collection.document_text(c.doc_id)[c.start : c.end] == c.quote for c in result.citations
    )


def unsupported_in_answer(result: AnswerResult) -> int:
    """Answer sentences that are neither verified generated sentences nor verbatim quotes of
    what they cite."""
    if result.mode == "abstained":
        return 0
    if not result.parts:
        return 1
    supported = {s.text for s in result.sentences if s.supported}
    quotes = {c.n: f"“{' '.join(c.quote.split())}”" for c in result.citations}
    bad = 0
    for part in result.parts:
        if part.generated:
            bad += part.text not in supported
        else:
            bad += quotes.get(part.citations[0]) != part.text
    return bad


def grade(item: GoldItem, result: AnswerResult, collection: Collection, seconds: float) -> Outcome:
    unsupported = unsupported_in_answer(result)
    if not item.answerable:
        return Outcome(item, result, result.mode == "abstained", unsupported, None, seconds)
    answered = result.mode != "abstained"
    has_all = all(re.search(pattern, result.answer, flags=re.IGNORECASE) for pattern in item.required)
    correct = answered and has_all and citations_valid(result, collection)
    cites = None
    if answered and item.expected_sources:
        cites = any(Path(c.source).name in item.expected_sources for c in result.citations)
    return Outcome(item, result, correct, unsupported, cites, seconds)


def tally(outcomes: Iterable[Outcome]) -> Scores:
    scores = Scores()
    for outcome in outcomes:
        item, result = outcome.item, outcome.result
        scores.questions += 1
        scores.seconds += outcome.seconds
        scores.unsupported_in_answer += outcome.unsupported
        if outcome.cites_expected is not None:
            scores.with_expected += 1
            scores.cites_expected += outcome.cites_expected
        if item.answerable:
            scores.answerable += 1
            if outcome.correct:
                scores.answered_correctly += 1
                scores.generated += result.mode == "generated"
                scores.mixed += result.mode == "mixed"
            else:
                scores.failures.append(f"{item.id} [{result.mode}] {item.question} -> {result.answer[:200]} ({result.reason})")
        else:
            scores.unanswerable += 1
            if outcome.correct:
                scores.abstained_correctly += 1
            else:
                scores.failures.append(f"{item.id} [should abstain] {item.question} -> {result.answer[:200]}")
    return scores


def evaluate(
    items: list[GoldItem],
    collection: Collection,
    answer: Callable[[str], AnswerResult],
) -> list[Outcome]:
    """Answer every item (the model is loaded once by the caller's `answer`) and grade it."""
    outcomes = []
    for item in items:
        started = time.perf_counter()
        result = answer(item.question)
        outcomes.append(grade(item, result, collection, time.perf_counter() - started))
    return outcomes


def run_gold(settings, corpus: list[Path], gold: list[Path], model: str | None = None) -> tuple[Scores, list[Outcome]]:
    """Index `corpus` into settings' collection, answer every gold question, return (scores, outcomes)."""
    from qa.answer import answer_question
    from qa.embed import load_embedder
    from qa.generate import load_generator
    from qa.indexer import index_paths, manifest_for

    embedder = load_embedder(settings)
    index_paths(settings, embedder, [str(path) for path in corpus])
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    generator = load_generator(model, settings.model, threads=settings.threads)
    outcomes = evaluate(load_gold(gold), store, lambda q: answer_question(q, store, embedder, generator))
    return tally(outcomes), outcomes
