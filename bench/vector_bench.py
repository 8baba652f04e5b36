"""The vector index at scale: 1M synthetic 384-d passages, the automatic index type against exact search.

    python bench/vector_bench.py [--count 1000000] [--queries 1000]

The vectors are a mixture of clusters (10,000 centres, each point a centre plus noise, so a
passage's nearest neighbours are about as close as MiniLM's are on real news); uniform random
vectors would have no neighbourhoods to find. Prints the index type qa chooses for that size,
its training time, its size in memory (the serialized index), search p50 / p95 per query, and
recall@10 against an exact flat search over the same vectors, side by side.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

REPO = Path(__file__).resolve().parent.parent
DIMENSION = 384


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    import faiss
    import numpy as np

    from qa.store.vectors import FaissVectorIndex

    vectors = mixture(args.count + args.queries, np.random.default_rng(0))
    queries, vectors = vectors[: args.queries], vectors[args.queries :]
    ids = np.arange(1, args.count + 1, dtype=np.int64)
    started = time.perf_counter()
    index = FaissVectorIndex.build(DIMENSION, ids, vectors)
    build = time.perf_counter() - started
    exact = faiss.IndexFlatIP(DIMENSION)
    exact.add(vectors)
    rows = []
    for name, search in (("qa " + index.kind, lambda q: [i for i, _ in index.search(q, 10)]),
                         ("exact flat", lambda q: (exact.search(q.reshape(1, -1), 10)[1][0] + 1).tolist())):
        times, found = [], []
        for query in queries:
            t = time.perf_counter()
            found.append(search(query))
            times.append((time.perf_counter() - t) * 1000)
        rows.append((name, found, times))
    truth = rows[1][1]
    size = len(faiss.serialize_index(index._index)) / 2**20
    print(f"{args.count:,} vectors, {DIMENSION}-d; qa chose {index.kind}", end="")
    if index.kind == "ivf":
        ivf = faiss.extract_index_ivf(index._index)
        print(f" ({ivf.nlist} lists, SQ8 codes, nprobe {ivf.nprobe}); built and trained in {build:.1f}s", end="")
    print(f"; index in memory {size:.0f} MB (exact flat: {args.count * DIMENSION * 4 / 2**20:.0f} MB)")
    for name, found, times in rows:
        recall = statistics.mean(len(set(f) & set(t)) / 10 for f, t in zip(found, truth))
        times.sort()
        print(f"{name:<12} p50 {times[len(times) // 2]:6.2f} ms  p95 {times[int(len(times) * 0.95)]:6.2f} ms  recall@10 {recall:.3f}")


def mixture(count: int, rng) -> "np.ndarray":
    import numpy as np

    centres = rng.standard_normal((10_000, DIMENSION)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((count, DIMENSION), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        noise = rng.standard_normal((n, DIMENSION)).astype(np.float32) / np.sqrt(DIMENSION)
        block = centres[rng.integers(0, len(centres), n)] + 0.8 * noise
        out[start : start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


if __name__ == "__main__":
    main()
