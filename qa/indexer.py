"""Index files into a collection: read, split, embed, and commit in all-or-nothing batches."""

from __future__ import annotations

import errno
import functools
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.embed import Embedder
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
from qa.store.collection import Collection, DocumentRow, Manifest

if TYPE_CHECKING:
    import numpy as np

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
    commit_seconds: float = 0.0  # of `seconds`, writing vector files and committing
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
            "commit_seconds": round(self.commit_seconds, 2),
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


OUTSIDE = "leads outside the folders allowed here (qa serve --allow-path), not read"


@dataclass
class _Targets:
    files: list[Path] = field(default_factory=list)
    directories: list[Path] = field(default_factory=list)
    stdin: bool = False


def collect_targets(paths: Sequence[str], report: IndexReport, within: Sequence[Path] | None = None) -> _Targets:
    """Expand arguments into files (folders recursively, in sorted order); note what is skipped.
    With `within` (resolved folders), a file or linked folder that resolves outside all of them is
    an error line, not read: `qa serve --allow-path` confines what a page may have indexed."""
    targets = _Targets()
    seen: set[Path] = set()
    for argument in paths:
        if argument == STDIN:
            targets.stdin = True
            continue
        path = Path(argument).expanduser()
        if not path.exists():
            loop = path.is_symlink() and _link_problem(path) == "loop"
            reason = "symbolic link loop, it never reaches a file" if loop else "no such file or directory"
            report.errors.append(f"{argument}: {reason}")
            continue
        if path.is_dir():
            targets.directories.append(path.resolve())
            candidates: Iterable[Path] = _folder_files(path, report, within)
            explicit = False
        else:
            candidates = [path]
            explicit = True
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            if within is not None and not inside(resolved, within):
                report.errors.append(f"{candidate}: {OUTSIDE}")
                continue
            # a link's type is its target's: that is the file read
            if format_for(resolved) is None:
                if explicit:
                    known = ", ".join(sorted(SUPPORTED_SUFFIXES))
                    report.notes.append(f"{argument}: skipped, unsupported type (supported: {known})")
                else:
                    report.notes.append(f"{candidate}: skipped, unsupported type")
                continue
            targets.files.append(resolved)
    return targets


def _link_problem(path: Path) -> str | None:
    """Why following the link at `path` reaches nothing: "dangling", "loop", or None."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return "dangling"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "loop"
        raise
    return None


# Linux follows at most 40 links in one path (ELOOP past that); 64 covers any chain it would.
_LINK_HOPS = 64


def _link_cycle(path: Path) -> tuple[frozenset[str], list[str]] | None:
    """The links of the loop `path` runs into (as absolute paths, to know it again) and the names
    along the way, for the message; None when the loop is not a plain chain of links."""
    chain: list[str] = []
    current = os.path.abspath(path)
    while os.path.islink(current) and current not in chain and len(chain) < _LINK_HOPS:
        chain.append(current)
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    if current not in chain:
        return None
    names = [os.path.basename(link) for link in chain] + [os.path.basename(current)]
    return frozenset(chain[chain.index(current) :]), names


def inside(resolved: Path, folders: Sequence[Path]) -> bool:
    """Is the resolved path `resolved` in (or one of) `folders`?"""
    return any(resolved.is_relative_to(folder) for folder in folders)


def _folder_files(folder: Path, report: IndexReport, within: Sequence[Path] | None = None) -> Iterator[Path]:
    """Files under `folder`, depth first in sorted order, hidden names skipped. Links to files and
    to folders are followed, each folder walked once; a dangling link or a loop is an error line,
    not a silent gap (only a dangling link of a type qa does not read is passed over, with a note)."""
    walked: set[Path] = set()
    reported_loops: set[frozenset[str]] = set()

    def walk(directory: Path, ancestors: tuple[Path, ...]) -> Iterator[Path]:
        walked.add(ancestors[-1])
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as exc:
            report.errors.append(f"{directory}: cannot be listed ({exc.strerror or exc})")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = directory / entry.name
            if entry.is_symlink():
                problem = _link_problem(path)
                if problem == "dangling":
                    target = os.readlink(path)
                    if format_for(path) is None:
                        report.notes.append(f"{path}: skipped, a dangling link of an unsupported type")
                    else:
                        report.errors.append(f"{path}: dangling link to {target}, no such file or directory")
                    continue
                if problem == "loop":
                    cycle = _link_cycle(path)
                    if cycle is None or cycle[0] not in reported_loops:  # a → b → a is one error, not two
                        chain = f" ({' → '.join(cycle[1])})" if cycle else ""
                        report.errors.append(f"{path}: symbolic link loop{chain}, it never reaches a file")
                    if cycle is not None:
                        reported_loops.add(cycle[0])
                    continue
            if entry.is_dir():  # follows a link to a folder
                resolved = path.resolve()
                if within is not None and not inside(resolved, within):
                    report.errors.append(f"{path}: {OUTSIDE}")
                elif resolved in ancestors:
                    report.errors.append(f"{path}: symbolic link loop, it leads back to {_shown(resolved, folder)}")
                elif resolved not in walked:  # a folder reached twice is read once
                    yield from walk(path, (*ancestors, resolved))
            elif entry.is_file():
                yield path

    return walk(folder, (folder.resolve(),))


def _shown(directory: Path, folder: Path) -> str:
    """A folder as the user named it: relative to the folder given, when it is inside it."""
    base = folder.resolve()
    if directory == base:
        return str(folder)
    return str(folder / directory.relative_to(base)) if directory.is_relative_to(base) else str(directory)


def index_paths(
    settings: Settings,
    embedder: Embedder,
    paths: Sequence[str],
    *,
    rebuild: bool = False,
    stdin_bytes: Callable[[], bytes] | None = None,
    progress: Progress | None = None,
    within: Sequence[Path] | None = None,
) -> IndexReport:
    started = time.monotonic()
    report = IndexReport()
    progress = progress or Progress()
    targets = collect_targets(paths, report, within)
    manifest = manifest_for(settings, embedder)
    with Collection.open_writer(settings, manifest, rebuild=rebuild) as collection:
        reads: list[Callable[[], RawDocument]] = [
            functools.partial(read_path, path, settings.max_document_bytes) for path in targets.files
        ]
        if targets.stdin and stdin_bytes is not None:
            reads.append(lambda: _read_stdin(stdin_bytes(), settings.max_document_bytes))
        stored = {document.source: document for document in collection.documents()}
        # a rebuild re-splits every stored document; one that was interrupted (killed) is
        # finished by the next run, from the documents it had not reached
        resume = rebuild or collection.rebuild_pending()
        given = {str(path) for path in targets.files}
        waiting = [d for d in stored.values() if resume and not d.passages and d.source not in given]
        progress.start(len(reads) + len(waiting))
        batch = _Batch(collection, manifest, settings.commit_every_documents)
        embedding = _EmbeddingQueue(embedder, batch, report, progress)
        for document in waiting:
            embedding.add(_stored_document(collection, settings, embedder, document))
        with _Preparer(reads, stored, settings, embedder) as prepared:
            for item in prepared:
                if isinstance(item, str):
                    report.errors.append(item)
                    progress.advance("", 0)
                elif isinstance(item, RawDocument):
                    report.notes.extend(item.warnings)
                    report.unchanged += 1
                    progress.advance(item.source, 0)
                else:
                    report.notes.extend(item.raw.warnings)
                    embedding.add(item)
        embedding.flush()
        _remove_missing(collection, targets.directories, batch, report)
        batch.flush()
        if resume:
            collection.finish_rebuild()
        progress.finish()
        report.commit_seconds = collection.commit_seconds
    report.seconds = time.monotonic() - started
    return report


def rechunk_documents(settings: Settings, embedder: Embedder, doc_ids: Sequence[int]) -> IndexReport:
    """Split and embed stored documents again from their stored text (`qa doctor --repair`)."""
    started = time.monotonic()
    report = IndexReport()
    manifest = manifest_for(settings, embedder)
    with Collection.open_writer(settings, manifest) as collection:
        batch = _Batch(collection, manifest, settings.commit_every_documents)
        embedding = _EmbeddingQueue(embedder, batch, report, Progress())
        for doc_id in doc_ids:
            document = collection.document(doc_id)
            if document is not None:
                embedding.add(_stored_document(collection, settings, embedder, document))
        embedding.flush()
        batch.flush()
    report.seconds = time.monotonic() - started
    return report


@dataclass
class _Prepared:
    """A document read and split, waiting for its passages' vectors."""

    raw: RawDocument
    sentences: list
    passages: list
    doc_id: int | None  # the stored document it replaces
    rechunk: bool = False  # --rebuild: the stored document's text, re-split

    @property
    def passage_texts(self) -> list[str]:
        return [self.raw.text[p.start : p.end] for p in self.passages]


def _split(raw: RawDocument, settings: Settings, embedder: Embedder) -> tuple[list, list]:
    return chunk_text(
        raw.text, embedder.count_tokens, settings.chunk.max_tokens, settings.chunk.overlap_sentences, raw.pages
    )


def _stored_document(collection: Collection, settings: Settings, embedder: Embedder, document: DocumentRow) -> _Prepared:
    """--rebuild: a stored document (a row already read by the caller), re-split from its text."""
    text = collection.document_text(document.id)
    pages = [PageSpan(page, start, end) for page, start, end in collection.page_spans(document.id)]
    raw = RawDocument(document.source, document.format, document.title, document.date, text, document.content_hash, pages,
                      date_source=document.date_source)
    return _Prepared(raw, *_split(raw, settings, embedder), doc_id=document.id, rechunk=True)


class _Preparer:
    """Reads and splits documents in a background thread while the main thread embeds.

    Parsing and sentence splitting are Python; ONNX Runtime releases the GIL while it computes,
    so the two overlap. Yields, in input order: an error line (str), an unchanged document
    (RawDocument), or a _Prepared document. A bounded queue keeps memory flat.
    """

    _DONE = object()

    def __init__(self, reads: list[Callable[[], RawDocument]], stored: dict, settings: Settings, embedder: Embedder) -> None:
        self.reads = reads
        self.stored = stored
        self.settings = settings
        self.embedder = embedder
        self.queue: queue.Queue = queue.Queue(maxsize=64)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="qa-prepare", daemon=True)

    def __enter__(self) -> Iterator[str | RawDocument | _Prepared]:
        self.thread.start()
        return self._items()

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        while self.thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self.thread.join()

    def _items(self) -> Iterator[str | RawDocument | _Prepared]:
        while True:
            item = self.queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _put(self, item: object) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for read in self.reads:
                if self.stop.is_set() or not self._put(self._prepare(read)):
                    return
            self._put(self._DONE)
        except BaseException as exc:  # handed to the main thread, which raises it
            self._put(exc)

    def _prepare(self, read: Callable[[], RawDocument]) -> str | RawDocument | _Prepared:
        try:
            raw = read()
        except UnreadableDocument as exc:
            return str(exc).replace(f"{Path.cwd()}{os.sep}", "")
        existing = self.stored.get(raw.source)
        if existing is not None and existing.content_hash == raw.content_hash and existing.passages:
            return raw
        sentences, passages = _split(raw, self.settings, self.embedder)
        return _Prepared(raw, sentences, passages, doc_id=existing.id if existing else None)


class _EmbeddingQueue:
    """Collects split documents and embeds their passages together, about two thousand at a time:
    batches then hold passages of similar length from many documents, so little is padding,
    and a passage repeated word for word (a syndicated copy) is embedded once. A group embeds in
    its own thread while the group before it is stored (SQLite, commits) in the calling one."""

    # On 1.0M words of news (bench/index_bench.py, idle): groups of 256 spent 131 s in the model
    # against 106 s for all passages in one call; 1,024 spent 115 s against 109, 2,048 115 against
    # 115. A group is about 17 s of work: progress and commits follow it. The first group is
    # small, so the model starts as soon as a few documents are split.
    group_passages = 2048
    first_group_passages = 256
    _REMEMBERED = 4096  # vectors kept for repeats; at 384 floats, about 6 MB

    def __init__(self, embedder: Embedder, batch: _Batch, report: IndexReport, progress: Progress) -> None:
        self.embedder = embedder
        self.batch = batch
        self.report = report
        self.progress = progress
        self.waiting: list[_Prepared] = []
        self.recent: OrderedDict[str, "np.ndarray"] = OrderedDict()
        self.running: _Group | None = None  # the group embedding now, written when the next starts
        self.started = 0

    def add(self, item: _Prepared) -> None:
        self.waiting.append(item)
        wanted = self.group_passages if self.started else self.first_group_passages
        if sum(len(w.passages) for w in self.waiting) >= wanted:
            self._start()

    def flush(self) -> None:
        """Embed and store everything added so far."""
        self._start()
        self._finish()

    def _start(self) -> None:
        """Embed the waiting documents in the background, then store the group before them."""
        if not self.waiting:
            return
        items, self.waiting = self.waiting, []
        texts = [text for item in items for text in item.passage_texts]
        # one group in the model at a time (two would share its cores); its vectors count as known
        running = self.running
        just_embedded = dict(zip(running.missing, running.embedding.result())) if running is not None else {}
        known = {text: vector for text in texts if (vector := self.recent.get(text, just_embedded.get(text))) is not None}
        missing = list(dict.fromkeys(text for text in texts if text not in known))
        embedding = _InBackground(functools.partial(self.embedder.embed_passages, missing))
        self.started += 1
        self._finish()  # the group before is stored while this one embeds
        self.running = _Group(items, texts, known, missing, embedding)

    def _finish(self) -> None:
        """Wait for the running group's vectors and store its documents."""
        import numpy as np

        group, self.running = self.running, None
        if group is None:
            return
        found = dict(zip(group.missing, group.embedding.result())) | group.known
        for text in group.texts:  # repeats seen most recently are kept longest
            self.recent[text] = found[text]
            self.recent.move_to_end(text)
        while len(self.recent) > self._REMEMBERED:
            self.recent.popitem(last=False)
        empty = np.zeros((0, self.embedder.dimension), dtype=np.float32)
        vectors = np.stack([found[text] for text in group.texts]) if group.texts else empty
        offset = 0
        for item in group.items:
            self._write(item, vectors[offset : offset + len(item.passages)])
            offset += len(item.passages)

    def _write(self, item: _Prepared, vectors: "np.ndarray") -> None:
        raw, sentences, passages = item.raw, item.sentences, item.passages
        doc_id = item.doc_id
        if item.rechunk and doc_id is not None:
            self.batch.add(lambda tx: tx.rechunk(doc_id, raw.text, sentences, passages, vectors))
        else:
            self.batch.add(lambda tx: tx.put_document(raw, sentences, passages, vectors))
            if item.doc_id is None:
                self.report.added += 1
            else:
                self.report.updated += 1
        self.report.passages += len(passages)
        self.progress.advance(raw.source, len(passages))


@dataclass
class _Group:
    """Documents whose passages are embedding: their texts in order, the vectors already known
    (repeats), the texts sent to the model, and the embedding under way."""

    items: list[_Prepared]
    texts: list[str]
    known: dict[str, "np.ndarray"]
    missing: list[str]
    embedding: _InBackground


class _InBackground:
    """One call in a daemon thread: an interrupted run exits at once instead of waiting for the
    model to finish a group (a thread pool's workers are joined at exit)."""

    def __init__(self, call: Callable[[], "np.ndarray"]) -> None:
        self._value: np.ndarray | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), name="qa-embed", daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], "np.ndarray"]) -> None:
        try:
            self._value = call()
        except BaseException as exc:  # raised again in the thread that asks for the result
            self._error = exc

    def result(self) -> "np.ndarray":
        """The call's value, once it has returned (asked again, the same value)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


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
        self.pending: list[Callable[[Collection], object]] = []
        self.opened = time.monotonic()

    def add(self, write: Callable[[Collection], object]) -> None:
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


def _remove_missing(collection: Collection, directories: list[Path], batch: _Batch, report: IndexReport) -> None:
    """Documents indexed from a folder being re-indexed whose files are gone are removed (once,
    even when the folders given overlap)."""
    prefixes = tuple(str(directory) + os.sep for directory in directories)
    if not prefixes:
        return
    for document in collection.documents():
        if document.source.startswith(prefixes) and not Path(document.source).exists():
            batch.add(functools.partial(Collection.remove_document, doc_id=document.id))
            report.removed += 1


def remove_documents(settings: Settings, embedder: Embedder, targets: Sequence[str]) -> list[tuple[int, str, int]]:
    """Remove documents by id or path; returns (id, source, passages removed) for each."""
    manifest = manifest_for(settings, embedder)
    removed: list[tuple[int, str, int]] = []
    with Collection.open_writer(settings, manifest) as collection:
        documents = [collection.resolve(target) for target in targets]
        with collection.transaction(manifest) as tx:
            for document in documents:
                removed.append((document.id, document.source, tx.remove_document(document.id)))
    return removed

