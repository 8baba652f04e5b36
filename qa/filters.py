"""Which documents a search, answer or summary may use: --source, --since, --until and --doc, as
the CLI and the server's API both give them."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.dates import Period
    from qa.store.collection import Collection, Scope


@dataclass(frozen=True)
class Filters:
    """The filters as given; `choose_documents` turns them into a Scope of one collection."""

    sources: tuple[str, ...] = ()
    since: Period | None = None
    until: Period | None = None
    docs: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.sources or self.since or self.until or self.docs)

    @property
    def label(self) -> str:
        """The filters as options, for messages: "--source '*.pdf' --since 2017"."""
        parts = [f"--source {shlex.quote(pattern)}" for pattern in self.sources]
        parts += [f"--since {shlex.quote(self.since.text)}"] if self.since else []
        parts += [f"--until {shlex.quote(self.until.text)}"] if self.until else []
        parts += [f"--doc {shlex.quote(doc)}" for doc in self.docs]
        return " ".join(parts)


def choose_documents(collection: Collection, filters: Filters) -> Scope | None:
    """The documents of `collection` that every given filter admits (None without filters): a
    source pattern (any of them), a date inside [since, until], one of the documents named (ids or
    paths; an unknown one is a NoSuchDocumentError)."""
    from qa.store.collection import DocumentFilter

    if not filters.given:
        return None
    doc_ids = tuple(collection.resolve(target).id for target in filters.docs)
    wanted = DocumentFilter(
        filters.sources, filters.since.start if filters.since else None, filters.until.end if filters.until else None,
        doc_ids, filters.label,
    )
    return collection.scope(wanted)
