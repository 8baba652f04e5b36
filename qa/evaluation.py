"""Score retrieval and answers on a gold set: recall@k / MRR@k, required facts, citation precision,
abstentions, unsupported sentences shown and time per question; shared by `qa eval` and
bench/gold_eval.py. Gold files are read by qa.gold_file."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qa.answer import AnswerResult, day_line_holds, rank_evidence
from qa.evidence import Evidence
from qa.gold_file import GoldItem, in_collection, load_gold
from qa.store.collection import Collection

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.embed import Embedder
    from qa.generate import Generator
    from qa.grounding import Citation
    from qa.policy import AnswerPolicy

# ----- retrieval ---------------------------------------------------------------------------------


def source_matches(expected: str | int, doc_id: int, source: str) -> bool:
    """A document id (a number, or digits), the stored source itself, or its end on a path
    boundary ("Alaska.txt", "wiki/Alaska.txt")."""
    if isinstance(expected, int):
        return expected == doc_id
    if expected.isdigit() and int(expected) == doc_id:
        return True
    wanted = expected.replace("\\", "/").removeprefix("./")
    stored = source.replace("\\", "/")
    return bool(wanted) and (stored == wanted or stored.endswith("/" + wanted))


def expected_documents(item: GoldItem, documents: list[tuple[int, str]]) -> set[int]:
    return {doc_id for doc_id, source in documents for e in item.expected_sources if source_matches(e, doc_id, source)}


def unmatched_sources(item: GoldItem, documents: list[tuple[int, str]]) -> list[str]:
    """Expected sources that name no document of the collection: a typo would read as a miss."""
    return [str(e) for e in item.expected_sources if not any(source_matches(e, d, s) for d, s in documents)]


def first_hit(retrieved: list[int], expected: set[int], copies: list[list[int]] | None = None) -> int | None:
    """1-based rank of the first retrieved passage from an expected document, or None. A passage's
    copies (`copies[i]`: the documents of the copies folded into passage i, listed with it) count
    at its rank: a reader is shown them there."""
    return next(
        (rank for rank, doc_id in enumerate(retrieved, start=1)
         if doc_id in expected or (copies and rank <= len(copies) and expected & set(copies[rank - 1]))),
        None,
    )


# ----- citations ---------------------------------------------------------------------------------


@dataclass
class CitationCheck:
    """One citation of one shown sentence, judged by the verifier (qa.verify.verify_sentence)."""

    sentence: str
    n: int
    supported: bool
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sentence": self.sentence, "citation": self.n, "supported": self.supported, "reasons": self.reasons}


def _previous_sentence(collection: Collection, citation: Citation) -> str:
    """The sentence before the quote in its article: the verifier reads a pronoun against it."""
    from qa.injection import looks_like_instruction

    passage = collection.passages([citation.passage_id]).get(citation.passage_id)
    if passage is None:
        return ""
    rows = collection.sentences(citation.doc_id, max(passage.first_sentence - 1, 0), passage.last_sentence)
    before = ""
    for row in rows:
        if row.start == citation.start:
            return "" if looks_like_instruction(before) else before
        before = row.text
    return ""


def check_citations(
    result: AnswerResult, collection: Collection, embedder: Embedder, policy: AnswerPolicy
) -> list[CitationCheck]:
    """Judge every citation of every shown sentence with the verifier.

    A citation is precise when its quote alone supports the sentence, or when the sentence's
    citations together support it and do not without this one (citation precision of ALCE, Gao
    et al. 2023). A quoted sentence is supported by its own quote. A sentence the answer's
    verifier accepted on the model's reading (it failed only a wording proxy) is accepted here on
    the same terms.
    """
    import numpy as np

    from qa.question import analyze
    from qa.verify import Cited, verify_sentence

    if result.mode == "abstained" or not result.parts:
        return []
    by_number = {c.n: c for c in result.citations}
    question = analyze(result.question)
    judged = {s.text for s in result.sentences if s.judged}
    quotes = {n: f"“{' '.join(c.quote.split())}”" for n, c in by_number.items()}
    known = sorted(by_number)
    vectors = dict(zip(known, embedder.embed([by_number[n].quote for n in known]))) if known else {}
    cited = {n: Cited(c.quote, c.title, c.date, _previous_sentence(collection, c)) for n, c in by_number.items()}

    checks = []
    for part in result.parts:
        if part.computed:  # worked out from the quote and its article's date, not read from the quote
            checks += [CitationCheck(part.text, n, _day_line_backed(part.text, by_number.get(n))) for n in part.citations]
            continue
        text = part.text if part.generated else part.text.strip("“”")
        sentence_vector = embedder.embed([text])[0]

        def supported(numbers: list[int]) -> tuple[bool, list[str]]:
            if not numbers:
                return False, []
            similarity = max(float(np.dot(sentence_vector, vectors[n])) for n in numbers)
            verdict = verify_sentence(text, [cited[n] for n in numbers], similarity, question, policy.verify)
            if verdict.soft_only and part.text in judged:
                return True, []
            return verdict.supported, verdict.reasons

        numbers = [n for n in part.citations if n in by_number]
        together = supported(numbers)[0] if len(numbers) > 1 else False
        for n in part.citations:
            if n not in by_number:
                checks.append(CitationCheck(part.text, n, False, ["no such citation"]))
                continue
            if not part.generated and n == part.citations[0] and quotes[n] == part.text:
                checks.append(CitationCheck(part.text, n, True))
                continue
            alone, reasons = supported([n])
            needed = together and not supported([m for m in numbers if m != n])[0]
            checks.append(CitationCheck(part.text, n, alone or needed, [] if alone or needed else reasons))
    return checks


# ----- grading -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    item: GoldItem
    result: AnswerResult
    correct: bool  # answerable: answered, every required fact, quotes exact; else: abstained
    unsupported: int  # sentences shown that are neither verified nor a verbatim quote
    cites_expected: bool | None  # None when the item names no source, or abstained
    seconds: float
    retrieved: list[int] = field(default_factory=list)  # document id of each top-k passage, in order
    expected: set[int] = field(default_factory=set)  # ids of the expected documents found in the collection
    required_met: bool | None = None  # None: no required facts, or an abstain line
    citation_checks: list[CitationCheck] = field(default_factory=list)
    copies: list[list[int]] = field(default_factory=list)  # document ids of each top-k passage's copies
    answer_sentence: str | None = None  # where the sentence holding the answer stands (SENTENCE_PLACES)

    @property
    def abstained(self) -> bool:
        return self.result.mode == "abstained"

    @property
    def rank(self) -> int | None:
        return first_hit(self.retrieved, self.expected, self.copies)

    def problems(self, k: int) -> list[str]:
        """Why this question counts as failed, one phrase each; empty when it passed."""
        problems = []
        if self.item.expected_sources and self.rank is None:
            problems.append(f"no expected source in the top {k}")
        if not self.item.answerable:
            if not self.abstained:
                problems.append("answered; should abstain")
        elif self.abstained:
            problems.append(f"abstained: {self.result.reason}" if self.result.reason else "abstained")
        elif self.required_met is False:
            missing = [p for p in self.item.required if not re.search(p, self.result.answer, re.IGNORECASE)]
            problems.append(f"missing required {', '.join(missing)}")
        elif not self.correct:
            problems.append("a quote differs from the stored text")
        if problems and self.answer_sentence is not None:
            problems.append(SENTENCE_PLACES[self.answer_sentence][1])
        bad = [c for c in self.citation_checks if not c.supported]
        if bad:
            problems.append(f"{len(bad)} of {len(self.citation_checks)} citations do not support their sentence")
        if self.unsupported:
            problems.append(f"{self.unsupported} unsupported sentence{'s' if self.unsupported > 1 else ''} shown")
        return problems

    def as_record(self, k: int) -> dict:
        rank = self.rank
        return {
            "id": self.item.id, "line": self.item.line, "collection": self.item.collection,
            "kind": "answer" if self.item.answerable else "abstain", "question": self.item.question,
            "answer": self.result.answer, "mode": self.result.mode, "reason": self.result.reason,
            "expected_sources": list(self.item.expected_sources), "expected_doc_ids": sorted(self.expected),
            "retrieved_doc_ids": self.retrieved, "copy_doc_ids": self.copies, "rank": rank,
            "hit": rank is not None if self.item.expected_sources else None,
            "reciprocal_rank": (1 / rank if rank else 0.0) if self.item.expected_sources else None,
            "required": list(self.item.required), "required_met": self.required_met,
            "citations": [c.as_dict() for c in self.citation_checks],
            "unsupported_sentences": self.unsupported, "correct": self.correct,
            "seconds": round(self.seconds, 3), "answer_sentence": self.answer_sentence, "problems": self.problems(k),
        }


def citations_valid(result: AnswerResult, collection: Collection) -> bool:
    """Every [n] in the answer has a citation whose quote is exactly the stored text at its offsets."""
    by_number = {c.n: c for c in result.citations}
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
    if not markers or not markers <= set(by_number):
        return False
    return all(
        collection.document_text(c.doc_id)[c.start : c.end] == c.quote for c in result.citations
    )


def _day_line_backed(text: str, citation: Citation | None) -> bool:
    """A computed day line checked against a citation it names (none: an unknown number)."""
    return citation is not None and day_line_holds(text, citation.quote, citation.date)


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
    by_number = {c.n: c for c in result.citations}
    for part in result.parts:
        if part.computed:
            bad += not all(_day_line_backed(part.text, by_number.get(n)) for n in part.citations)
        elif part.generated:
            bad += part.text not in supported
        else:
            bad += quotes.get(part.citations[0]) != part.text
    return bad


def has_required(item: GoldItem, answer: str) -> bool:
    return all(re.search(pattern, answer, flags=re.IGNORECASE) for pattern in item.required)


# Where the sentence that holds all of an answerable question's required facts stands for the
# reader: ranked first, second or third (the model is shown at most three), lower, in an expected
# article but in no passage read, or in no one sentence of the expected articles (the facts are
# spread). Counted, these tell a wrong sentence chosen from a right one never read, without
# reading the questions (a held-out split's failures are not read).
SENTENCE_PLACES = {  # place: (in a count, in a failing question's reasons)
    "first": ("ranked first", "the sentence with the answer was ranked first"),
    "runner-up": ("second or third", "the sentence with the answer was ranked second or third"),
    "lower": ("below the third", "the sentence with the answer was ranked below the third"),
    "not read": ("in no passage read", "the sentence with the answer is in an expected article, in no passage read"),
    "spread": ("spread over sentences", "no one sentence of the expected articles holds every required fact"),
}


def answer_sentence(
    item: GoldItem, rank: Callable[[], list[Evidence]], collection: Collection, expected: set[int], shown: int
) -> str | None:
    """The place (SENTENCE_PLACES) of the best-ranked sentence holding all of `item`'s required
    facts among the evidence `rank` gives, of which the first `shown` are shown to the model; None
    (and nothing ranked) for an unanswerable item or one without required facts or expected
    articles."""
    if not item.answerable or not item.required or not expected:
        return None
    place = next((i for i, e in enumerate(rank()) if has_required(item, e.text)), None)
    if place is not None:
        return "first" if place == 0 else "runner-up" if place < shown else "lower"
    for doc_id in sorted(expected):
        if any(has_required(item, row.text) for row in collection.sentences(doc_id, 0, _LAST_ORDINAL)):
            return "not read"
    return "spread"


_LAST_ORDINAL = 2**62  # every sentence of a document


def grade(
    item: GoldItem,
    result: AnswerResult,
    collection: Collection,
    seconds: float,
    retrieved: list[int] | None = None,
    expected: set[int] | None = None,
    citation_checks: list[CitationCheck] | None = None,
) -> Outcome:
    unsupported = unsupported_in_answer(result)
    retrieved, expected, citation_checks = retrieved or [], expected or set(), citation_checks or []
    if not item.answerable:
        return Outcome(item, result, result.mode == "abstained", unsupported, None, seconds, retrieved, expected,
                       citation_checks=citation_checks)
    answered = result.mode != "abstained"
    has_all = answered and has_required(item, result.answer)
    correct = has_all and citations_valid(result, collection)
    cites = None
    if answered and item.expected_sources:
        cites = any(Path(c.source).name in item.expected_sources for c in result.citations)
    required_met = has_all if item.required else None
    return Outcome(item, result, correct, unsupported, cites, seconds, retrieved, expected, required_met, citation_checks)


# ----- totals ------------------------------------------------------------------------------------


@dataclass
class Scores:
    answered_correctly: int = 0
    answerable: int = 0
    abstained_correctly: int = 0
    unanswerable: int = 0
    false_abstentions: int = 0  # answer lines abstained on
    wrong_from_expected: int = 0  # answered wrongly, quoting or citing an expected article: the wrong sentence
    wrong_elsewhere: int = 0  # answered wrongly from other articles only
    answer_sentences: dict[str, int] = field(default_factory=dict)  # SENTENCE_PLACES -> answerable questions
    unsupported_in_answer: int = 0
    generated: int = 0  # correct answers written wholly by the model
    mixed: int = 0  # correct answers partly written, partly quoted
    cites_expected: int = 0
    with_expected: int = 0
    retrieval_hits: int = 0  # lines with expected sources and one of them in the top k
    with_sources: int = 0  # lines with expected sources
    reciprocal_ranks: float = 0.0
    required_met: int = 0
    with_required: int = 0
    citations_supported: int = 0
    citations: int = 0
    seconds: float = 0.0
    times: list[float] = field(default_factory=list)
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

    @property
    def recall(self) -> float | None:
        return self.retrieval_hits / self.with_sources if self.with_sources else None

    @property
    def mrr(self) -> float | None:
        return self.reciprocal_ranks / self.with_sources if self.with_sources else None

    @property
    def required_share(self) -> float | None:
        return self.required_met / self.with_required if self.with_required else None

    @property
    def citation_precision(self) -> float | None:
        return self.citations_supported / self.citations if self.citations else None

    @property
    def false_abstention_rate(self) -> float | None:
        return self.false_abstentions / self.answerable if self.answerable else None

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.times) if self.times else 0.0

    def where_wrong(self) -> str:
        """Where the answers go wrong, in counts: a held-out split's failures are not read, these are."""
        return (
            f"answerable {self.answerable}: {self.answered_correctly} correct, {self.false_abstentions} abstained,"
            f" {self.wrong_from_expected} wrong from an expected article, {self.wrong_elsewhere} wrong from others;"
            f" unanswerable {self.unanswerable}: {self.unanswerable - self.abstained_correctly} answered"
        )

    def where_answers_stand(self) -> str:
        """Where the sentence holding each answer's required facts stood, in counts."""
        placed = ", ".join(f"{words} {self.answer_sentences[place]}" for place, (words, _) in SENTENCE_PLACES.items()
                           if place in self.answer_sentences)
        return f"the sentence with the answer: {placed}" if placed else ""

    def summary(self) -> str:
        return (
            f"answered correctly, cited: {self.answered_correctly}/{self.answerable} ({self.answer_rate:.0%});"
            f" abstained when it should: {self.abstained_correctly}/{self.unanswerable} ({self.abstain_rate:.0%});"
            f" unsupported sentences shown: {self.unsupported_in_answer};"
            f" generated: {self.generated}/{self.answered_correctly} ({self.generated_share:.0%}), mixed {self.mixed};"
            f" cited an expected article: {self.cites_expected}/{self.with_expected};"
            f" retrieval hits: {self.retrieval_hits}/{self.with_sources};"
            f" {self.seconds / max(self.questions, 1):.1f} s/question"
        )

    def as_dict(self) -> dict:
        def rounded(value: float | None, places: int = 3) -> float | None:
            return None if value is None else round(value, places)

        return {
            "questions": self.questions,
            "answered_correctly": self.answered_correctly, "answerable": self.answerable,
            "abstained_correctly": self.abstained_correctly, "unanswerable": self.unanswerable,
            "abstention_accuracy": rounded(self.abstain_rate if self.unanswerable else None),
            "false_abstentions": self.false_abstentions, "false_abstention_rate": rounded(self.false_abstention_rate),
            "wrong_from_expected": self.wrong_from_expected, "wrong_elsewhere": self.wrong_elsewhere,
            "answer_sentences": dict(self.answer_sentences),
            "unsupported_in_answer": self.unsupported_in_answer, "generated": self.generated, "mixed": self.mixed,
            "cites_expected": self.cites_expected, "with_expected": self.with_expected,
            "retrieval_hits": self.retrieval_hits, "with_sources": self.with_sources,
            "recall_at_k": rounded(self.recall), "mrr_at_k": rounded(self.mrr),
            "required_met": self.required_met, "with_required": self.with_required,
            "required_share": rounded(self.required_share),
            "citations_supported": self.citations_supported, "citations": self.citations,
            "citation_precision": rounded(self.citation_precision),
            "seconds_per_question": round(self.seconds / max(self.questions, 1), 2),
            "seconds_median": round(self.median_seconds, 3), "seconds_total": round(self.seconds, 2),
        }


def tally(outcomes: Iterable[Outcome], k: int = 5) -> Scores:
    scores = Scores()
    for outcome in outcomes:
        item, result = outcome.item, outcome.result
        scores.questions += 1
        scores.seconds += outcome.seconds
        scores.times.append(outcome.seconds)
        scores.unsupported_in_answer += outcome.unsupported
        if outcome.cites_expected is not None:
            scores.with_expected += 1
            scores.cites_expected += outcome.cites_expected
        if item.expected_sources:
            rank = outcome.rank
            scores.with_sources += 1
            scores.retrieval_hits += rank is not None
            scores.reciprocal_ranks += 1 / rank if rank else 0.0
        if outcome.required_met is not None:
            scores.with_required += 1
            scores.required_met += outcome.required_met
        scores.citations += len(outcome.citation_checks)
        scores.citations_supported += sum(c.supported for c in outcome.citation_checks)
        if outcome.answer_sentence is not None:
            scores.answer_sentences[outcome.answer_sentence] = scores.answer_sentences.get(outcome.answer_sentence, 0) + 1
        if item.answerable:
            scores.answerable += 1
            scores.false_abstentions += outcome.abstained
            if outcome.correct:
                scores.answered_correctly += 1
                scores.generated += result.mode == "generated"
                scores.mixed += result.mode == "mixed"
            elif not outcome.abstained:
                scores.wrong_from_expected += bool(outcome.cites_expected)
                scores.wrong_elsewhere += not outcome.cites_expected
        else:
            scores.unanswerable += 1
            scores.abstained_correctly += outcome.correct
        problems = outcome.problems(k)
        if problems:
            scores.failures.append(f"{item.id} [{result.mode}] {item.question} -> {result.answer[:200]} ({'; '.join(problems)})")
    return scores


# ----- running -----------------------------------------------------------------------------------


@dataclass
class Engine:
    """What answering needs, loaded once for a whole gold file."""

    embedder: Embedder
    generator: Generator
    policy: AnswerPolicy
    max_tokens: int = 96


def evaluate(
    items: list[GoldItem],
    stores: Mapping[str, Collection],
    engine: Engine,
    k: int = 5,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Retrieve for and answer every item in its collection (`item.collection`, a key of
    `stores`), then grade it. Timed: the answer, as `qa ask` gives it; the extra top-k search
    for recall and the citation checks are not counted."""
    from qa.answer import answer_question
    from qa.question import analyze
    from qa.retrieve import search

    documents = {name: [(d.id, d.source) for d in store.documents()] for name, store in stores.items()}
    outcomes = []
    for item in items:
        store = stores[item.collection or ""]
        started = time.perf_counter()
        result = answer_question(item.question, store, engine.embedder, engine.generator,
                                 max_tokens=engine.max_tokens, policy=engine.policy)
        seconds = time.perf_counter() - started
        asked = analyze(item.question)
        hits = search(store, engine.embedder, asked.text, k)
        checks = check_citations(result, store, engine.embedder, engine.policy)
        expected = expected_documents(item, documents[item.collection or ""])
        outcome = grade(item, result, store, seconds, [h.passage.doc_id for h in hits], expected, checks)
        outcome.copies = [[copy.doc_id for copy in h.copies] for h in hits]
        outcome.answer_sentence = answer_sentence(
            item, lambda: rank_evidence(asked, store, engine.embedder, engine.policy)[1], store, expected,
            engine.policy.evidence.max_evidence,
        )
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    return outcomes


def run_gold(settings: Settings, corpus: list[Path], gold: list[Path], model: str | None = None) -> tuple[Scores, list[Outcome]]:
    """Index `corpus` into settings' collection, answer every gold question, return (scores, outcomes)."""
    from qa.embed import load_embedder
    from qa.generate import load_generator
    from qa.indexer import index_paths, manifest_for
    from qa.policy import default_policy

    embedder = load_embedder(settings)
    index_paths(settings, embedder, [str(path) for path in corpus])
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    generator = load_generator(model, settings.model, threads=settings.threads)
    engine = Engine(embedder, generator, default_policy())
    items = in_collection(load_gold(gold), settings.collection)
    outcomes = evaluate(items, {settings.collection: store}, engine)
    return tally(outcomes), outcomes


# ----- reports -----------------------------------------------------------------------------------


def by_collection(outcomes: list[Outcome], k: int) -> dict[str, Scores]:
    """Scores per collection (in first-seen order), then "overall"."""
    names = list(dict.fromkeys(o.item.collection or "" for o in outcomes))
    groups = {name: tally((o for o in outcomes if (o.item.collection or "") == name), k) for name in names}
    groups["overall"] = tally(outcomes, k)
    return groups
