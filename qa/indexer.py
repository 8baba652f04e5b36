"""Index files into a collection: read, split, embed, and commit in all-or-nothing batches."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.config import Settings
from qa.embed import Embedder
from qa.errors import QAError
from qa.ingest.readers import (
    SUPPORTED_SUFFIXES,
    PageSpan,
    RawDocument,
    UnreadableDocument,
    format_for,
    read_bytes,
    read_path,
)
from qa.ingest.split import chunk_text
from qa.store.collection import Collection, Manifest

STDIN = "-"
_COMMIT_SECONDS = 30.0


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    passages: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "passages": self.passages,
            "seconds": round(self.seconds, 2),
            "errors": self.errors,
            "notes": self.notes,
        }


class Progress:
    """Receives indexing progress; the CLI draws a bar on stderr, the library default is silent."""

    def start(self, total_files: int) -> None: ...

    def advance(self, label: str, passages: int) -> None: ...

    def finish(self) -> None: ...


def manifest_for(settings: Settings, embedder: Embedder) -> Manifest:
    return Manifest(
        embed_model=embedder.name,
        embed_fingerprint=embedder.fingerprint,
        dimension=embedder.dimension,
        chunk_max_tokens=settings.chunk.max_tokens,
        chunk_overlap_sentences=settings.chunk.overlap_sentences,
        splitter=settings.chunk.splitter,
    )


@dataclass
class _Targets:
    files: list[Path] = field(default_factory=list)
    directories: list[Path] = field(default_factory=list)
    stdin: bool = False


def collect_targets(paths: Sequence[str], report: IndexReport) -> _Targets:
    """Expand arguments into files (folders recursively, in sorted order); note what is skipped."""
    targets = _Targets()
    seen: set[Path] = set()
    for argument in paths:
        if argument == STDIN:
            targets.stdin = True
            continue
        path = Path(argument).expanduser()
        if not path.exists():
            report.errors.append(f"{argument}: no such file or directory")
            continue
        if path.is_dir():
            targets.directories.append(path.resolve())
            candidates: Iterable[Path] = sorted(p for p in path.rglob("*") if p.is_file())
            explicit = False
        else:
            candidates = [path]
            explicit = True
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved in seen or any(part.startswith(".") for part in candidate.relative_to(path).parts):
                continue
            seen.add(resolved)
            if format_for(candidate) is None:
                if explicit:
                    known = ", ".join(sorted(SUPPORTED_SUFFIXES))
                    report.notes.append(f"{argument}: skipped, unsupported type (supported: {known})")
                else:
                    report.notes.append(f"{candidate}: skipped, unsupported type")
                continue
            targets.files.append(resolved)
    return targets


def index_paths(
    settings: Settings,
    embedder: Embedder,
    paths: Sequence[str],
    *,
    rebuild: bool = False,
    stdin_bytes: Callable[[], bytes] | None = None,
    progress: Progress | None = None,
) -> IndexReport:
    started = time.monotonic()
    report = IndexReport()
    progress = progress or Progress()
    targets = collect_targets(paths, report)
    manifest = manifest_for(settings, embedder)
    with Collection.open_writer(settings, manifest, rebuild=rebuild) as collection:
        work: list[Callable[[], RawDocument]] = [
            (lambda path=path: read_path(path, settings.max_document_bytes)) for path in targets.files
        ]
        if targets.stdin and stdin_bytes is not None:
            work.append(lambda: _read_stdin(stdin_bytes(), settings.max_document_bytes))
        progress.start(len(work) + (len(collection.documents()) if rebuild else 0))
        batch = _Batch(collection, manifest, settings.commit_every_documents)
        if rebuild:
            _rechunk_all(collection, settings, embedder, batch, report, progress)
        for read in work:
            _index_one(read, collection, settings, embedder, batch, report, progress)
        _remove_missing(collection, targets.directories, batch, report)
        batch.flush()
        progress.finish()
    report.seconds = time.monotonic() - started
    return report


def _read_stdin(data: bytes, max_bytes: int) -> RawDocument:
    """stdin is read up to the size limit plus one byte, so an endless pipe cannot fill memory."""
    from qa.ingest.readers import content_hash

    if len(data) > max_bytes:
        raise UnreadableDocument(
            f"stdin: more than the {max_bytes / 1e6:.0f} MB limit per document; split it or raise QA_MAX_DOCUMENT_MB"
        )
    if not data.strip():
        raise UnreadableDocument("stdin: empty input, nothing to index")
    head = data[:512].lstrip().lower()
    fmt = "html" if head.startswith((b"<!doctype html", b"<html")) else "txt"
    return read_bytes(f"stdin:{content_hash(data)[:16]}", data, fmt)


class _Batch:
    """Groups document writes into transactions of up to N documents or ~30 seconds."""

    def __init__(self, collection: Collection, manifest: Manifest, size: int) -> None:
        self.collection = collection
        self.manifest = manifest
        self.size = size
        self.pending: list[Callable[[Collection], None]] = []
        self.opened = time.monotonic()

    def add(self, write: Callable[[Collection], None]) -> None:
        if not self.pending:
            self.opened = time.monotonic()
        self.pending.append(write)
        if len(self.pending) >= self.size or time.monotonic() - self.opened > _COMMIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.pending and self.collection.manifest() is not None:
            return
        with self.collection.transaction(self.manifest) as tx:
            for write in self.pending:
                write(tx)
        self.pending = []


def _chunk_and_embed(raw: RawDocument, settings: Settings, embedder: Embedder):
    sentences, passages = chunk_text(
        raw.text,
        embedder.count_tokens,
        settings.chunk.max_tokens,
        settings.chunk.overlap_sentences,
        raw.pages,
    )
    vectors = embedder.embed([raw.text[p.start : p.end] for p in passages])
    return sentences, passages, vectors


def _index_one(read, collection, settings, embedder, batch: _Batch, report: IndexReport, progress: Progress) -> None:
    label = "stdin"
    try:
        raw = read()
    except UnreadableDocument as exc:
        report.errors.append(str(exc).replace(f"{Path.cwd()}{os.sep}", ""))
        progress.advance(label, 0)
        return
    label = raw.source
    report.notes.extend(raw.warnings)
    existing = collection.find_document(raw.source)
    if existing is not None and existing.content_hash == raw.content_hash and _has_passages(collection, existing.id):
        report.unchanged += 1
        progress.advance(label, 0)
        return
    sentences, passages, vectors = _chunk_and_embed(raw, settings, embedder)
    doc_id = existing.id if existing else None
    batch.add(lambda tx: tx.put_document(raw, sentences, passages, vectors, doc_id=doc_id))
    if existing is None:
        report.added += 1
    else:
        report.updated += 1
    report.passages += len(passages)
    progress.advance(label, len(passages))


def _has_passages(collection: Collection, doc_id: int) -> bool:
    return bool(collection.document_passage_ids(doc_id))


def _rechunk_all(collection, settings, embedder, batch: _Batch, report: IndexReport, progress: Progress) -> None:
    """--rebuild: re-split and re-embed every stored document from its stored text."""
    for document in collection.documents():
        text = collection.document_text(document.id)
        pages = [
            PageSpan(row[0], row[1], row[2])
            for row in collection.conn.execute(
                "SELECT page, start, end FROM pages WHERE doc_id = ? ORDER BY page", (document.id,)
            )
        ]
        raw = RawDocument(document.source, document.format, document.title, document.date, text, document.content_hash, pages)
        sentences, passages, vectors = _chunk_and_embed(raw, settings, embedder)
        batch.add(
            lambda tx, doc_id=document.id, raw=raw, s=sentences, p=passages, v=vectors: tx.write_chunks(doc_id, raw.text, s, p, v)
        )
        report.passages += len(passages)
        progress.advance(document.source, len(passages))


def _remove_missing(collection: Collection, directories: list[Path], batch: _Batch, report: IndexReport) -> None:
    """Documents indexed from a folder being re-indexed whose files are gone are removed (once,
    even when the folders given overlap)."""
    prefixes = tuple(str(directory) + os.sep for directory in directories)
    if not prefixes:
        return
    for document in collection.documents():
        if document.source.startswith(prefixes) and not Path(document.source).exists():
            batch.add(lambda tx, doc_id=document.id: tx.remove_document(doc_id))
            report.removed += 1


def remove_documents(settings: Settings, embedder: Embedder, targets: Sequence[str]) -> list[tuple[int, str, int]]:
    """Remove documents by id or path; returns (id, source, passages removed) for each."""
    manifest = manifest_for(settings, embedder)
    removed: list[tuple[int, str, int]] = []
    with Collection.open_writer(settings, manifest) as collection:
        documents = [resolve_document(collection, target) for target in targets]
        with collection.transaction(manifest) as tx:
            for document in documents:
                removed.append((document.id, document.source, tx.remove_document(document.id)))
    return removed


def resolve_document(collection: Collection, target: str):
    """A document by numeric id, stored source, or a path that resolves to a stored source."""
    if target.isdigit():
        document = collection.document(int(target))
        if document is not None:
            return document
    document = collection.find_document(target) or collection.find_document(str(Path(target).expanduser().resolve()))
    if document is None:
        raise QAError(f"no document {target!r} in collection '{collection.name}'; see `qa docs list`")
    return document
