"""Retrieve passages for a query: dense (FAISS) and keyword (FTS5 BM25), fused by weighted
reciprocal rank (text pasted to find its article is ranked by keywords first); a passage with
the same words as one ranked above it, or nearly the same content (a syndicated copy, another
outlet's report of one story), is folded into it as a copy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.embed import Embedder
from qa.policy import RetrievalPolicy, default_policy
from qa.question import analyze, is_lookup, is_question
from qa.store.collection import Collection, PassageRow, Scope

if TYPE_CHECKING:
    import numpy as np

# copies listed with a hit at most: a story syndicated to hundreds of sites is not listed in full
MAX_COPIES = 20


@dataclass(frozen=True)
class Hit:
    passage: PassageRow
    score: float
    dense_score: float | None
    keyword_rank: int | None
    # passages with the same words or nearly the same content, best first (qa search: "also in")
    copies: tuple[PassageRow, ...] = ()


def fuse(
    dense: list[tuple[int, float]], keyword: list[tuple[int, float]], k: int, policy: RetrievalPolicy | None = None,
    lookup: bool = False,
) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion: the sum of weight / (rrf_k + rank) over the lists an id is
    in. A `lookup` (text pasted to find its article) takes the keyword ranking as it is, and then
    the dense ranking's passages the keywords did not find."""
    policy = policy or default_policy().retrieval
    if lookup:
        found = {passage_id for passage_id, _ in keyword}
        return (keyword + [(passage_id, score) for passage_id, score in dense if passage_id not in found])[:k]
    scores: dict[int, float] = {}
    for weight, ranking in ((1.0, dense), (policy.keyword_weight, keyword)):
        for rank, (passage_id, _) in enumerate(ranking, start=1):
            scores[passage_id] = scores.get(passage_id, 0.0) + weight / (policy.rrf_k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]


Group = tuple[int, list[int]]  # a passage kept, and the passages folded into it as its copies


def fold_copies(
    ranked: list[tuple[int, float]], rows: dict[int, PassageRow], vectors: dict[int, np.ndarray], threshold: float
) -> list[Group]:
    """Walk the ranking best first; a passage with the same words as one kept above it (its text
    key) or a cosine of at least `threshold` with it is folded into that one as a copy. Syndicated
    copies and other outlets' reports of one story would fill the top k with one piece of evidence."""
    kept: list[Group] = []
    for passage_id, _ in ranked:
        row = rows.get(passage_id)
        if row is None:
            continue
        vector = vectors.get(passage_id)
        twin = next(
            (group for group in kept if same_words(row, rows[group[0]])
             or (vector is not None and group[0] in vectors and float(vector @ vectors[group[0]]) >= threshold)),
            None,
        )
        if twin is None:
            kept.append((passage_id, []))
        else:
            twin[1].append(passage_id)
    return kept


def same_words(a: PassageRow, b: PassageRow) -> bool:
    """The same words (case, spacing and punctuation aside)."""
    if a.text_key is not None and b.text_key is not None:
        return a.text_key == b.text_key
    return " ".join(a.text.lower().split()) == " ".join(b.text.lower().split())


METHODS = ("hybrid", "dense", "keyword")


def search(
    collection: Collection, embedder: Embedder, query: str, k: int = 5, method: str = "hybrid", scope: Scope | None = None,
    rescore: bool = True,
) -> list[Hit]:
    """Top-k passages; the reported score is the dense cosine similarity, fusion (and for a
    question, its best sentence) decides order. `rescore=False` keeps the fused order: qa ask
    reads those passages and scores their sentences itself.

    With a `scope` (the documents a filter leaves), both searches look only at its passages, so
    the top k are the best k of those, not what is left of the best k overall."""
    if k <= 0 or (scope is not None and scope.empty) or collection.is_empty():
        return []
    vectors = collection.vectors()
    if vectors.count == 0:
        return []
    policy = default_policy().retrieval
    depth = max(k * 4, policy.candidate_depth)
    query_vector = embedder.embed([query])[0]
    among = collection.scope_passage_ids(scope) if scope is not None else None
    # dense alone and keyword alone are there to compare with (`qa search --method`)
    dense = vectors.search(query_vector, depth, among) if method != "keyword" else []
    keyword = collection.keyword_search(query, depth, scope.doc_ids if scope is not None else None) if method != "dense" else []
    room = 4 * k  # copies folded into a passage above them leave room for k distinct ones
    if method == "hybrid":
        ranked = hybrid(collection, query, dense, keyword, room, policy, rescore)
    else:
        ranked = {"dense": dense, "keyword": keyword}[method][:room]
    ids = [pid for pid, _ in ranked]
    rows = collection.passages(ids)
    stored = collection.stored_vectors(ids)
    groups = fold_copies(ranked, rows, stored, policy.duplicate_cosine)[:k]
    copies = _copies_elsewhere(collection, groups, rows, scope)
    keyword_ranks = {passage_id: rank for rank, (passage_id, _) in enumerate(keyword, start=1)}
    dense_scores = dict(dense)
    hits = []
    for passage_id, _ in groups:
        if passage_id not in dense_scores and passage_id in stored:
            dense_scores[passage_id] = float(stored[passage_id] @ query_vector)
        cosine = dense_scores.get(passage_id)
        hits.append(Hit(rows[passage_id], cosine or 0.0, cosine, keyword_ranks.get(passage_id), copies[passage_id]))
    return hits


def hybrid(
    collection: Collection, query: str, dense: list[tuple[int, float]], keyword: list[tuple[int, float]], k: int,
    policy: RetrievalPolicy, rescore: bool = True,
) -> list[tuple[int, float]]:
    """The two rankings fused; for a question, the fused top `rescore_depth` then re-ordered by
    their best sentence as evidence for it (qa ask's scorer, by the words alone), the rest after
    them as they were."""
    depth = policy.rescore_depth if rescore and is_question(query) else 0
    ranked = fuse(dense, keyword, max(k, depth), policy, is_lookup(query, policy.lookup_min_words))
    if depth:
        from qa import evidence  # only a question needs it: a topic's search does not pay its import

        rows = collection.passages([pid for pid, _ in ranked[:depth]])
        top = [rows[pid] for pid, _ in ranked[:depth] if pid in rows]
        scores = dict(ranked)
        order = evidence.by_best_sentence(collection, analyze(query), top, default_policy().evidence)
        ranked = [(row.id, scores[row.id]) for row in order] + ranked[depth:]
    return ranked[:k]


def _copies_elsewhere(
    collection: Collection, groups: list[Group], rows: dict[int, PassageRow], scope: Scope | None
) -> dict[int, tuple[PassageRow, ...]]:
    """Each kept passage's copies: those folded into it, then the passages anywhere in the
    collection (within the scope) with the same words, found by their text key."""
    listed = {pid for kept, folded in groups for pid in (kept, *folded)}
    holders = collection.copies([key for pid, _ in groups if (key := rows[pid].text_key) is not None])
    same = {
        key: [pid for pid, doc_id in found if pid not in listed and (scope is None or doc_id in scope.doc_ids)][:MAX_COPIES]
        for key, found in holders.items()
    }
    rows = rows | collection.passages(sorted({pid for found in same.values() for pid in found}))
    copies: dict[int, tuple[PassageRow, ...]] = {}
    for kept, folded in groups:
        key = rows[kept].text_key
        elsewhere = same.get(key, []) if key is not None else []
        copies[kept] = tuple(rows[pid] for pid in folded + elsewhere if pid in rows)[:MAX_COPIES]
    return copies
