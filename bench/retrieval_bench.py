"""Compare ways of ranking passages on a real collection: dense alone, keyword alone, and fusions.

Two query sets, both split in halves so a weight picked on the first is judged on the second:
- known items: an article's lead sentence (and, for long queries, its first paragraph) as the
  query; a hit is a passage of that article in the top k;
- questions: the news gold set's answerable questions (tests/data/news_gold), a hit is a
  passage of one of their expected articles in the top k.

    python bench/retrieval_bench.py --home DIR --collection bench-news [--queries 200] [-k 5]

The collection must already be indexed (bench/gold_eval.py --set news builds `bench-news`).
Prints recall@k and MRR@k per method and split; nothing is timed except the search itself.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

Ranking = list[tuple[int, float]]


def known_items(store, count: int, seed: int) -> list[tuple[str, set[int], str]]:
    """(query, the article's id, kind) for `count` articles with a lead sentence of 8+ words."""
    rng = random.Random(seed)
    ids = [row[0] for row in store.conn.execute("SELECT id FROM documents ORDER BY id")]
    rng.shuffle(ids)
    items = []
    for doc_id in ids:
        sentences = store.sentences(doc_id, 0, 5)
        lead = next((s.text for s in sentences if len(s.text.split()) >= 8), None)
        if lead is None:
            continue
        items.append((lead, {doc_id}, "lead"))
        if len(items) >= count:
            break
    paragraphs = []
    for _, ids_, _ in items[: count // 4]:
        doc_id = next(iter(ids_))
        text = " ".join(s.text for s in store.sentences(doc_id, 0, 3))
        paragraphs.append((text, ids_, "paragraph"))
    return items + paragraphs


def titles(store, count: int, seed: int) -> list[tuple[str, set[int], str]]:
    """An article's title as the query (how a person looks for an article they remember)."""
    rng = random.Random(seed + 1)
    rows = store.conn.execute("SELECT id, title FROM documents ORDER BY id").fetchall()
    rng.shuffle(rows)
    return [(title, {doc_id}, "title") for doc_id, title in rows if len(title.split()) >= 4][:count]


def gold_questions(store) -> list[tuple[str, set[int], str, str]]:
    by_name = {Path(row[1]).name: row[0] for row in store.conn.execute("SELECT id, source FROM documents")}
    questions = []
    for split in ("tune", "heldout"):
        for line in (REPO / "tests/data/news_gold" / f"{split}.jsonl").read_text().splitlines():
            item = json.loads(line)
            expected = {by_name[name] for name in item.get("expected_sources", []) if name in by_name}
            if item["kind"] == "answer" and expected:
                questions.append((item["question"], expected, "question", split))
    return questions


def minmax(scores: dict[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    return {pid: (s - low) / (high - low) if high > low else 1.0 for pid, s in scores.items()}


def rrf(dense: Ranking, keyword: Ranking, k_rrf: int = 60, keyword_weight: float = 1.0) -> Ranking:
    scores: dict[int, float] = {}
    for weight, ranking in ((1.0, dense), (keyword_weight, keyword)):
        for rank, (pid, _) in enumerate(ranking, start=1):
            scores[pid] = scores.get(pid, 0.0) + weight / (k_rrf + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def convex(dense: Ranking, keyword: Ranking, alpha: float) -> Ranking:
    """alpha * min-max(dense cosine) + (1 - alpha) * min-max(bm25); absent from a list = 0."""
    d, kw = minmax(dict(dense)), minmax(dict(keyword))
    ids = set(d) | set(kw)
    return sorted(((pid, alpha * d.get(pid, 0.0) + (1 - alpha) * kw.get(pid, 0.0)) for pid in ids), key=lambda x: -x[1])


def one_per_text(ranking: Ranking, texts: dict[int, str]) -> Ranking:
    """Drop a passage whose text repeats one ranked above it (syndicated copies)."""
    seen, kept = set(), []
    for pid, score in ranking:
        key = " ".join(texts.get(pid, str(pid)).split()).lower()
        if key not in seen:
            seen.add(key)
            kept.append((pid, score))
    return kept


def score(ranked_docs: list[int], expected: set[int], k: int) -> tuple[float, float]:
    for rank, doc_id in enumerate(ranked_docs[:k], start=1):
        if doc_id in expected:
            return 1.0, 1.0 / rank
    return 0.0, 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", required=True)
    parser.add_argument("--collection", default="bench-news")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--depth", type=int, default=50, help="candidates taken from each list before fusing")
    parser.add_argument("--rescore", type=int, default=20, metavar="N",
                        help="re-rank the fused top N by their best sentence's evidence score (questions only; 0: off)")
    args = parser.parse_args()
    os.environ["QA_HOME"] = args.home
    from qa.config import Settings
    from qa.embed import load_embedder
    from qa.indexer import manifest_for
    from qa.store.collection import Collection

    settings = Settings.from_env(args.collection)
    embedder = load_embedder(settings)
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    vectors = store.vectors()
    print(f"collection {args.collection}: {vectors.count} passages; k={args.k}, depth={args.depth}", file=sys.stderr)

    sets = {}
    items = known_items(store, args.queries, args.seed)
    half = len(items) // 2
    sets["known items, first half"] = items[:half]
    sets["known items, second half"] = items[half:]
    named = titles(store, args.queries, args.seed)
    sets["titles, first half"] = named[: len(named) // 2]
    sets["titles, second half"] = named[len(named) // 2 :]
    questions = gold_questions(store)
    sets["gold questions, tune"] = [(q, e, kind) for q, e, kind, split in questions if split == "tune"]
    sets["gold questions, held-out"] = [(q, e, kind) for q, e, kind, split in questions if split == "heldout"]

    methods: dict[str, Callable[[Ranking, Ranking], Ranking]] = {
        "dense": lambda d, kw: d,
        "keyword": lambda d, kw: kw,
        "rrf k=60 (current, depth 20)": lambda d, kw: rrf(d[:20], kw[:20]),
        "rrf k=60": lambda d, kw: rrf(d, kw),
        "rrf k=60, keyword x1.5": lambda d, kw: rrf(d, kw, keyword_weight=1.5),
        "rrf k=60, keyword x2": lambda d, kw: rrf(d, kw, keyword_weight=2.0),
        "rrf k=20": lambda d, kw: rrf(d, kw, k_rrf=20),
    }
    for alpha in (0.3, 0.4, 0.5, 0.6, 0.7):
        methods[f"convex a={alpha}"] = lambda d, kw, a=alpha: convex(d, kw, a)

    cache: dict[str, tuple[Ranking, Ranking, float]] = {}
    for name, queries in sets.items():
        for query, _, _ in queries:
            if query not in cache:
                started = time.perf_counter()
                dense = vectors.search(embedder.embed([query])[0], args.depth)
                keyword = store.keyword_search(query, args.depth)
                cache[query] = (dense, keyword, time.perf_counter() - started)
    all_ids = {pid for d, kw, _ in cache.values() for pid, _ in d + kw}
    rows = store.passages(sorted(all_ids))
    doc_of = {pid: row.doc_id for pid, row in rows.items()}
    text_of = {pid: row.text for pid, row in rows.items()}

    header = f"{'method':<40}" + "".join(f"{name:>26}" for name in sets)
    print(header)
    print(" " * 40 + "".join(f"{'recall@' + str(args.k) + ' / MRR':>26}" for _ in sets))
    for dedupe in (False, True):
        for method, fuse in methods.items():
            cells = []
            for queries in sets.values():
                recalls, mrrs = [], []
                for query, expected, _ in queries:
                    dense, keyword, _ = cache[query]
                    ranking = fuse(dense, keyword)
                    if dedupe:
                        ranking = one_per_text(ranking, text_of)
                    recall, mrr = score([doc_of.get(pid, -1) for pid, _ in ranking], expected, args.k)
                    recalls.append(recall)
                    mrrs.append(mrr)
                cells.append(f"{statistics.mean(recalls):.3f} / {statistics.mean(mrrs):.3f} ({len(queries)})")
            label = method + (", repeats dropped" if dedupe else "")
            print(f"{label:<40}" + "".join(f"{cell:>26}" for cell in cells))
    if args.rescore:
        print_rescored(store, embedder, sets, cache, doc_of, args)
    seconds = sorted(t for _, _, t in cache.values())
    print(f"\nsearch (embed + FAISS + FTS5, depth {args.depth}): p50 {1000 * seconds[len(seconds) // 2]:.0f} ms,"
          f" p90 {1000 * seconds[int(len(seconds) * 0.9)]:.0f} ms over {len(seconds)} queries")


def by_best_sentence(store, embedder, query: str, ranking: Ranking, embed: bool = True) -> Ranking:
    """The passages of `ranking`, ordered by the best evidence score of their sentences (the scorer
    `qa ask` uses to pick what to quote: similarity, overlap, names, answer kind, slot, date, with a
    small penalty per retrieval rank); passages with no sentence that counts as evidence last."""
    from qa import evidence as ev
    from qa.policy import default_policy
    from qa.question import analyze

    policy = default_policy().evidence
    asked = analyze(query)
    rows = store.passages([pid for pid, _ in ranking])
    passages = [rows[pid] for pid, _ in ranking if pid in rows]
    candidates = ev.gather(store, passages, policy)
    if not candidates:
        return ranking
    if embed:
        vectors = embedder.embed([asked.text] + [ev.in_context(c) for c in candidates])
        similarities = [float(v @ vectors[0]) for v in vectors[1:]]
    else:  # the word features alone: no sentence is embedded
        similarities = [0.0] * len(candidates)
    scored = ev.score(asked, candidates, similarities, policy)
    best: dict[int, float] = {}
    for item in scored:
        best[item.passage_id] = max(best.get(item.passage_id, float("-inf")), item.score)
    order = sorted(range(len(ranking)), key=lambda i: (-best.get(ranking[i][0], float("-inf")), i))
    return [ranking[i] for i in order]


def print_rescored(store, embedder, sets, cache, doc_of, args) -> None:
    """Re-scoring stage on the question sets: fused (qa's default) against fused then re-ranked."""
    from qa.policy import default_policy

    rules = default_policy().retrieval
    print(f"\nre-scoring the fused top {args.rescore} by each passage's best evidence sentence:")
    timings, lexical_timings = [], []
    for name, queries in sets.items():
        if not name.startswith("gold questions"):
            continue
        results = {"rrf (qa's default)": [], f"rrf, top {args.rescore} re-scored": [],
                   f"rrf, top {args.rescore} re-scored, words only": []}
        for query, expected, _ in queries:
            dense, keyword, _ = cache[query]
            fused = rrf(dense[: rules.candidate_depth], keyword[: rules.candidate_depth])
            started = time.perf_counter()
            rescored = by_best_sentence(store, embedder, query, fused[: args.rescore]) + fused[args.rescore :]
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            lexical = by_best_sentence(store, embedder, query, fused[: args.rescore], embed=False) + fused[args.rescore :]
            lexical_timings.append(time.perf_counter() - started)
            for method, ranking in zip(results, (fused, rescored, lexical)):
                results[method].append(score([doc_of.get(pid, -1) for pid, _ in ranking], expected, args.k))
        for method, scores in results.items():
            recall = statistics.mean(r for r, _ in scores)
            mrr = statistics.mean(m for _, m in scores)
            print(f"  {name:<26} {method:<40} recall@{args.k} {recall:.3f}  MRR {mrr:.3f}  ({len(scores)})")
    print(f"  re-scoring cost: p50 {1000 * statistics.median(timings):.0f} ms per question,"
          f" words only {1000 * statistics.median(lexical_timings):.0f} ms")


if __name__ == "__main__":
    main()
