"""Cited summaries of a document, a collection or a topic, by map-reduce over numbered sentences.

Every source sentence gets one number for the whole run. Map steps see groups of sentences under
those numbers; reduce steps see the verified map sentences under the numbers they cite; every
sentence is verified against the original sentences it cites. Citations are never renumbered, so
a final [n] always points at source sentence n and its exact quote.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa import evidence as ev
from qa import prompts
from qa.answer import ABSTAIN_TEXT, AnswerResult, Part
from qa.citations import parse_answer, quote, with_markers
from qa.embed import Embedder
from qa.errors import QAError
from qa.generate import Generator, generate_text
from qa.grounding import CheckedSentence, Citation, check_sentences, citation_for
from qa.policy import DEFAULT_POLICY, AnswerPolicy, SummaryPolicy, default_policy
from qa.retrieve import search
from qa.store.collection import Collection, Scope
from qa.textmatch import content_stems, digit_numbers, names, words

if TYPE_CHECKING:
    import numpy as np


# Fixed facts of news prose, not tuned: the lead is the first three sentences; a summary sentence
# runs about 25 words; fact density counts at most 3 numbers and 4 names; under 8 words is a
# caption or a fragment.
LEAD_SENTENCES = 3
WORDS_PER_SENTENCE = 25
MAX_NUMBERS_COUNTED = 3
MAX_NAMES_COUNTED = 4
SHORT_SENTENCE_WORDS = 8


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


# ----- the pool of source sentences -----------------------------------------------------------


def document_pool(collection: Collection, target: str, policy: AnswerPolicy) -> tuple[list[ev.Evidence], str]:
    from qa.indexer import resolve_document

    document = resolve_document(collection, target)
    passages = collection.passages(collection.document_passage_ids(document.id))
    ordered = sorted(passages.values(), key=lambda p: p.ordinal)
    return ev.gather(collection, ordered, policy.evidence), document.title


def collection_pool(collection: Collection, policy: AnswerPolicy, scope: Scope | None = None) -> list[ev.Evidence]:
    """Every passage of a small collection; of a large one, central and varied passages chosen by
    MMR over the stored passage vectors, so nothing is re-embedded beyond `collection_passages`.
    With a `scope`, the passages of its documents only."""
    limit = policy.summary.collection_passages
    import numpy as np

    passage_ids, matrix = collection.all_vectors()
    if scope is not None:
        chosen = np.isin(passage_ids, collection.scope_passage_ids(scope))
        passage_ids, matrix = passage_ids[chosen], matrix[chosen]
    if len(passage_ids) > limit:
        centroid = matrix.mean(axis=0)
        salience = matrix @ (centroid / (np.linalg.norm(centroid) or 1.0))
        candidates = np.argsort(-salience)[: 10 * limit]  # MMR is quadratic: a bounded candidate set
        sub = matrix[candidates]
        picked = mmr([float(salience[i]) for i in candidates], sub @ sub.T, limit, policy.summary.mmr_lambda)
        passage_ids = [int(passage_ids[candidates[i]]) for i in picked]
    rows = collection.passages([int(i) for i in passage_ids])
    return ev.gather(collection, sorted(rows.values(), key=lambda p: (p.doc_id, p.ordinal)), policy.evidence)


def topic_pool(
    collection: Collection, embedder: Embedder, topic: str, policy: AnswerPolicy, scope: Scope | None = None
) -> list[ev.Evidence]:
    hits = search(collection, embedder, topic, policy.summary.topic_passages, scope=scope)
    return ev.gather(collection, [hit.passage for hit in hits], policy.evidence)


def number(pool: list[ev.Evidence]) -> list[ev.Evidence]:
    """Document order, numbered 1..n once for the whole run."""
    pool.sort(key=lambda e: (e.doc_id, e.ordinal))
    for n, item in enumerate(pool, start=1):
        item.n = n
    return pool


# ----- salience and MMR ------------------------------------------------------------------------


def mmr(
    salience: list[float], similarity: "np.ndarray", count: int, balance: float = DEFAULT_POLICY.summary.mmr_lambda,
    exclude: set[int] = frozenset(), chosen: list[int] | None = None,
) -> list[int]:
    """Maximal marginal relevance: salient, and unlike what is already chosen. Pure."""
    chosen = list(chosen or [])
    picked: list[int] = []
    candidates = [i for i in range(len(salience)) if i not in exclude and i not in chosen]
    while candidates and len(picked) < count:
        def gain(i: int) -> float:
            redundancy = max((float(similarity[i, j]) for j in chosen + picked), default=0.0)
            return balance * salience[i] - (1 - balance) * redundancy

        best = max(candidates, key=gain)
        picked.append(best)
        candidates.remove(best)
    return picked


def salience_scores(
    vectors: "np.ndarray", pool: list[ev.Evidence], policy: SummaryPolicy, topic_vector=None, title_vectors=None
) -> list[float]:
    """Centrality (cosine to the pool's centroid), relevance to the topic or to the article's
    headline, fact density, and a small lead bonus."""
    import numpy as np

    centroid = vectors.mean(axis=0)
    centroid = centroid / (np.linalg.norm(centroid) or 1.0)
    scores = vectors @ centroid
    if topic_vector is not None:
        scores = (1 - policy.topic_weight) * scores + policy.topic_weight * (vectors @ topic_vector)
    elif title_vectors is not None:
        scores = scores + policy.title_weight * np.einsum("ij,ij->i", vectors, title_vectors)
    firsts: dict[int, int] = {}
    for item in pool:
        firsts.setdefault(item.doc_id, item.ordinal)
    bonus = [
        (policy.lead_bonus if item.ordinal - firsts[item.doc_id] < LEAD_SENTENCES else 0.0) + fact_density(item.text, policy)
        for item in pool
    ]
    return [float(s) + b for s, b in zip(scores, bonus)]


def fact_density(text: str, policy: SummaryPolicy) -> float:
    """News summaries report facts: reward numbers and names, penalize short or fact-free lines."""
    count = len(words(text))
    facts = policy.number_bonus * min(len(digit_numbers(text)), MAX_NUMBERS_COUNTED) + policy.name_bonus * min(
        len(names(text)), MAX_NAMES_COUNTED
    )
    return facts - (policy.short_penalty if count < SHORT_SENTENCE_WORDS else 0.0)


# ----- map-reduce ------------------------------------------------------------------------------


def groups(labelled: list[tuple[int, str]], limit: int) -> list[list[tuple[int, str]]]:
    """Consecutive (number, text) items in groups of at most `limit` characters (at least one each)."""
    out: list[list[tuple[int, str]]] = [[]]
    size = 0
    for number, text in labelled:
        if out[-1] and size + len(text) > limit:
            out.append([])
            size = 0
        out[-1].append((number, text))
        size += len(text)
    return [group for group in out if group]


def _messages(labelled: list[tuple[int, str]], count: int, scope: str) -> list[dict[str, str]]:
    quoted = "\n".join(f"[{n}] {' '.join(text.split())}" for n, text in labelled)
    return [
        {"role": "system", "content": prompts.SUMMARY_SYSTEM.format(count=count)},
        {"role": "user", "content": prompts.SUMMARY_USER.format(evidence=quoted, scope=scope, count=count)},
    ]


def map_reduce(
    pool: list[ev.Evidence],
    count: int,
    scope: str,
    generator: Generator,
    similarity: Callable[[str, list[int]], float],
    max_tokens: int,
    policy: AnswerPolicy,
    on_text: Callable[[str], None] | None = None,
) -> list[CheckedSentence]:
    """All generated sentences of the final step, each verified against the original quotes."""

    def step(labelled: list[tuple[int, str]]) -> list[CheckedSentence]:
        valid = {n for n, _ in labelled}
        draft = generate_text(
            generator, _messages(labelled, count, scope), max_tokens=max_tokens,
            grammar=prompts.answer_grammar(sorted(valid), max_sentences=count), on_text=on_text,
        )
        if on_text:
            on_text("\n")
        # verified against `pool`, the original sentences, whatever the step was shown
        return check_sentences(parse_answer(draft, valid), pool, similarity, policy=policy.verify)

    limit = policy.summary.group_chars
    layer = groups([(item.n, item.text) for item in pool], limit)
    for _ in range(policy.summary.max_layers):
        results = [step(labelled) for labelled in layer]
        if len(layer) == 1:
            return results[0]
        # reduce: the verified sentences, each under the original number it cites
        merged: dict[int, list[str]] = {}
        for sentence in (s for result in results for s in result if s.supported):
            merged.setdefault(sentence.citations[0], []).append(sentence.text)
        if not merged:
            return [s for result in results for s in result]
        layer = groups(sorted((n, " ".join(texts)) for n, texts in merged.items()), limit)
    return [s for result in results for s in result]


def summarize(
    request: Request,
    collection: Collection,
    embedder: Embedder,
    generator: Generator,
    *,
    max_tokens: int = 200,
    on_text: Callable[[str], None] | None = None,
    policy: AnswerPolicy | None = None,
    scope: Scope | None = None,
) -> SummaryResult:
    """`scope`: for the collection and topic scopes, only these documents (the filters' choice)."""
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
    pool, title, topic_vector = _pool(request, collection, embedder, policy, scope)
    vectors = embedder.embed([item.text for item in pool])
    if topic_vector is not None and not _on_topic(request.target, pool, vectors, topic_vector, rules):
        elapsed = _ms(time.perf_counter() - started)
        timings = {"retrieve_ms": elapsed, "generate_ms": 0.0, "verify_ms": 0.0, "total_ms": elapsed}
        return SummaryResult(
            _question(request, title), f"The indexed articles do not cover {request.target}.", "abstained",
            [], [], model, timings, "no passage is about the topic", policy=policy.label(), scope=request.scope,
            target=request.target,
        )
    title_vectors = None if topic_vector is not None else _title_vectors(pool, embedder)
    salience = salience_scores(vectors, pool, rules, topic_vector, title_vectors)
    similarity_matrix = vectors @ vectors.T
    count = request.sentences if request.words is None else max(1, request.words // WORDS_PER_SENTENCE)
    shortlist = number([pool[i] for i in _shortlist(pool, salience, similarity_matrix, request.scope, count, rules)])
    index_of = {id(item): i for i, item in enumerate(pool)}
    if request.scope == "topic":  # most relevant quotes first; their numbers stay in document order
        shortlist.sort(key=lambda item: -salience[index_of[id(item)]])
    by_number = {item.n: item for item in shortlist}
    retrieved = time.perf_counter()

    def similarity(text: str, cited: list[int]) -> float:
        vector = embedder.embed([text])[0]
        return max(float(vector @ vectors[index_of[id(by_number[n])]]) for n in cited)

    checked = map_reduce(shortlist, count, request.describe(title), generator, similarity, max_tokens, policy, on_text)
    generated = time.perf_counter()
    kept = _dedupe([s for s in checked if s.supported])[:count]
    final = _complete(kept, shortlist, salience, similarity_matrix, index_of, count, request.words, rules.mmr_lambda)
    answer, citations = _assemble(final, by_number)
    timings = {
        "retrieve_ms": _ms(retrieved - started),
        "generate_ms": _ms(generated - retrieved),
        "verify_ms": _ms(time.perf_counter() - generated),
        "total_ms": _ms(time.perf_counter() - started),
    }
    mode = "generated" if any(is_generated for _, _, is_generated in final) else "extractive"
    return SummaryResult(
        _question(request, title), answer, mode, checked, citations, model, timings, policy=policy.label(),
        parts=[Part(text, cited, is_generated) for text, cited, is_generated in final],
        scope=request.scope, target=request.target,
    )


def _pool(request: Request, collection: Collection, embedder: Embedder, policy: AnswerPolicy, scope: Scope | None):
    """Source sentences for the request (headlines left out), the document title, the topic vector."""
    title, topic_vector = "", None
    if request.scope == "document":
        pool, title = document_pool(collection, request.target, policy)
    elif request.scope == "topic":
        pool = topic_pool(collection, embedder, request.target, policy, scope)
        topic_vector = embedder.embed([request.target])[0]
    else:
        pool = collection_pool(collection, policy, scope)
    pool = [item for item in pool if " ".join(item.text.split()) != " ".join(item.title.split())]
    if not pool:
        raise QAError("nothing to summarize: no sentences beyond titles; index articles first")
    return pool, title, topic_vector


def _title_vectors(pool: list[ev.Evidence], embedder: Embedder) -> "np.ndarray":
    import numpy as np

    titles = sorted({item.title for item in pool})
    by_title = dict(zip(titles, embedder.embed(titles)))
    return np.vstack([by_title[item.title] for item in pool])


def _assemble(final, by_number: dict[int, ev.Evidence]) -> tuple[str, list[Citation]]:
    """Sentences in document order with their markers, and one citation per number used."""
    final.sort(key=lambda entry: (by_number[entry[1][0]].doc_id, by_number[entry[1][0]].ordinal))
    answer = " ".join(with_markers(text, cited) for text, cited, _ in final)
    used = sorted({n for _, cited, _ in final for n in cited})
    return answer, [citation_for(by_number[n]) for n in used]


def _question(request: Request, title: str) -> str:
    return f"Summarize {request.describe(title)}"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _on_topic(topic: str, pool: list[ev.Evidence], vectors, topic_vector, policy: SummaryPolicy) -> bool:
    stems = content_stems(topic)
    best = max(float(v @ topic_vector) for v in vectors)
    mentioned = any(stems & content_stems(ev.in_context(item)) for item in pool)
    return best >= policy.topic_min_similarity and mentioned


def _shortlist(pool, salience, similarity_matrix, scope: str, count: int, policy: SummaryPolicy) -> list[int]:
    """Bound the model's work: for a topic, the sentences most about it; for a whole collection,
    the most salient sentences of each document."""
    if scope == "topic":
        # three candidates per wanted sentence: enough to replace the ones that fail verification
        return sorted(sorted(range(len(pool)), key=lambda i: -salience[i])[: max(3 * count, 6)])
    if scope != "collection" or len(pool) <= policy.max_pool:
        return list(range(len(pool)))
    by_document: dict[int, list[int]] = {}
    for i, item in enumerate(pool):
        by_document.setdefault(item.doc_id, []).append(i)
    picked: list[int] = []
    for indices in by_document.values():
        picked += sorted(indices, key=lambda i: -salience[i])[: policy.pool_per_document]
    if len(picked) > policy.max_pool:
        picked = mmr([salience[i] if i in set(picked) else -9.0 for i in range(len(pool))], similarity_matrix,
                     policy.max_pool, policy.mmr_lambda, exclude=set(range(len(pool))) - set(picked))
    return sorted(picked)


def _dedupe(sentences: list[CheckedSentence]) -> list[CheckedSentence]:
    """Keep one generated sentence per cited quote."""
    kept: list[CheckedSentence] = []
    seen_citations: set[int] = set()
    for sentence in sentences:
        if sentence.citations[0] in seen_citations:
            continue
        seen_citations.add(sentence.citations[0])
        kept.append(sentence)
    return kept


def _complete(kept, shortlist, salience, similarity_matrix, index_of, count, word_budget, balance: float):
    """Fill up with quoted central sentences (MMR), avoiding quotes the kept sentences cite."""
    final = [(s.text, s.citations, True) for s in kept]
    cited = {n for s in kept for n in s.citations}
    indices = [index_of[id(item)] for item in shortlist]
    local_salience = [salience[i] for i in indices]
    local_similarity = similarity_matrix[indices][:, indices]
    chosen = [k for k, item in enumerate(shortlist) if item.n in cited]
    order = mmr(local_salience, local_similarity, len(shortlist), balance, chosen=chosen)

    def size() -> int:
        return sum(len(text.split()) for text, _, _ in final)  # words as a reader counts them

    for k in order:
        if word_budget is None and len(final) >= count:
            break
        if word_budget is not None and size() >= word_budget:
            break
        item = shortlist[k]
        final.append((quote(item.text), [item.n], False))
    return final
