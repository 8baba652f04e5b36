"""The cost of a commit in a large collection: adding one article to 1M passages, side by side.

    python bench/commit_bench.py [--passages 1000000] [--home DIR] [--articles 5]

Fills a collection (in DIR, kept for the next run; by default a temporary folder) with
synthetic documents of 100 one-sentence passages whose 384-d vectors are a mixture of clusters
(as bench/vector_bench.py makes them), under the bundled embedder's manifest so that `qa index`
opens it as its own. Then, on the same collection:

- one article's commit made in process, once writing the whole vector index (as every commit
  did before deltas) and once as qa makes it (only the commit's changes): the ratio of the two;
- `qa index ARTICLE` run as a user runs it (a fresh process) for a few small real-text articles:
  wall time from process start, and the part of it spent committing;
- `qa search` run as a user runs it after those commits (its vectors are the last base and the
  deltas after it): wall time and peak RSS, and in process the time to load the vectors and
  search p50.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.embed import Embedder
    from qa.store.rows import Manifest

REPO = Path(__file__).resolve().parent.parent
COLLECTION = "commit-bench"
PASSAGES_PER_DOCUMENT = 100
DOCUMENTS_PER_COMMIT = 100


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--home", type=Path, help="QA_HOME to build in and keep (default: a temporary folder)")
    parser.add_argument("--articles", type=int, default=5, help="small articles added one at a time")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    home = args.home or Path(tempfile.mkdtemp(prefix="qa-commit-bench-"))
    os.environ["QA_HOME"] = str(home)
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "bench"))

    from qa.config import Settings
    from qa.embed import load_embedder
    from qa.indexer import manifest_for

    settings = Settings.from_env(COLLECTION)
    embedder = load_embedder(settings)
    embedder.embed_passages(["warm"])  # the one-time ONNX export and int8 copy, not timed below
    manifest = manifest_for(settings, embedder)
    fill(settings, manifest, args.passages)
    articles = write_articles(home / "articles", args.articles)

    whole = commit_in_process(settings, embedder, articles[0], whole=True)
    delta = commit_in_process(settings, embedder, articles[1], whole=False)
    print(f"one article's commit in process: whole index written {whole:.2f}s; changes only {delta:.3f}s"
          f" ({whole / delta:.0f}x less)")
    users = [index_as_a_user(article) for article in articles[2:]]
    walls, commits = [u[0] for u in users], [u[1] for u in users]
    print(f"`qa index ARTICLE` into {args.passages:,} passages, {len(users)} articles one at a time:"
          f" wall median {statistics.median(walls):.2f}s (max {max(walls):.2f}s),"
          f" of which committing median {statistics.median(commits):.3f}s")
    search_as_a_user()
    reader_figures(settings, manifest)


def fill(settings: "Settings", manifest: "Manifest", passages: int) -> None:
    """Synthetic documents until the collection holds `passages` passages (kept between runs)."""
    import numpy as np
    from vector_bench import mixture

    from qa.ingest.readers import RawDocument
    from qa.ingest.split import Passage, Sentence
    from qa.store.collection import Collection

    with Collection.open_writer(settings, manifest) as writer:
        have = writer.conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        if have >= passages:
            print(f"collection {COLLECTION} in {settings.home}: {have:,} passages (kept from an earlier run)")
            return
        rng = np.random.default_rng(have)
        started, commits = time.perf_counter(), 0.0
        number = have // PASSAGES_PER_DOCUMENT
        while have < passages:
            vectors = mixture(DOCUMENTS_PER_COMMIT * PASSAGES_PER_DOCUMENT, rng)
            with writer.transaction(manifest) as tx:
                for slot in range(DOCUMENTS_PER_COMMIT):
                    sentences = [f"Synthetic record {number}.{i} notes cargo {rng.integers(10**6)} at pier {i}."
                                 for i in range(PASSAGES_PER_DOCUMENT)]
                    text = " ".join(sentences)
                    spans, cursor = [], 0
                    for sentence in sentences:
                        spans.append((cursor, cursor + len(sentence)))
                        cursor += len(sentence) + 1
                    raw = RawDocument(f"synthetic://{number}", "txt", f"Record {number}", None, text,
                                      hashlib.sha256(text.encode()).hexdigest())
                    chunk = vectors[slot * PASSAGES_PER_DOCUMENT : (slot + 1) * PASSAGES_PER_DOCUMENT]
                    tx.put_document(raw, [Sentence(s, e, 0) for s, e in spans],
                                    [Passage(s, e, i, i, 0) for i, (s, e) in enumerate(spans)], chunk)
                    number += 1
            have += DOCUMENTS_PER_COMMIT * PASSAGES_PER_DOCUMENT
            commits = writer.commit_seconds
            print(f"  filled {have:,} passages, {time.perf_counter() - started:.0f}s", file=sys.stderr)
        print(f"filled {COLLECTION} with {have:,} synthetic passages in {time.perf_counter() - started:.0f}s,"
              f" {commits:.0f}s of it committing")


def write_articles(folder: Path, count: int) -> list[Path]:
    """Small articles (three short paragraphs) from the seed article's sentences."""
    folder.mkdir(parents=True, exist_ok=True)
    seed = next((REPO / "seeds").glob("*.txt")).read_text().split(". ")
    paths = []
    for number in range(count):
        path = folder / f"article-{number}-{time.time_ns()}.txt"
        body = ". ".join(seed[number * 6 : number * 6 + 6])
        path.write_text(f"Dispatch {number}\n\n{body}.\n")
        paths.append(path)
    return paths


def index_as_a_user(article: Path) -> tuple[float, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "qa", "index", str(article), "--collection", COLLECTION, "--json"],
                          capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"qa index failed: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    assert report["added"] == 1, report
    return wall, report["commit_seconds"]


def commit_in_process(settings: "Settings", embedder: "Embedder", article: Path, whole: bool) -> float:
    """Seconds for one article's transaction; `whole` writes the whole index, as before deltas."""
    from qa.indexer import index_paths
    from qa.store import vector_files

    saved = vector_files.DELTA_MIN_VECTORS, vector_files.DELTA_SHARE
    if whole:
        vector_files.DELTA_MIN_VECTORS, vector_files.DELTA_SHARE = 0, 0.0
    try:
        report = index_paths(settings, embedder, [str(article)])
    finally:
        vector_files.DELTA_MIN_VECTORS, vector_files.DELTA_SHARE = saved
    return report.commit_seconds


def search_as_a_user() -> None:
    command = [sys.executable, "-m", "qa", "search", "cargo unloaded at the pier", "--collection", COLLECTION]
    walls, peaks = [], []
    for _ in range(3):
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - started)
        peaks.append(usage.ru_maxrss / 1024)
        if status:
            sys.exit(f"qa search failed: {process.stderr.read().decode().strip() if process.stderr else status}")
    print(f"`qa search` as a user: wall median {statistics.median(walls):.2f}s, peak RSS {max(peaks):.0f} MB")


def reader_figures(settings: "Settings", manifest: "Manifest") -> None:
    import numpy as np

    from qa.store.collection import Collection

    started = time.perf_counter()
    store = Collection.open_reader(settings, manifest)
    index = store.vectors()
    load = time.perf_counter() - started
    layout = store._layout()
    queries = np.random.default_rng(1).standard_normal((200, index.dimension)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    times = []
    for query in queries:
        t = time.perf_counter()
        index.search(query, 10)
        times.append((time.perf_counter() - t) * 1000)
    print(f"in process: {index.count:,} vectors ({index.kind}, base generation {layout.base if layout else '?'}"
          f" and {store.generation - (layout.base if layout else 0)} delta files) loaded in {load:.2f}s;"
          f" search p50 {statistics.median(times):.2f} ms")
    store.close()


if __name__ == "__main__":
    main()
