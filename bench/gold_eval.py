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
    from qa.config import Settings
    from qa.evaluation import run_gold

    started = time.perf_counter()
    scores, results = run_gold(
        Settings.from_env("gold"), [REPO / "seeds", REPO / "tests" / "data" / "wiki"],
        REPO / "tests" / "data" / "gold.jsonl", model,
    )
    return scores, time.perf_counter() - started, results[0].model if results else "?"


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
