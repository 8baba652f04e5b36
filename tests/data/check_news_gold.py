#!/usr/bin/env python3
"""Validate the news gold set tests/data/news_gold/{tune,heldout}.jsonl (standard library only).

Usage:
  python3 tests/data/check_news_gold.py HTML_DIR [--gold-dir DIR]

HTML_DIR is the folder written by `tests/data/extract_news.py` (NNNN.html files).

Checks, for every item of both files:
  * both files exist; every line is a JSON object with the fields id, question, kind, required,
    expected_sources, tags, note; ids are unique across the two files;
  * kind is "answer" or "abstain"; tags come from the allowed list; every regex in `required` compiles;
  * abstain items have no required regexes and no expected sources;
  * answer items have at least one regex and one source; every expected source file exists, and the
    body texts of the expected sources, taken together, match every required regex
    (re.search, case-insensitive; body = everything inside <body>, tags stripped, entities unescaped);
  * date-line items name a month (or a year) in the question, and that month/year does not occur in
    the body text of any expected source (the date must only be knowable from <meta name="date">);
  * date-veto items are abstain items; list items have at least two regexes and two sources;
    disagree items have at least two regexes;
  * every tag occurs in both tune.jsonl and heldout.jsonl.
Exit status 0 when everything passes, 1 otherwise (with one message per problem).
"""

from __future__ import annotations

import argparse
import collections
import html
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLITS = ("tune", "heldout")
FIELDS = ("id", "question", "kind", "required", "expected_sources", "tags", "note")
TAGS = {
    "date-line", "date-veto", "who", "how-many", "when", "list", "yes-no", "disagree",
    "what", "why", "where", "unanswerable",
}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
ABBREV = {m: m[:3] for m in MONTHS}
ABBREV["September"] = "Sept?"

_TAG = re.compile(r"<[^>]+>")


def body_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    match = re.search(r"<body[^>]*>(.*)</body>", raw, re.S | re.I)
    inner = match.group(1) if match else raw
    return html.unescape(_TAG.sub(" ", inner))


def month_patterns(month: str) -> list[re.Pattern]:
    """Ways a body could reveal the month: the full name, or an abbreviation used as a date."""
    pats = [re.compile(rf"\b{ABBREV[month]}\.|\b{ABBREV[month]}\s+\d")]
    if month == "May":  # 'May' is also a name (Theresa May) and a verb: only count date-like uses
        pats.append(re.compile(r"\bMay\s+(\d{1,2}\b|\d{4}\b)|\d{1,2}\s+May\b|\bin May\b"))
    else:
        pats.append(re.compile(rf"\b{month}\b"))
    return pats


def date_terms(question: str) -> tuple[list[str], list[str]]:
    months = [m for m in MONTHS if re.search(rf"\b{m}\b", question)]
    years = re.findall(r"\b(?:19|20)\d\d\b", question)
    return months, years


def check(html_dir: Path, gold_dir: Path) -> int:
    errors: list[str] = []
    ids: dict[str, str] = {}
    tag_counts = {s: collections.Counter() for s in SPLITS}
    kind_counts = {s: collections.Counter() for s in SPLITS}
    bodies: dict[str, str] = {}

    def body(name: str) -> str | None:
        if name not in bodies:
            path = html_dir / name
            if not path.is_file():
                return None
            bodies[name] = body_text(path)
        return bodies[name]

    if not html_dir.is_dir():
        print(f"error: {html_dir} is not a folder (run tests/data/extract_news.py first)")
        return 1
    for split in SPLITS:
        path = gold_dir / f"{split}.jsonl"
        if not path.is_file():
            errors.append(f"{path}: missing")
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{split}.jsonl line {n}"
            try:
                item = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: invalid JSON ({e})")
                continue
            if not isinstance(item, dict):
                errors.append(f"{where}: not a JSON object")
                continue
            missing = [f for f in FIELDS if f not in item]
            if missing:
                errors.append(f"{where}: missing field(s) {missing}")
                continue
            iid = item["id"]
            where = f"{split}.jsonl line {n} ({iid})"
            if not isinstance(iid, str) or not iid:
                errors.append(f"{where}: bad id")
            elif iid in ids:
                errors.append(f"{where}: duplicate id (also in {ids[iid]})")
            else:
                ids[iid] = split
            question, kind = item["question"], item["kind"]
            required, sources, tags = item["required"], item["expected_sources"], item["tags"]
            if not isinstance(question, str) or not question.strip():
                errors.append(f"{where}: empty question")
                question = ""
            if not isinstance(item["note"], str) or not item["note"].strip():
                errors.append(f"{where}: empty note")
            if kind not in ("answer", "abstain"):
                errors.append(f"{where}: kind must be 'answer' or 'abstain', not {kind!r}")
            kind_counts[split][kind] += 1
            if not isinstance(tags, list) or not tags:
                errors.append(f"{where}: tags must be a non-empty list")
                tags = []
            for tag in tags:
                if tag not in TAGS:
                    errors.append(f"{where}: unknown tag {tag!r} (allowed: {sorted(TAGS)})")
                tag_counts[split][tag] += 1
            if not isinstance(required, list) or not all(isinstance(r, str) and r for r in required):
                errors.append(f"{where}: required must be a list of non-empty strings")
                required = []
            if not isinstance(sources, list) or not all(isinstance(s, str) and s for s in sources):
                errors.append(f"{where}: expected_sources must be a list of file names")
                sources = []
            compiled = []
            for rx in required:
                try:
                    compiled.append((rx, re.compile(rx, re.I)))
                except re.error as e:
                    errors.append(f"{where}: regex {rx!r} does not compile ({e})")

            if kind == "abstain":
                if required or sources:
                    errors.append(f"{where}: abstain items must have required == [] and expected_sources == []")
                if "unanswerable" not in tags:
                    errors.append(f"{where}: abstain items must carry the 'unanswerable' tag")
                for tag in ("date-line", "list", "disagree"):
                    if tag in tags:
                        errors.append(f"{where}: tag {tag!r} needs an answer item")
                continue
            if kind != "answer":
                continue
            if "unanswerable" in tags or "date-veto" in tags:
                errors.append(f"{where}: answer items cannot be tagged unanswerable/date-veto")
            if not required or not sources:
                errors.append(f"{where}: answer items need required regexes and expected sources")
                continue
            texts = []
            for name in sources:
                text = body(name)
                if text is None:
                    errors.append(f"{where}: expected source {name} not found in {html_dir}")
                else:
                    texts.append(text)
            if len(texts) != len(sources):
                continue
            joined = "\n".join(texts)
            for rx, pat in compiled:
                if not pat.search(joined):
                    errors.append(f"{where}: required regex {rx!r} matches none of {sources}")
            if "list" in tags and (len(required) < 2 or len(sources) < 2):
                errors.append(f"{where}: list items need >= 2 required regexes and >= 2 sources")
            if "disagree" in tags and (len(required) < 2 or len(sources) < 2):
                errors.append(f"{where}: disagree items need >= 2 required regexes and >= 2 sources")
            if "date-line" in tags:
                months, years = date_terms(question)
                if not months and not years:
                    errors.append(f"{where}: date-line question names no month or year")
                for name, text in zip(sources, texts):
                    for month in months:
                        for pat in month_patterns(month):
                            hit = pat.search(text)
                            if hit:
                                errors.append(f"{where}: date-line month {month!r} occurs in {name} body "
                                              f"({text[max(0, hit.start() - 40):hit.end() + 20]!r})")
                                break
                    if not months:  # only a year is named: the year itself must not leak
                        for year in years:
                            if re.search(rf"\b{year}\b", text):
                                errors.append(f"{where}: date-line year {year} occurs in {name} body")

    for tag in sorted(TAGS):
        for split in SPLITS:
            if (gold_dir / f"{split}.jsonl").is_file() and tag_counts[split][tag] == 0:
                errors.append(f"tag {tag!r} has no item in {split}.jsonl")

    print(f"{'tag':14s}" + "".join(f"{s:>9s}" for s in SPLITS) + f"{'total':>9s}")
    for tag in sorted(TAGS):
        row = [tag_counts[s][tag] for s in SPLITS]
        print(f"{tag:14s}" + "".join(f"{c:9d}" for c in row) + f"{sum(row):9d}")
    for kind in ("answer", "abstain"):
        row = [kind_counts[s][kind] for s in SPLITS]
        print(f"{'kind=' + kind:14s}" + "".join(f"{c:9d}" for c in row) + f"{sum(row):9d}")
    row = [sum(kind_counts[s].values()) for s in SPLITS]
    print(f"{'items':14s}" + "".join(f"{c:9d}" for c in row) + f"{sum(row):9d}")
    if errors:
        print(f"\n{len(errors)} problem(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("\nOK: all checks passed")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", type=Path, help="folder of NNNN.html files from extract_news.py")
    parser.add_argument("--gold-dir", type=Path, default=HERE / "news_gold")
    args = parser.parse_args()
    sys.exit(check(args.html_dir, args.gold_dir))


if __name__ == "__main__":
    main()
