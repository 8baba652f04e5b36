"""Render answers for the terminal (the verified answer, then Sources with exact quotes) and as JSON."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import asdict
from typing import TYPE_CHECKING

from qa.answer import AnswerResult

if TYPE_CHECKING:
    from qa.store.collection import Collection, DocumentRow


def _wrap(text: str, indent: str = "") -> str:
    width = max(40, min(shutil.get_terminal_size((100, 20)).columns, 100))
    return textwrap.fill(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent)


def date_label(date: str | None, source: str | None) -> str:
    """A document's date as results show it: the day, or "file modified <day>" when the article
    gave none and the file's modification day stands in."""
    if not date:
        return ""
    return f"file modified {date[:10]}" if source == "file" else date[:10]


def cited_dates(store: "Collection", result: AnswerResult) -> dict[int, tuple[str | None, str | None]]:
    """Each cited document's (date, date source), for `answer_payload` and `answer_text`."""
    return store.document_dates([citation.doc_id for citation in result.citations])


def answer_payload(result: AnswerResult, dates: dict[int, tuple[str | None, str | None]]) -> dict:
    """The result as JSON (`--json`, the server's API), each citation with its document's date and
    where that date comes from (as `qa search --json` gives them): a file's modification day too,
    which the answer itself does not reason with."""
    payload = result.as_dict()
    for citation in payload["citations"]:
        citation["date"], citation["date_source"] = dates.get(citation["doc_id"], (citation["date"], None))
    return payload


def document_payload(store: "Collection", row: "DocumentRow", with_text: bool) -> dict:
    """One document as `qa docs show --json` and the server give it: the row, its passages (with
    their character offsets in the text) and, if asked, the text."""
    passages = store.passages(store.document_passage_ids(row.id))
    payload = {
        **asdict(row),
        "passage_list": [
            {"passage_id": p.id, "location": p.location, "start": p.start, "end": p.end, "text": p.text}
            for p in sorted(passages.values(), key=lambda p: p.ordinal)
        ],
    }
    if with_text:
        payload["text"] = store.document_text(row.id)
    return payload


def answer_text(result: AnswerResult, dates: dict[int, tuple[str | None, str | None]] | None = None) -> str:
    """`dates`: each cited document's (date, date source), to show a file's date the answer itself
    does not reason with; without it, the article dates the citations carry."""
    lines = ([_wrap(result.note), ""] if result.note else []) + [_wrap(result.answer)]
    if result.mode == "abstained":
        if result.reason:  # why not, as `--json` gives it
            lines.append(_wrap(f"Why: {result.reason}."))
        if result.closest:
            lines += ["", "Closest passages:"]
            for item in result.closest:
                lines.append(f"  - {item['title']} ({item['location']}), score {item['score']:.2f}")
                lines.append(_wrap(item["text"][:300], "      "))
        return "\n".join(lines)
    lines += ["", "Sources:"]
    shown = " ".join(result.answer.split())
    for citation in result.citations:
        label = date_label(*dates[citation.doc_id]) if dates and citation.doc_id in dates else date_label(citation.date, None)
        dated = f", {label}" if label else ""
        lines.append(f"  [{citation.n}] {citation.title} ({citation.location}{dated}) — {citation.source}")
        quoted = f"“{' '.join(citation.quote.split())}”"
        if quoted not in shown:  # a quote already in the answer is not printed twice
            lines.append(_wrap(quoted, "      "))
    return "\n".join(lines)


def screen_lines(text: str, columns: int) -> int:
    """How many terminal rows `text` occupies, counting wrapped lines."""
    rows = 0
    for line in text.split("\n"):
        rows += max(1, -(-len(line) // max(columns, 1)))
    return rows
