"""Indexing throughput: `qa index` against a plain sentence-transformers baseline, side by side.

    python bench/index_bench.py --articles DIR [--words 1000000] [--queries 200]

Both read the same files (the first ones in sorted order until --words words) with qa's reader
and splitter, so they embed the same passages. The baseline then encodes every passage with
sentence-transformers fp32, batch 32, in one call; `qa index` runs as a user runs it, as a fresh
process into a fresh QA_HOME (the ONNX export is made beforehand and timed apart). Each runs in its own process,
so each has its own peak RSS (qa's is read when indexing ends, before the raw timing pass). Prints passages/s of both and their ratio, raw embedding seconds
against wall seconds for qa, and known-item recall@5 / MRR@5 of both: the query is an article's
lead sentence, a hit is that article among the 5 passages nearest by dense search. Also prints
the share of qa's wall time spent committing (vector files and the SQLite commit).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=Path, required=True, help="a folder of articles, e.g. from tests/data/extract_news.py")
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--worker", choices=["baseline", "qa"], help=argparse.SUPPRESS)
    parser.add_argument("--files", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(REPO))
    if args.worker:
        (baseline_worker if args.worker == "baseline" else qa_worker)(args.files.read_text().splitlines(), args.out)
        return

    work = Path(tempfile.mkdtemp(prefix="qa-index-bench-"))
    files, words = pick_files(args.articles, args.words)
    (work / "files.txt").write_text("\n".join(str(f) for f in files))
    home = work / "home"
    os.environ["QA_HOME"] = str(home)
    export_seconds = prepare_export()
    print(f"corpus: {len(files)} files, {words:,} words from {args.articles.name}/; ONNX export {export_seconds:.1f}s (once, not counted)")
    results = {}
    for name in ("baseline", "qa"):
        results[name] = run_worker(name, work)
    base, ours = results["baseline"], results["qa"]
    print(f"{'':<10} {'passages':>9} {'wall s':>8} {'embed s':>8} {'passages/s':>11} {'peak RSS MB':>12}")
    for name, result in results.items():
        print(
            f"{name:<10} {result['passages']:>9} {result['wall']:>8.1f} {result['embed']:>8.1f}"
            f" {result['passages'] / result['wall']:>11.1f} {result['rss_mb']:>12.0f}"
        )
    ratio = (ours["passages"] / ours["wall"]) / (base["passages"] / base["wall"])
    print(f"throughput ratio qa/baseline: {ratio:.2f}x")
    print(
        f"qa raw embedding {ours['raw']:.1f}s (the same passages in one call, alone) against"
        f" {ours['wall']:.1f}s wall: pipeline overhead {ours['wall'] / ours['raw'] - 1:+.0%}"
        " (reading, splitting, storing, process start and imports)"
    )
    print(f"qa commits {ours['commit']:.1f}s of {ours['wall']:.1f}s wall ({ours['commit'] / ours['wall']:.1%})")
    recall = known_item_recall(files, work, args.queries)
    for name, (hits, mrr) in recall.items():
        print(f"known-item {name:<9} recall@5 {hits:.3f}  MRR@5 {mrr:.3f}  ({args.queries} lead-sentence queries)")


def pick_files(folder: Path, words: int) -> tuple[list[Path], int]:
    """The first files in sorted order until their article text (as qa reads it) has `words` words."""
    from qa.ingest.readers import UnreadableDocument, read_path

    files, total = [], 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            total += len(read_path(path, 10**9).text.split())
        except UnreadableDocument:
            continue
        files.append(path.resolve())
        if total >= words:
            break
    return files, total


def prepare_export() -> float:
    from qa.embed import load_embedder

    started = time.perf_counter()
    load_embedder().embed_passages(["warm"])
    return time.perf_counter() - started


def run_worker(name: str, work: Path) -> dict:
    out = work / f"{name}.json"
    command = [sys.executable, __file__, "--articles", ".", "--worker", name, "--files", str(work / "files.txt"), "--out", str(out)]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status:
        sys.exit(f"{name} worker failed ({status})")
    result = json.loads(out.read_text())
    # the qa worker also re-embeds everything alone afterwards (raw model time); not counted
    result["wall"] = result.get("index_wall", wall)
    result["rss_mb"] = result.get("index_rss_mb", usage.ru_maxrss / 1024)
    return result


def baseline_worker(files: list[str], out: Path) -> None:
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from qa.config import ChunkSettings
    from qa.embed import model_folder
    from qa.ingest.readers import read_path
    from qa.ingest.split import chunk_text

    folder = model_folder(None)
    chunk = ChunkSettings()
    texts, owners = [], []
    for path in files:
        raw = read_path(Path(path), 10**9)
        _, passages = chunk_text(raw.text, folder.count_tokens, chunk.max_tokens, chunk.overlap_sentences, raw.pages)
        texts += [raw.text[p.start : p.end] for p in passages]
        owners += [raw.source] * len(passages)
    model = SentenceTransformer(str(folder.path), device="cpu", local_files_only=True)
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    embed = time.perf_counter() - started
    np.save(out.with_suffix(".npy"), vectors.astype(np.float32))
    out.with_suffix(".owners").write_text("\n".join(owners))
    out.write_text(json.dumps({"passages": len(texts), "embed": embed}))


def qa_worker(files: list[str], out: Path) -> None:
    from qa.config import Settings
    from qa.embed import load_embedder
    from qa.indexer import index_paths

    settings = Settings.from_env("bench")
    embedder = load_embedder(settings)
    embed_seconds = 0.0
    plain_embed = embedder.embed_passages

    def timed_embed(texts):
        nonlocal embed_seconds
        started = time.perf_counter()
        try:
            return plain_embed(texts)
        finally:
            embed_seconds += time.perf_counter() - started

    embedder.embed_passages = timed_embed
    report = index_paths(settings, embedder, files)
    index_wall = _since_process_start()
    index_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the raw pass below
    if report.errors:
        print("\n".join(report.errors[:5]), file=sys.stderr)
    # raw model time: the same passages embedded again in one call, with nothing else running
    from qa.indexer import manifest_for
    from qa.store.collection import Collection

    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    ids, _ = store.all_vectors()
    texts = [row.text for row in store.passages(ids.tolist()).values()]
    started = time.perf_counter()
    plain_embed(texts)
    raw = time.perf_counter() - started
    out.write_text(json.dumps({"passages": report.passages, "embed": embed_seconds, "raw": raw, "commit": report.commit_seconds, "index_wall": index_wall, "index_rss_mb": index_rss_mb}))


def _since_process_start() -> float:
    """Seconds from this process's start to now: interpreter start-up and imports count too."""
    with open("/proc/self/stat") as stat:
        started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as uptime:
        now = float(uptime.read().split()[0])
    return now - started_ticks / os.sysconf("SC_CLK_TCK")


def known_item_recall(files: list[Path], work: Path, count: int) -> dict[str, tuple[float, float]]:
    import numpy as np

    from qa.config import Settings
    from qa.embed import load_embedder
    from qa.indexer import manifest_for
    from qa.ingest.readers import read_path
    from qa.ingest.split import sentence_spans_in
    from qa.store.collection import Collection

    random.seed(7)
    chosen = random.sample(files, min(count, len(files)))
    leads, sources = [], []
    for path in chosen:
        raw = read_path(path, 10**9)
        spans = sentence_spans_in(raw.text, 0, len(raw.text))
        if spans:
            leads.append(raw.text[spans[0][0] : spans[0][1]])
            sources.append(raw.source)
    settings = Settings.from_env("bench")
    embedder = load_embedder(settings)
    queries = embedder.embed(leads)
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    ids, ours = store.all_vectors()
    owner_of = {row.id: row.doc_id for row in store.passages(ids.tolist()).values()}
    source_of = {document.id: document.source for document in store.documents()}
    our_owners = [source_of[owner_of[int(i)]] for i in ids]
    base = np.load(work / "baseline.npy")
    base_owners = (work / "baseline.owners").read_text().splitlines()
    return {"baseline": _recall(base, base_owners, queries, sources), "qa": _recall(ours, our_owners, queries, sources)}


def _recall(vectors, owners: list[str], queries, sources: list[str]) -> tuple[float, float]:
    import numpy as np

    scores = queries @ vectors.T
    hits = reciprocal = 0.0
    for row, source in enumerate(sources):
        top = [owners[i] for i in np.argsort(-scores[row])[:5]]
        if source in top:
            hits += 1
            reciprocal += 1 / (top.index(source) + 1)
    return hits / len(sources), reciprocal / len(sources)


if __name__ == "__main__":
    main()
