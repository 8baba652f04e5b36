"""Score the answer engine on a gold set: facts with valid citations, abstention, unsupported claims."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.answer import AnswerResult
from qa.citations import MARKER
from qa.store.collection import Collection


@dataclass
class GoldItem:
    id: str
    question: str
    answerable: bool
    facts: list[str] = field(default_factory=list)


@dataclass
class Scores:
    answered_correctly: int = 0
    answerable: int = 0
    abstained_correctly: int = 0
    unanswerable: int = 0
    unsupported_in_answer: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def answer_rate(self) -> float:
        return self.answered_correctly / self.answerable if self.answerable else 1.0

    @property
    def abstain_rate(self) -> float:
        return self.abstained_correctly / self.unanswerable if self.unanswerable else 1.0

    def summary(self) -> str:
        return (
            f"answerable with facts and valid citations: {self.answered_correctly}/{self.answerable}"
            f" ({self.answer_rate:.0%}); unanswerable abstained: {self.abstained_correctly}/{self.unanswerable}"
            f" ({self.abstain_rate:.0%}); unsupported sentences in answers: {self.unsupported_in_answer}"
        )


def load_gold(path: Path) -> list[GoldItem]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            items.append(GoldItem(raw["id"], raw["question"], bool(raw["answerable"]), raw.get("facts", [])))
    return items


def citations_valid(result: AnswerResult, collection: Collection) -> bool:
    """Every [n] in the answer has a citation whose quote is exactly the stored text at its offsets."""
    by_number = {c.n: c for c in result.citations}
    markers = {int(n) for group in MARKER.findall(result.answer) for n in re.split(r"\s*[,;]\s*", group)}
    if not markers or not markers <= set(by_number):
        return False
    for citation in result.citations:
        if collection.document_text(citation.doc_id)[citation.start : citation.end] != citation.quote:
            return False
    return True


def unsupported_in_answer(result: AnswerResult) -> int:
    """Answer sentences that are neither verified generated sentences nor verbatim quotes."""
    if result.mode == "abstained":
        return 0
    if result.mode == "extractive":
        quotes = {" ".join(c.quote.split()) for c in result.citations}
        shown = re.findall(r"“(.*?)” \[\d+\]", result.answer)
        return sum(1 for quote in shown if quote not in quotes) + (0 if shown else 1)
    supported = {s.text for s in result.sentences if s.supported}
    return sum(1 for s in result.sentences if s.text in result.answer and s.text not in supported)


def score(items: list[GoldItem], results: list[AnswerResult], collection: Collection) -> Scores:
    scores = Scores()
    for item, result in zip(items, results):
        scores.unsupported_in_answer += unsupported_in_answer(result)
        if item.answerable:
            scores.answerable += 1
            has_facts = all(fact.lower() in result.answer.lower() for fact in item.facts)
            if result.mode != "abstained" and has_facts and citations_valid(result, collection):
                scores.answered_correctly += 1
            else:
                scores.failures.append(f"{item.id} [{result.mode}] {item.question} -> {result.answer[:160]} ({result.reason})")
        else:
            scores.unanswerable += 1
            if result.mode == "abstained":
                scores.abstained_correctly += 1
            else:
                scores.failures.append(f"{item.id} [should abstain] {item.question} -> {result.answer[:160]}")
    return scores


def run_gold(settings, corpus: list[Path], gold: Path, model: str | None = None):
    """Index `corpus` into settings' collection, answer every gold question, return (scores, results)."""
    from qa.answer import answer_question
    from qa.embed import load_embedder
    from qa.generate import load_generator
    from qa.indexer import index_paths, manifest_for

    embedder = load_embedder(settings.embed_model)
    index_paths(settings, embedder, [str(path) for path in corpus])
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    generator = load_generator(model, settings.model)
    items = load_gold(gold)
    results = [answer_question(item.question, store, embedder, generator) for item in items]
    return score(items, results, store), results
