"""Which source sentences a summary uses: salience, MMR, the shortlist the model sees, the fill-up."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa import evidence as ev
from qa.answer import Part
from qa.citations import quote
from qa.grounding import CheckedSentence
from qa.policy import DEFAULT_POLICY, SummaryPolicy
from qa.textmatch import digit_numbers, names, words

if TYPE_CHECKING:
    import numpy as np


# Fixed facts of news prose, not tuned: the lead is the first three sentences; fact density counts
# at most 3 numbers and 4 names; under 8 words is a caption or a fragment.
LEAD_SENTENCES = 3
MAX_NUMBERS_COUNTED = 3
MAX_NAMES_COUNTED = 4
SHORT_SENTENCE_WORDS = 8
# a one-sentence summary still gets a few candidates, as most drafts fail verification
MIN_CANDIDATES = 6


def mmr(
    salience: list[float], similarity: np.ndarray, count: int, balance: float = DEFAULT_POLICY.summary.mmr_lambda,
    exclude: AbstractSet[int] = frozenset(), chosen: list[int] | None = None,
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
    vectors: np.ndarray,
    pool: list[ev.Evidence],
    policy: SummaryPolicy,
    topic_vector: np.ndarray | None = None,
    title_vectors: np.ndarray | None = None,
) -> list[float]:
    """Centrality (cosine to the pool's centroid), relevance to the topic or to the article's
    headline, fact density, and a small lead bonus."""
    import numpy as np

    scores = centrality(vectors)
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


def centrality(vectors: np.ndarray) -> np.ndarray:
    """Each row's cosine with the rows' centroid (rows are unit vectors): how central it is."""
    import numpy as np

    centroid = vectors.mean(axis=0)
    return vectors @ (centroid / (np.linalg.norm(centroid) or 1.0))


def fact_density(text: str, policy: SummaryPolicy) -> float:
    """News summaries report facts: reward numbers and names, penalize short or fact-free lines."""
    count = len(words(text))
    facts = policy.number_bonus * min(len(digit_numbers(text)), MAX_NUMBERS_COUNTED) + policy.name_bonus * min(
        len(names(text)), MAX_NAMES_COUNTED
    )
    return facts - (policy.short_penalty if count < SHORT_SENTENCE_WORDS else 0.0)


def number(pool: list[ev.Evidence]) -> list[ev.Evidence]:
    """Document order, numbered 1..n once for the whole run."""
    pool.sort(key=lambda e: (e.doc_id, e.ordinal))
    for n, item in enumerate(pool, start=1):
        item.n = n
    return pool


@dataclass
class Shortlist:
    """The numbered sentences a summary is made from, in the order the model would see them, and
    where each came from in the pool: its row of the salience scores and of the vectors."""

    items: list[ev.Evidence]
    row: dict[int, int]  # citation number -> pool row

    def shown(self, salience: list[float], scope: str, count: int, policy: SummaryPolicy) -> list[ev.Evidence]:
        """What the model is shown: for a document or a topic, only the most salient few (in the
        same order), within `model_quote_chars`; the rest stay candidates for the quotes that
        complete the summary."""
        if scope == "collection":
            return self.items
        wanted = max(policy.model_quotes_per_sentence * count, MIN_CANDIDATES)
        best_first = sorted(self.items, key=lambda item: -salience[self.row[item.n]])[:wanted]
        chosen: set[int] = set()
        size = 0
        for item in best_first:  # within the characters the model reads quickly; a long quote is skipped
            if chosen and size + len(item.text) > policy.model_quote_chars:
                continue
            chosen.add(item.n)
            size += len(item.text)
        return [item for item in self.items if item.n in chosen]


def shortlist(
    pool: list[ev.Evidence], salience: list[float], similarity_matrix: np.ndarray, scope: str, count: int,
    policy: SummaryPolicy,
) -> Shortlist:
    """The sentences worth the model's time, numbered in document order."""
    rows = _shortlist_rows(pool, salience, similarity_matrix, scope, count, policy)
    items = number([pool[i] for i in rows])
    row = {pool[i].n: i for i in rows}
    if scope == "topic":  # most relevant quotes first; their numbers stay in document order
        items.sort(key=lambda item: -salience[row[item.n]])
    return Shortlist(items, row)


def _shortlist_rows(
    pool: list[ev.Evidence], salience: list[float], similarity_matrix: np.ndarray, scope: str, count: int,
    policy: SummaryPolicy,
) -> list[int]:
    """Bound the model's work: for a document or a topic, its most salient sentences (about the
    topic); for a whole collection, the most salient sentences of each document."""
    if scope != "collection":
        wanted = max(policy.candidates_per_sentence * count, MIN_CANDIDATES)
        return sorted(sorted(range(len(pool)), key=lambda i: -salience[i])[:wanted])
    if len(pool) <= policy.max_pool:
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


def dedupe(sentences: list[CheckedSentence]) -> list[CheckedSentence]:
    """Keep one generated sentence per cited quote."""
    kept: list[CheckedSentence] = []
    seen_citations: set[int] = set()
    for sentence in sentences:
        if sentence.citations[0] in seen_citations:
            continue
        seen_citations.add(sentence.citations[0])
        kept.append(sentence)
    return kept


def complete(
    kept: list[CheckedSentence],
    shortlisted: Shortlist,
    salience: list[float],
    similarity_matrix: np.ndarray,
    count: int,
    word_budget: int | None,
    balance: float,
) -> list[Part]:
    """The summary's sentences: the kept generated ones, filled up with quoted central sentences
    (MMR) to `count` sentences or to `word_budget` words, avoiding quotes the kept sentences cite."""
    final = [Part(s.text, s.citations, True) for s in kept]
    cited = {n for s in kept for n in s.citations}
    rows = [shortlisted.row[item.n] for item in shortlisted.items]
    local_salience = [salience[i] for i in rows]
    local_similarity = similarity_matrix[rows][:, rows]
    chosen = [k for k, item in enumerate(shortlisted.items) if item.n in cited]
    order = mmr(local_salience, local_similarity, len(shortlisted.items), balance, chosen=chosen)

    def size() -> int:
        return sum(len(part.text.split()) for part in final)  # words as a reader counts them

    for k in order:
        if word_budget is None and len(final) >= count:
            break
        if word_budget is not None and size() >= word_budget:
            break
        item = shortlisted.items[k]
        final.append(Part(quote(item.text), [item.n], False))
    return final
