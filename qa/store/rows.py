"""The records a collection reads and returns, and the filter that chooses its documents."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class Manifest:
    """How an index was built; opening it with anything different is refused."""

    embed_model: str
    embed_fingerprint: str
    dimension: int
    chunk_max_tokens: int
    chunk_overlap_sentences: int
    splitter: str

    def differences(self, other: "Manifest") -> list[str]:
        mine, theirs = asdict(self), asdict(other)
        return [f"{key}: index has {theirs[key]!r}, settings give {mine[key]!r}" for key in mine if mine[key] != theirs[key]]


@dataclass(frozen=True)
class DocumentRow:
    id: int
    source: str
    format: str
    title: str
    date: str | None
    content_hash: str
    added_at: str
    updated_at: str
    passages: int = 0
    chars: int = 0
    date_source: str | None = None  # metadata | text | file (see ingest.readers)


@dataclass(frozen=True)
class PassageRow:
    id: int
    doc_id: int
    ordinal: int
    start: int
    end: int
    first_sentence: int
    last_sentence: int
    paragraph: int
    page: int | None
    text: str
    title: str
    source: str
    # the article's own date (metadata or a date line), what answers may reason with; a file's
    # modification day says when it was saved, not when anything happened, so it is left out here
    date: str | None = None
    document_date: str | None = None  # the date filters compare and results show, of any source
    date_source: str | None = None
    text_key: int | None = None  # textmatch.text_key of its text; None in a collection not yet upgraded

    @property
    def location(self) -> str:
        return f"p. {self.page}" if self.page is not None else f"para. {self.paragraph}"


@dataclass(frozen=True)
class SentenceRow:
    doc_id: int
    ordinal: int
    start: int
    end: int
    paragraph: int
    page: int | None
    text: str


@dataclass(frozen=True)
class DocumentFilter:
    """Which documents results may come from (--source, --since, --until, --doc).

    Repeats of one option widen the choice (any of them), different options narrow it (all of
    them). Date bounds are inclusive days; a document without a date never passes a date bound."""

    sources: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    doc_ids: tuple[int, ...] = ()
    label: str = ""  # the options as the user gave them, for messages: "--since 2018"

    @property
    def active(self) -> bool:
        return bool(self.sources or self.doc_ids or self.dated)

    @property
    def dated(self) -> bool:
        return self.since is not None or self.until is not None


@dataclass(frozen=True)
class Scope:
    """The documents of one collection a filter leaves."""

    filter: DocumentFilter
    collection: str
    doc_ids: frozenset[int]
    undated: int  # documents that passed every other option and were left out for having no date

    @property
    def empty(self) -> bool:
        return not self.doc_ids

    def undated_note(self) -> str:
        if not self.undated:
            return ""
        plural = "s" if self.undated > 1 else ""
        return f"{self.undated} document{plural} without a date left out by --since/--until"

    def nothing_matches(self) -> str:
        why = f" ({self.undated_note()})" if self.undated else ""
        return f"no documents match {self.filter.label} in collection '{self.collection}'{why}"


_GLOB_CHARACTERS = re.compile(r"[*?\[]")


def source_matches(pattern: str, source: str) -> bool:
    """--source PATTERN against a document's source (its absolute path, or stdin:HASH), ignoring case.

    With a glob character (* ? [...]) the pattern must match the whole source or its last path
    parts, so `*.pdf`, `news/*.html` and `reuters-*` mean what they say; `*` also crosses "/".
    Without one it is a substring: `reuters` finds every source with "Reuters" in it."""
    pattern, source = pattern.replace("\\", "/").casefold(), source.replace("\\", "/").casefold()
    if not _GLOB_CHARACTERS.search(pattern):
        return pattern in source
    return fnmatchcase(source, pattern) or fnmatchcase(source, "*/" + pattern.lstrip("/"))
