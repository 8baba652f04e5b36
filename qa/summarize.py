"""Cited summaries of a document, a collection or a topic, by map-reduce over numbered sentences.

Every source sentence gets one number for the whole run. Map steps see groups of sentences under
those numbers; reduce steps see the verified map sentences under the numbers they cite; every
sentence is verified against the original sentences it cites. Citations are never renumbered, so
a final [n] always points at source sentence n and its exact quote.

This module is the front: the request, the result, and `summarize`, which ties together the pool
of source sentences (`qa.summary_pool`), salience and choice (`qa.summary_choice`) and the model's
map-reduce (`qa.summary_mapreduce`). Their public names are re-exported here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from qa import evidence as ev
from qa.answer import ABSTAIN_TEXT, AnswerResult, Part
from qa.embed import Embedder
from qa.generate import Generator
from qa.grounding import Citation, citation_for
from qa.policy import AnswerPolicy, default_policy
from qa.store.collection import Collection, Scope
from qa.summary_choice import (
    LEAD_SENTENCES,
    MAX_NAMES_COUNTED,
    MAX_NUMBERS_COUNTED,
    SHORT_SENTENCE_WORDS,
    complete,
    dedupe,
    fact_density,
    mmr,
    number,
    salience_scores,
    shortlist,
)
from qa.summary_mapreduce import groups, map_reduce
from qa.summary_pool import collection_pool, document_pool, on_topic, pool_for, title_vectors, topic_pool

__all__ = [
    "LEAD_SENTENCES", "MAX_NAMES_COUNTED", "MAX_NUMBERS_COUNTED", "SHORT_SENTENCE_WORDS", "WORDS_PER_SENTENCE",
    "Request", "SummaryResult", "collection_pool", "document_pool", "fact_density", "groups", "map_reduce", "mmr",
    "number", "salience_scores", "summarize", "topic_pool",
]

# A fixed fact of news prose, not tuned: a summary sentence runs about 25 words.
WORDS_PER_SENTENCE = 25


@dataclass
class SummaryResult(AnswerResult):
    scope: str = "document"
    target: str = ""


@dataclass(frozen=True)
class Request:
    scope: str  # document | collection | topic
    target: str
    sentences: int = 5
    words: int | None = None

    def describe(self, title: str = "") -> str:
        if self.scope == "document":
            return f"the article “{title}”" if title else "the article"
        if self.scope == "topic":
            return f"what the articles say about {self.target}"
        return "what the articles report"


def summarize(
    request: Request,
    collection: Collection,
    embedder: Embedder,
    generator: Generator,
    *,
    max_tokens: int | None = None,
    on_text: Callable[[str], None] | None = None,
    policy: AnswerPolicy | None = None,
    scope: Scope | None = None,
) -> SummaryResult:
    """`scope`: for the collection and topic scopes, only these documents (the filters' choice).
    `max_tokens` bounds each model call; by default the policy's tokens per sentence wanted."""
    policy = policy or default_policy()
    started = time.perf_counter()
    model = getattr(generator, "name", "unknown")
    rules = policy.summary
    if scope is not None and scope.empty:
        timings = {"retrieve_ms": 0.0, "generate_ms": 0.0, "verify_ms": 0.0, "total_ms": _ms(time.perf_counter() - started)}
        return SummaryResult(
            _question(request, ""), ABSTAIN_TEXT, "abstained", [], [], model, timings, scope.nothing_matches(),
            policy=policy.label(), scope=request.scope, target=request.target,
        )
    pool, title, topic_vector = pool_for(request.scope, request.target, collection, embedder, policy, scope)
    vectors = embedder.embed([item.text for item in pool])
    if topic_vector is not None and not on_topic(request.target, pool, vectors, topic_vector, rules):
        elapsed = _ms(time.perf_counter() - started)
        timings = {"retrieve_ms": elapsed, "generate_ms": 0.0, "verify_ms": 0.0, "total_ms": elapsed}
        return SummaryResult(
            _question(request, title), f"The indexed articles do not cover {request.target}.", "abstained",
            [], [], model, timings, "no passage is about the topic", policy=policy.label(), scope=request.scope,
            target=request.target,
        )
    title_matrix = None if topic_vector is not None else title_vectors(pool, embedder)
    salience = salience_scores(vectors, pool, rules, topic_vector, title_matrix)
    similarity_matrix = vectors @ vectors.T
    count = request.sentences if request.words is None else max(1, request.words // WORDS_PER_SENTENCE)
    shortlisted = shortlist(pool, salience, similarity_matrix, request.scope, count, rules)
    by_number = {item.n: item for item in shortlisted.items}
    retrieved = time.perf_counter()

    def similarity(text: str, cited: list[int]) -> float:
        vector = embedder.embed([text])[0]
        return max(float(vector @ vectors[shortlisted.row[n]]) for n in cited)

    shown = shortlisted.shown(salience, request.scope, count, rules)
    budget = max_tokens or rules.draft_tokens_per_sentence * count
    checked = map_reduce(shown, count, request.describe(title), generator, similarity, budget, policy, on_text)
    generated = time.perf_counter()
    kept = dedupe([s for s in checked if s.supported])[:count]
    final = complete(kept, shortlisted, salience, similarity_matrix, count, request.words, rules.mmr_lambda)
    answer, citations = _assemble(final, by_number)
    timings = {
        "retrieve_ms": _ms(retrieved - started),
        "generate_ms": _ms(generated - retrieved),
        "verify_ms": _ms(time.perf_counter() - generated),
        "total_ms": _ms(time.perf_counter() - started),
    }
    mode = "generated" if any(part.generated for part in final) else "extractive"
    return SummaryResult(
        _question(request, title), answer, mode, checked, citations, model, timings, policy=policy.label(),
        parts=final, scope=request.scope, target=request.target,
    )


def _assemble(final: list[Part], by_number: dict[int, ev.Evidence]) -> tuple[str, list[Citation]]:
    """Sentences in document order with their markers, and one citation per number used."""
    final.sort(key=lambda part: (by_number[part.citations[0]].doc_id, by_number[part.citations[0]].ordinal))
    answer = " ".join(part.shown() for part in final)
    used = sorted({n for part in final for n in part.citations})
    return answer, [citation_for(by_number[n]) for n in used]


def _question(request: Request, title: str) -> str:
    return f"Summarize {request.describe(title)}"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)

