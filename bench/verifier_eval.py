"""The verifier's own figures on the labelled claim / cited-text pairs (tests/data/verifier/).

    python bench/verifier_eval.py [--split tune|heldout|all] [--failures] [--judge GGUF]

For each split: the share of unsupported claims the verifier accepts (must stay at or below 1 %)
and the share of supported claims, faithful paraphrases included, it accepts (target: at least
90 %), with a row per category. Similarity is the bundled embedder's cosine between the claim and
its cited sentences, as in `qa ask`. --failures prints the tune split's mistakes only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.verify import Verdict

REPO = Path(__file__).resolve().parent.parent
PAIRS = REPO / "tests" / "data" / "verifier"


def load(split: str) -> list[dict]:
    rows = []
    for line in (PAIRS / f"pairs_{split}.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows


def verdicts(rows: list[dict], embedder, policy) -> list[tuple[dict, str, "Verdict"]]:
    """(pair, claim as `qa ask` splits it, the rules' verdict) for every pair; similarity is the
    embedder's cosine between the claim and its closest cited sentence."""
    from qa.citations import without_lead_in
    from qa.question import analyze
    from qa.verify import Cited, verify_sentence

    claims = {r["id"]: without_lead_in(r["claim"]) for r in rows}  # as `qa ask` splits a draft
    texts = sorted(set(claims.values()) | {t for r in rows for t in r["cited"]})
    vectors = dict(zip(texts, embedder.embed(texts)))
    out = []
    for row in rows:
        context = row.get("context") or {}
        cited = [Cited(t, context.get("title") or "", context.get("date"), context.get("previous") or "") for t in row["cited"]]
        claim = claims[row["id"]]
        similarity = max(float(vectors[claim] @ vectors[t]) for t in row["cited"])
        question = analyze(row["question"]) if row.get("question") else None
        out.append((row, claim, verify_sentence(claim, cited, similarity, question, policy.verify)))
    return out


def judge(rows: list[dict], embedder, policy, reader=None) -> list[tuple[dict, bool, list[str]]]:
    """(pair, accepted, reasons) for every pair; `reader` is a model's yes/no judgment, asked as
    in `qa ask` about pairs that fail only a wording proxy."""
    out = []
    for row, claim, verdict in verdicts(rows, embedder, policy):
        title = (row.get("context") or {}).get("title") or ""
        if verdict.soft_only and reader is not None and reader(claim, " ".join(row["cited"]), title):
            out.append((row, True, ["accepted by the model's reading"]))
            continue
        out.append((row, verdict.supported, verdict.reasons))
    return out


def report(split: str, judged: list[tuple[dict, bool, list[str]]], failures: bool) -> dict:
    by_category: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for row, accepted, _ in judged:
        by_category[(row["label"], row["category"])].append(accepted)
    supported = [a for (label, _), values in by_category.items() if label == "supported" for a in values]
    unsupported = [a for (label, _), values in by_category.items() if label == "unsupported" for a in values]
    false_accept = sum(unsupported) / len(unsupported) if unsupported else 0.0
    true_accept = sum(supported) / len(supported) if supported else 0.0
    print(f"\n{split}: {len(judged)} pairs — unsupported accepted {sum(unsupported)}/{len(unsupported)} ({false_accept:.1%}),"
          f" supported accepted {sum(supported)}/{len(supported)} ({true_accept:.1%})")
    for (label, category), values in sorted(by_category.items()):
        print(f"  {label:<11} {category:<16} accepted {sum(values):>3}/{len(values):<3}")
    if failures and split == "tune":
        for row, accepted, reasons in judged:
            if accepted != (row["label"] == "supported"):
                print(f"  ! {row['id']} {row['label']}/{row['category']} ({row.get('origin')}): {row['claim']}")
                print(f"      cited: {' | '.join(row['cited'])[:300]}")
                print(f"      reasons: {reasons}")
    return {"split": split, "pairs": len(judged), "unsupported_accepted": sum(unsupported), "unsupported": len(unsupported),
            "supported_accepted": sum(supported), "supported": len(supported)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["tune", "heldout", "all"], default="all")
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--judge", metavar="GGUF", help="also let this model judge pairs that fail only a wording proxy")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(REPO))
    from qa.embed import load_embedder
    from qa.policy import default_policy

    policy = default_policy()
    embedder = load_embedder()
    print(f"policy {policy.label()}")
    reader = None
    if args.judge:
        from qa.generate import load_generator

        reader = load_generator(args.judge, None).judge
        print(f"judge: {Path(args.judge).name}")
    for split in (["tune", "heldout"] if args.split == "all" else [args.split]):
        report(split, judge(load(split), embedder, policy, reader), args.failures)


if __name__ == "__main__":
    main()
