#!/usr/bin/env python3
"""Validate the seed + Wikipedia gold set, tests/data/gold/{tune,heldout}.jsonl (standard library only).

Checks: ids are unique across both files; required fields are present; every answerable item's
evidence occurs literally in its source file (seeds/ for corpus "seeds", tests/data/wiki/ for
corpus "wiki"); every fact occurs (case-insensitively) in its evidence and every `required`
regex matches it; unanswerable items carry no facts/evidence.

Usage: python3 tests/data/check_gold.py [FILE.jsonl ...]   (default: both split files)
Exit status 0 when everything passes, 1 otherwise.
"""
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CORPUS_DIRS = {"seeds": REPO / "seeds", "wiki": HERE / "wiki"}


SPLITS = [HERE / "gold" / "tune.jsonl", HERE / "gold" / "heldout.jsonl"]


def check(paths=SPLITS):
    errors, ids = [], set()
    counts = {}
    texts = {}
    lines = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            lines += [(f"{Path(path).name}:{n}", ln) for n, ln in enumerate(f, 1) if ln.strip()]
    for where, line in lines:
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{where}: invalid JSON ({e})")
            continue
        iid = item.get("id")
        where = f"{where} ({iid})"
        if not iid:
            errors.append(f"{where}: missing id")
        elif iid in ids:
            errors.append(f"{where}: duplicate id")
        ids.add(iid)
        corpus = item.get("corpus")
        if corpus not in CORPUS_DIRS:
            errors.append(f"{where}: corpus must be one of {sorted(CORPUS_DIRS)}")
            continue
        if not str(item.get("question", "")).strip():
            errors.append(f"{where}: empty question")
        if item.get("kind") not in ("answer", "abstain"):
            errors.append(f"{where}: 'kind' must be answer or abstain")
            continue
        answerable = item["kind"] == "answer"
        key = (corpus, answerable)
        counts[key] = counts.get(key, 0) + 1
        if not answerable:
            for k in ("facts", "evidence", "source"):
                if item.get(k):
                    errors.append(f"{where}: unanswerable item should not have '{k}'")
            continue
        facts, evidence, source = item.get("facts"), item.get("evidence"), item.get("source")
        if not isinstance(facts, list) or not facts or not all(isinstance(x, str) and x.strip() for x in facts):
            errors.append(f"{where}: 'facts' must be a non-empty list of strings")
            facts = []
        if not isinstance(evidence, str) or not evidence.strip():
            errors.append(f"{where}: missing evidence")
            continue
        if not isinstance(source, str) or not source or "/" in source or "\\" in source:
            errors.append(f"{where}: 'source' must be a bare file name")
            continue
        src = CORPUS_DIRS[corpus] / source
        if src not in texts:
            texts[src] = src.read_text(encoding="utf-8") if src.is_file() else None
        if texts[src] is None:
            errors.append(f"{where}: source file not found: {src}")
        elif evidence not in texts[src]:
            errors.append(f"{where}: evidence not found verbatim in {src.name}")
        for fact in facts:
            if fact.lower() not in evidence.lower():
                errors.append(f"{where}: fact {fact!r} not in evidence")
        for pattern in item.get("required", []):
            if not re.search(pattern, evidence, flags=re.IGNORECASE):
                errors.append(f"{where}: required {pattern!r} does not match the evidence")
    return errors, counts


def main():
    paths = [Path(arg) for arg in sys.argv[1:]] or SPLITS
    errors, counts = check(paths)
    for (corpus, ans), c in sorted(counts.items()):
        print(f"{corpus:6s} {'answerable' if ans else 'unanswerable':13s} {c}")
    for e in errors:
        print("ERROR:", e)
    print("FAIL" if errors else "OK", f"({sum(counts.values())} items, {len(errors)} errors)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
