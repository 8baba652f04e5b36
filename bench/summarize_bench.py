"""Time `qa summarize` with the default model: one article, and a 50-article collection.

    python bench/summarize_bench.py [--corpus DIR] [--model PATH]

Without --corpus, the 50 articles are extracted from the Wikipedia test dump inside the PyPI
package gensim (pip install --no-deps --target DIR gensim==4.4.0, then pass --gensim-site DIR,
or have gensim importable), with tests/data/extract_wiki.py.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def build_corpus(target: Path, site: str | None, count: int) -> Path:
    extracted = target / "all"
    command = [sys.executable, str(REPO / "tests" / "data" / "extract_wiki.py"), str(extracted), "--max-paragraphs", "5"]
    if site:
        command += ["--site", site]
    subprocess.run(command, check=True, capture_output=True)
    chosen = target / "fifty"
    chosen.mkdir()
    for path in sorted(extracted.glob("*.txt"))[:count]:
        (chosen / path.name).write_bytes(path.read_bytes())
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", help="a folder of articles (default: 50 extracted from gensim's Wikipedia dump)")
    parser.add_argument("--gensim-site", help="where gensim was installed with pip --target")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="qa-sumbench-"))
    os.environ["QA_HOME"] = str(work / "home")
    sys.path.insert(0, str(REPO))
    corpus = Path(args.corpus) if args.corpus else build_corpus(work, args.gensim_site, 50)

    from qa.config import Settings
    from qa.embed import load_embedder
    from qa.generate import load_generator
    from qa.indexer import index_paths, manifest_for
    from qa.store.collection import Collection
    from qa.summarize import Request, summarize

    embedder = load_embedder()
    generator = load_generator(args.model, None)
    generator.load()
    for name, paths in (("seed", [REPO / "seeds"]), ("fifty", [corpus])):
        settings = Settings.from_env(name)
        started = time.perf_counter()
        report = index_paths(settings, embedder, [str(p) for p in paths])
        indexed = time.perf_counter() - started
        store = Collection.open_reader(settings, manifest_for(settings, embedder))
        request = Request("document", "1") if name == "seed" else Request("collection", name)
        started = time.perf_counter()
        result = summarize(request, store, embedder, generator)
        seconds = time.perf_counter() - started
        print(
            f"{name}: {report.added} articles, {report.passages} passages (indexed in {indexed:.1f}s);"
            f" summary in {seconds:.1f}s (generate {result.timings['generate_ms'] / 1000:.1f}s), mode {result.mode},"
            f" {sum(s.supported for s in result.sentences)}/{len(result.sentences)} generated sentences verified"
        )


if __name__ == "__main__":
    main()
