"""The source sentences a summary may quote: of one document, of a collection, or about a topic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa import evidence as ev
from qa.embed import Embedder
from qa.errors import QAError
from qa.policy import AnswerPolicy, SummaryPolicy
from qa.retrieve import search
from qa.store.collection import Collection, Scope
from qa.summary_choice import centrality, mmr
from qa.textmatch import content_stems

if TYPE_CHECKING:
    import numpy as np


def document_pool(
    collection: Collection, target: str, policy: AnswerPolicy, embedder: Embedder | None = None
) -> tuple[list[ev.Evidence], str]:
    """The sentences of one document (by id, source or path), in order, and its title: every
    sentence, or of a long document those of its central passages (see central_passages)."""
    document = collection.resolve(target)
    passage_ids = collection.document_passage_ids(document.id)
    if len(passage_ids) > policy.summary.document_passages:
        passage_ids = central_passages(collection, passage_ids, document.title, embedder, policy.summary)
    passages = collection.passages(passage_ids)
    ordered = sorted(passages.values(), key=lambda p: p.ordinal)
    return ev.gather(collection, ordered, policy.evidence), document.title


def central_passages(
    collection: Collection, passage_ids: list[int], title: str, embedder: Embedder | None, policy: SummaryPolicy
) -> list[int]:
    """A long document's passages worth summarizing, in document order: the first (the lead) and
    those closest to the whole document and to its headline, by their stored vectors, so a summary
    embeds the sentences of `document_passages` passages, not of the whole document."""
    import numpy as np

    stored = collection.stored_vectors(passage_ids)
    known = [pid for pid in passage_ids if pid in stored]
    if not known:
        return passage_ids
    matrix = np.vstack([stored[pid] for pid in known])
    scores = centrality(matrix)
    if embedder is not None and title.strip():
        scores = scores + policy.title_weight * (matrix @ embedder.embed([title])[0])
    chosen = {passage_ids[0]} | {known[i] for i in np.argsort(-scores)[: policy.document_passages - 1]}
    return [pid for pid in passage_ids if pid in chosen]


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
        salience = centrality(matrix)
        candidates = np.argsort(-salience)[: 10 * limit]  # MMR is quadratic: a bounded candidate set
        sub = matrix[candidates]
        picked = mmr([float(salience[i]) for i in candidates], sub @ sub.T, limit, policy.summary.mmr_lambda)
        passage_ids = passage_ids[candidates[picked]]
    rows = collection.passages([int(i) for i in passage_ids])
    return ev.gather(collection, sorted(rows.values(), key=lambda p: (p.doc_id, p.ordinal)), policy.evidence)


def topic_pool(
    collection: Collection, embedder: Embedder, topic: str, policy: AnswerPolicy, scope: Scope | None = None
) -> list[ev.Evidence]:
    """The sentences of the passages retrieved for the topic, best passage first."""
    hits = search(collection, embedder, topic, policy.summary.topic_passages, scope=scope, rescore=False)  # as qa ask reads
    return ev.gather(collection, [hit.passage for hit in hits], policy.evidence)


def pool_for(
    kind: str, target: str, collection: Collection, embedder: Embedder, policy: AnswerPolicy, scope: Scope | None
) -> tuple[list[ev.Evidence], str, np.ndarray | None]:
    """Source sentences for a request of this kind (document, collection or topic) and target,
    headlines left out; the document's title; the topic's vector."""
    title: str = ""
    topic_vector: np.ndarray | None = None
    if kind == "document":
        pool, title = document_pool(collection, target, policy, embedder)
    elif kind == "topic":
        pool = topic_pool(collection, embedder, target, policy, scope)
        topic_vector = embedder.embed([target])[0]
    else:
        pool = collection_pool(collection, policy, scope)
    pool = [item for item in pool if " ".join(item.text.split()) != " ".join(item.title.split())]
    if not pool:
        raise QAError("nothing to summarize: no sentences beyond titles; index articles first")
    return pool, title, topic_vector


def title_vectors(pool: list[ev.Evidence], embedder: Embedder) -> np.ndarray:
    """Each sentence's headline, embedded once per title."""
    import numpy as np

    titles = sorted({item.title for item in pool})
    by_title = dict(zip(titles, embedder.embed(titles)))
    return np.vstack([by_title[item.title] for item in pool])


def on_topic(
    topic: str, pool: list[ev.Evidence], vectors: np.ndarray, topic_vector: np.ndarray, policy: SummaryPolicy
) -> bool:
    """Some sentence is close to the topic, and some sentence (read with its title) names it."""
    stems = content_stems(topic)
    best = max(float(v @ topic_vector) for v in vectors)
    mentioned = any(stems & content_stems(ev.in_context(item)) for item in pool)
    return best >= policy.topic_min_similarity and mentioned
