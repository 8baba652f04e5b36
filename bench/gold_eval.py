"""Run the gold set (tests/data/gold.jsonl) through the real pipeline and print the three scores.

    python bench/gold_eval.py [--model PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None, help="GGUF file (default: the resolved default model)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as home:
        os.environ["QA_HOME"] = home
        scores, seconds, model = run(args.model)
    print(f"model: {model}; {seconds:.1f}s")
    print(scores.summary())
    if args.verbose:
        print("\n".join(scores.failures))


def run(model: str | None):
    from qa.answer import answer_question
    from qa.config import Settings
    from qa.embed import load_embedder
    from qa.evaluation import load_gold, score
    from qa.generate import load_generator
    from qa.indexer import index_paths, manifest_for
    from qa.store.collection import Collection

    settings = Settings.from_env("gold")
    embedder = load_embedder(settings.embed_model)
    index_paths(settings, embedder, [str(REPO / "seeds"), str(REPO / "tests" / "data" / "wiki")])
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    generator = load_generator(model, settings.model)
    items = load_gold(REPO / "tests" / "data" / "gold.jsonl")
    started = time.perf_counter()
    results = [answer_question(item.question, store, embedder, generator) for item in items]
    return score(items, results, store), time.perf_counter() - started, generator.name


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
