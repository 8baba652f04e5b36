"""`qa summarize DOC` with the default model: each document of a collection, and as a user runs it.

    python bench/document_summary_bench.py --home DIR [--collection bench-gold] [--against CHECKOUT]

- Every document of the collection summarized in one process (the model loaded once, one
  warm-up summary first): seconds per summary, median and max, sentences the model drafted and
  how many passed verification, and how many summaries show a generated sentence.
- `qa summarize 1` on `seeds/` run as a user runs it (a fresh process, warm files): wall seconds
  from process start, three times.

With --against, another checkout of qa (e.g. `git worktree add ../qa-old 15b7fd8`) is measured the
same way, its processes taking turns with this one's, so both share the machine's state.
The collection is the one `bench/gold_eval.py --set gold --home DIR` builds (bench-gold).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROUNDS = 2

WORKER = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
os.environ["QA_HOME"] = sys.argv[2]
from qa.config import Settings
from qa.embed import load_embedder
from qa.generate import load_generator
from qa.indexer import manifest_for
from qa.store.collection import Collection
from qa.summarize import Request, summarize

settings = Settings.from_env(sys.argv[3])
embedder = load_embedder(settings)
generator = load_generator(None, settings.model, threads=settings.threads)
store = Collection.open_reader(settings, manifest_for(settings, embedder))
documents = store.documents()
summarize(Request("document", str(documents[0].id)), store, embedder, generator)
rows = []
for document in documents:
    started = time.perf_counter()
    result = summarize(Request("document", str(document.id)), store, embedder, generator)
    rows.append({"seconds": time.perf_counter() - started, "drafted": len(result.sentences),
                 "verified": sum(s.supported for s in result.sentences),
                 "shows_generated": any(p.generated for p in result.parts)})
print(json.dumps(rows))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True, help="the QA_HOME holding the collection")
    parser.add_argument("--collection", default="bench-gold")
    parser.add_argument("--against", type=Path, help="another checkout of qa to measure side by side")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    checkouts = {"this": REPO} | ({"against": args.against.resolve()} if args.against else {})
    per_document: dict[str, list[dict]] = {name: [] for name in checkouts}
    process_walls: dict[str, list[float]] = {name: [] for name in checkouts}
    seeds_home = Path(tempfile.mkdtemp(prefix="qa-docsum-bench-"))
    for name, checkout in checkouts.items():  # the seeds indexed once per checkout, not timed
        run_summarize_one(checkout, seeds_home / name)
    for _ in range(ROUNDS):
        for name, checkout in checkouts.items():
            done = subprocess.run([sys.executable, "-c", WORKER, str(checkout), str(args.home), args.collection],
                                  capture_output=True, text=True, check=True)
            per_document[name] += json.loads(done.stdout.strip().splitlines()[-1])
            process_walls[name] += [run_summarize_one(checkout, seeds_home / name) for _ in range(3)]
    for name in checkouts:
        rows = per_document[name]
        once = rows[: len(rows) // ROUNDS]  # the runs are deterministic: counts from one round
        seconds = [row["seconds"] for row in rows]
        print(f"{name} ({checkouts[name]}): {len(once)} documents of {args.collection}, in one process:"
              f" median {statistics.median(seconds):.2f}s, max {max(seconds):.2f}s per summary;"
              f" drafted {sum(r['drafted'] for r in once)} sentences, {sum(r['verified'] for r in once)} verified;"
              f" {sum(r['shows_generated'] for r in once)} summaries show a generated sentence")
        walls = process_walls[name]
        print(f"{name}: `qa summarize 1` on seeds/ as a user runs it: median {statistics.median(walls):.2f}s,"
              f" max {max(walls):.2f}s wall")


def run_summarize_one(checkout: Path, home: Path) -> float:
    environment = os.environ | {"QA_HOME": str(home), "PYTHONPATH": str(checkout)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa", "summarize", "1", "--json"], cwd=checkout, env=environment,
                   capture_output=True, check=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
