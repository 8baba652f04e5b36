"""Retrieve passages for a query: dense (FAISS) and keyword (FTS5 BM25), fused by weighted
reciprocal rank; a passage whose text repeats one ranked above it (a syndicated copy) is dropped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.embed import Embedder
from qa.policy import RetrievalPolicy, default_policy
from qa.store.collection import Collection, PassageRow, Scope

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Hit:
    passage: PassageRow
    score: float
    dense_score: float | None
    keyword_rank: int | None


def fuse(
    dense: list[tuple[int, float]], keyword: list[tuple[int, float]], k: int, policy: RetrievalPolicy | None = None
) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion: the sum of weight / (rrf_k + rank) over the lists an id is in."""
    policy = policy or default_policy().retrieval
    scores: dict[int, float] = {}
    for weight, ranking in ((1.0, dense), (policy.keyword_weight, keyword)):
        for rank, (passage_id, _) in enumerate(ranking, start=1):
            scores[passage_id] = scores.get(passage_id, 0.0) + weight / (policy.rrf_k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]


def _without_repeats(ranked: list[tuple[int, float]], rows: dict[int, PassageRow]) -> list[tuple[int, float]]:
    """Keep the first of passages with the same text (case and spacing aside): copies of one
    syndicated passage would fill the top k with one piece of evidence."""
    seen: set[str] = set()
    kept = []
    for passage_id, score in ranked:
        row = rows.get(passage_id)
        key = " ".join(row.text.lower().split()) if row is not None else str(passage_id)
        if key not in seen:
            seen.add(key)
            kept.append((passage_id, score))
    return kept


METHODS = ("hybrid", "dense", "keyword")


def search(
    collection: Collection, embedder: Embedder, query: str, k: int = 5, method: str = "hybrid", scope: Scope | None = None
) -> list[Hit]:
    """Top-k passages; the reported score is the dense cosine similarity, fusion decides order.

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
    ranked = {"hybrid": fuse(dense, keyword, 2 * k, policy), "dense": dense, "keyword": keyword}[method][: 2 * k]  # room for dropped repeats
    rows = collection.passages([pid for pid, _ in ranked])
    ranked = _without_repeats(ranked, rows)[:k]
    dense_scores = dict(dense)
    keyword_ranks = {passage_id: rank for rank, (passage_id, _) in enumerate(keyword, start=1)}
    missing = [pid for pid, _ in ranked if pid not in dense_scores]
    if missing:
        dense_scores.update(_cosines(collection, query_vector, missing))
    return [
        Hit(rows[pid], dense_scores.get(pid, 0.0), dense_scores.get(pid), keyword_ranks.get(pid))
        for pid, _ in ranked
        if pid in rows
    ]


def _cosines(collection: Collection, query_vector: np.ndarray, passage_ids: list[int]) -> dict[int, float]:
    return {passage_id: float(vector @ query_vector) for passage_id, vector in collection.stored_vectors(passage_ids).items()}

