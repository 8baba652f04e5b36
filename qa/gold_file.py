"""Gold files for `qa eval`: one JSON object per line, read and checked into GoldItem records.

Each line holds `question`; `kind` ("answer", the default, or "abstain"); optional `id`,
`collection`, `required` (regexes a correct answer must all match, case-insensitively),
`expected_sources` (document ids, or paths / file names matched against the end of the stored
source) and `tags`. A gold set is split into `tune.jsonl` (thresholds are calibrated on it) and
`heldout.jsonl` (never looked at while tuning); reports keep the two apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qa.errors import QAError

KINDS = ("answer", "abstain")


class GoldFileError(QAError):
    """A gold file that cannot be scored: the message names the file and line."""


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answerable: bool
    required: tuple[str, ...] = ()
    expected_sources: tuple[str | int, ...] = ()
    tags: tuple[str, ...] = ()
    split: str = "tune"
    collection: str | None = None  # None: the caller's default
    line: int = 0


# ----- reading gold files ------------------------------------------------------------------------


def _strings(raw: dict, key: str, where: str, allow_ids: bool = False) -> tuple:
    value = raw.get(key, [])
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]  # one source or one pattern needs no list
    kinds = (str, int) if allow_ids else (str,)
    if not isinstance(value, list) or not all(isinstance(v, kinds) and not isinstance(v, bool) for v in value):
        what = "strings or document ids" if allow_ids else "strings"
        raise GoldFileError(f"{where}: \"{key}\" must be a list of {what}")
    return tuple(value)


def parse_item(raw: Any, where: str, line: int, split: str = "tune") -> GoldItem:
    """One gold line, checked: a question that can be asked, a known kind, regexes that compile."""
    from qa.question import question_problem

    if not isinstance(raw, dict):
        raise GoldFileError(f"{where}: not a JSON object")
    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        raise GoldFileError(f"{where}: no \"question\" field")
    problem = question_problem(question)
    if problem:
        raise GoldFileError(f"{where}: {problem}")
    kind = raw.get("kind", "answer")
    if kind not in KINDS:
        raise GoldFileError(f"{where}: unknown kind {kind!r}; use \"answer\" or \"abstain\"")
    required = _strings(raw, "required", where)
    for pattern in required:
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise GoldFileError(f"{where}: invalid regex {pattern!r} in \"required\": {exc}") from None
    collection = raw.get("collection")
    if collection is not None and (not isinstance(collection, str) or not collection.strip()):
        raise GoldFileError(f"{where}: \"collection\" must be a collection name")
    return GoldItem(
        str(raw.get("id") or f"line-{line}"), question.strip(), kind == "answer", required,
        _strings(raw, "expected_sources", where, allow_ids=True), _strings(raw, "tags", where), split,
        collection, line,
    )


def read_gold(path: Path | str, text: str | None = None) -> list[GoldItem]:
    """Every item of one JSONL file; the split is the file's name (tune / heldout)."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise GoldFileError(f"{path}: not UTF-8 text; a gold file is JSONL, one JSON object per line") from None
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldFileError(f"{where}: not valid JSON ({exc.msg}); a gold file is JSONL, one object per line") from None
        items.append(parse_item(raw, where, number, path.stem))
    if not items:
        raise GoldFileError(f"{path}: no questions found")
    return items


def load_gold(paths: Iterable[Path]) -> list[GoldItem]:
    return [item for path in paths for item in read_gold(path)]


def in_collection(items: Iterable[GoldItem], default: str) -> list[GoldItem]:
    """Items with the default collection filled in where a line names none."""
    return [item if item.collection else replace(item, collection=default) for item in items]
