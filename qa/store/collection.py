"""A collection on disk: one SQLite database and its FAISS files, tied by a generation number.

Writers take the collection's file lock for each commit, not for a whole run, so two `qa index`
runs (or an index and a `qa docs remove`) interleave their commits; a `--rebuild` holds it
throughout. Commit protocol (under the lock):
  0. The writer catches up: if another writer committed since its last commit, it forgets the
     vectors it had loaded.
  1. SQLite changes are made inside one transaction; the vector changes are collected in memory.
  2. The changes are written to `vectors.<G+1>.delta.tmp` (or, now and then, the whole index to
     `vectors.<G+1>.faiss.tmp`) and fsynced.
  3. `generation = G+1` and the files' layout are written and the SQLite transaction commits.
     <- the commit point
  4. The temporary file is renamed into place; files no reader needs any more are removed.
A process killed before 3 leaves generation G and its files untouched; killed between 3 and 4,
the next open finds the fsynced temporary file and finishes the rename. If a FAISS file is ever
missing or out of step, the index is rebuilt from the vectors kept in SQLite, which are the
source of truth; the files are a derived cache. The files themselves (steps 2 and 4, and the
recovery) are store.vector_files' job.

A reader pins one SQLite snapshot (a read transaction) for as long as it is open, so what it
sees is one generation: before a commit or after it, never between.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.dates import parse_stored_date
from qa.errors import DamagedCollectionError, IndexMismatchError, NoSuchDocumentError, QAError
from qa.store import log, sql
from qa.store.lock import WriterLock
from qa.store.migrations import MIGRATIONS, check_version, migrate
from qa.store.rows import DocumentFilter, DocumentRow, Manifest, PassageRow, Scope, SentenceRow, source_matches
from qa.store.vector_files import VectorDelta, VectorFiles, VectorLayout
from qa.store.vectors import FaissVectorIndex
from qa.textmatch import text_key

if TYPE_CHECKING:
    import numpy as np

    from qa.ingest.readers import RawDocument
    from qa.ingest.split import Passage, Sentence

# the row types were defined here; importers of qa.store.collection keep finding them
__all__ = [
    "DB_NAME", "Collection", "DocumentFilter", "DocumentRow", "EmptyCollection", "Manifest", "PassageRow", "Scope",
    "SentenceRow", "database_error", "source_matches",
]

DB_NAME = "qa.db"
LAYOUT_KEY = "vector_layout"  # meta: the committed generation's VectorLayout
LOCK_NAME = "write.lock"


# The schema versions that added documents.date_source and passages.text_key (see store.migrations).
DATED_SCHEMA = 2
KEYED_SCHEMA = 3
# SQLite's largest INTEGER; an id typed past it names no document.
MAX_ROW_ID = 2**63 - 1


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _connect(path: Path, name: str, writer: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    conn.row_factory = sqlite3.Row
    try:
        # WAL is a property of the file, set by the writer that creates it; a reader only asks
        # (open_reader), as setting it needs an exclusive lock a reader must never take
        if writer:
            conn.execute(sql.WAL_MODE)
        conn.execute(sql.FULL_SYNC)
        conn.execute(sql.FOREIGN_KEYS)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise database_error(exc, name) from None
    return conn


def database_error(exc: sqlite3.DatabaseError, name: str | None) -> QAError:
    """A one-line, actionable error for what SQLite reports about a collection's database."""
    message = str(exc)
    which = f"collection '{name}'" if name else "a collection"
    option = f" --collection {name}" if name else ""
    if "locked" in message or "busy" in message:
        return QAError(f"{which} is busy (another process holds it: {message}); try again in a moment")
    if "full" in message:
        return QAError(f"{which}: the disk is full ({message}); free space and run the command again;"
                       " nothing committed was lost")
    if "readonly" in message or "unable to open" in message:
        return QAError(f"{which} cannot be written ({message}); check that QA_HOME is writable")
    return DamagedCollectionError(
        f"{which} is damaged ({message}); run `qa doctor{option}` to check it"
        f" and `qa doctor --repair{option}` to rebuild what can be saved"
    )


def _upgrade(settings: Settings) -> bool:
    """Apply pending migrations under the writer lock; False (with a note) when the collection
    cannot be written here, and is then read as it is."""
    path = settings.collection_dir / DB_NAME
    try:
        with WriterLock(settings.collection_dir / LOCK_NAME, settings.collection).held():
            conn = _connect(path, settings.collection)
            try:
                migrate(conn, functools.partial(_upgrading, settings.collection))
            finally:
                conn.close()
    except (sqlite3.DatabaseError, OSError, QAError) as exc:
        log.warning(
            "note: collection '%s' was written by an older qa and cannot be upgraded here (%s);"
            " it is read as it is, without dates from text or files and with copies found by their text only",
            settings.collection, exc,
        )
        return False
    return True


def _upgrading(name: str, version: int) -> None:
    log.warning("note: upgrading collection '%s' from an older qa's format (schema %d), once", name, version)


class Collection:
    """Open with `Collection.open_reader` (an EmptyCollection when nothing is committed yet) or
    `Collection.open_writer` (a context manager)."""

    # Called after the FAISS file is written and before the SQLite commit, and again after the
    # commit before the rename; tests set them to simulate a crash at those points.
    before_commit_hook: Callable[[], None] | None = None
    before_rename_hook: Callable[[], None] | None = None

    def __init__(
        self, settings: Settings, conn: sqlite3.Connection, writable: bool, lock: WriterLock | None = None
    ) -> None:
        self.settings = settings
        self.name = settings.collection
        self.directory = settings.collection_dir
        self.conn = conn
        self.writable = writable
        self._lock = lock
        self._files = VectorFiles(self.directory)
        self._vectors: FaissVectorIndex | None = None
        self._vectors_generation = -1  # the generation self._vectors reflects
        self._in_transaction = False
        # the open transaction's vector changes, and its change in the number of stored vectors
        self._delta = VectorDelta()
        self._count_change = 0
        self._whole_file = False  # the open transaction writes the whole index, not a delta
        # seconds spent committing (writing vector files and the SQLite commit), for reports
        self.commit_seconds = 0.0
        self._schema = len(MIGRATIONS)  # lower only in a reader of a collection that could not be upgraded

    # ----- opening -------------------------------------------------------------------------

    @classmethod
    def exists(cls, settings: Settings) -> bool:
        return (settings.collection_dir / DB_NAME).is_file()

    @classmethod
    def open_reader(cls, settings: Settings, manifest: Manifest | None = None) -> "Collection":
        """Read-only view of one committed state; an absent collection opens as an EmptyCollection."""
        if not cls.exists(settings):
            return EmptyCollection(settings)
        conn = _connect(settings.collection_dir / DB_NAME, settings.collection, writer=False)
        collection = cls(settings, conn, writable=False)
        try:
            if conn.execute(sql.JOURNAL_MODE).fetchone()[0] != "wal":
                conn.close()  # a database its first writer is still creating: nothing committed yet
                return EmptyCollection(settings)
            # the snapshot is pinned by the first read in this transaction and kept until close()
            conn.execute("BEGIN")
            version = collection.schema_version()
            if version >= 1:
                check_version(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise database_error(exc, settings.collection) from None
        except BaseException:
            conn.close()
            raise
        if version < 1:
            conn.close()
            return EmptyCollection(settings)
        if version < len(MIGRATIONS):
            # a collection written by an older qa is brought up to date once, as a writer would
            if _upgrade(settings):
                conn.close()
                return cls.open_reader(settings, manifest)
            collection._schema = version
        if manifest is not None:
            collection.check_manifest(manifest)
        return collection

    @classmethod
    @contextmanager
    def writer_lock(cls, settings: Settings) -> Iterator[None]:
        """The collection's writer lock alone, for work on its files outside a transaction."""
        with WriterLock(settings.collection_dir / LOCK_NAME, settings.collection).held():
            yield

    @classmethod
    @contextmanager
    def open_writer(
        cls, settings: Settings, manifest: Manifest | None, *, rebuild: bool = False
    ) -> Iterator["Collection"]:
        """A writer that takes the collection's lock for each commit (`--rebuild`: for the whole block)."""
        directory = settings.collection_dir
        directory.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(directory / LOCK_NAME, settings.collection)
        whole_run = ExitStack()
        with lock.held():
            conn = _connect(directory / DB_NAME, settings.collection)
            try:
                migrate(conn, functools.partial(_upgrading, settings.collection))
                collection = cls(settings, conn, writable=True, lock=lock)
                collection._recover_files()
                if rebuild:
                    # a rebuild re-splits every document; no other writer may commit in between
                    whole_run.enter_context(lock.held())
                    if not collection._resumable_rebuild(manifest):
                        collection._reset_index(manifest)
                elif manifest is not None:
                    collection.check_manifest(manifest)
            except sqlite3.DatabaseError as exc:
                whole_run.close()
                conn.close()
                raise database_error(exc, settings.collection) from None
            except BaseException:
                whole_run.close()
                conn.close()
                raise
        with whole_run:
            try:
                yield collection
            finally:
                conn.close()

    def close(self) -> None:
        self.conn.close()

    def schema_version(self) -> int:
        try:
            row = self.conn.execute(sql.SCHEMA_VERSION).fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0] or 0)

    # ----- manifest and generation ---------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute(sql.META_VALUE, (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute(sql.SET_META, (key, value))

    def manifest(self) -> Manifest | None:
        raw = self._meta("manifest")
        return Manifest(**json.loads(raw)) if raw else None

    def check_manifest(self, wanted: Manifest) -> None:
        stored = self.manifest()
        if stored is None:
            return
        differences = wanted.differences(stored)
        if differences:
            raise IndexMismatchError(
                f"collection '{self.name}' was built with different settings ({'; '.join(differences)});"
                f" run `qa index --rebuild --collection {self.name}` to rebuild it"
            )

    @property
    def generation(self) -> int:
        return int(self._meta("generation") or 0)

    def _layout(self) -> VectorLayout | None:
        return VectorLayout.from_json(self._meta(LAYOUT_KEY))

    def _recover_files(self) -> None:
        """Writer start-up: finish an interrupted rename, drop files of uncommitted generations."""
        self._files.recover(self.generation)

    def rebuild_pending(self) -> bool:
        """A `--rebuild` started and not finished: documents without passages wait to be re-split."""
        return self._meta("rebuild_pending") is not None

    def _resumable_rebuild(self, manifest: Manifest | None) -> bool:
        """An interrupted rebuild towards the same settings goes on where it stopped."""
        stored = self.manifest()
        return self.rebuild_pending() and (stored is None or manifest is None or not manifest.differences(stored))

    def finish_rebuild(self) -> None:
        with self.rows_transaction(keeps_vectors=True) as conn:
            conn.execute(sql.DELETE_META, ("rebuild_pending",))

    def _reset_index(self, manifest: Manifest | None) -> None:
        """For --rebuild: drop passages, sentences and vectors; documents stay to be re-chunked."""
        self.conn.execute("BEGIN IMMEDIATE")
        for table in sql.DERIVED_TABLES:
            self.conn.execute(sql.EMPTY_TABLE.format(table=table))
        self.conn.execute(sql.DELETE_META, ("manifest",))
        self.conn.execute(sql.DELETE_META, (LAYOUT_KEY,))  # the files no longer match the rows
        self._set_meta("rebuild_pending", "1")
        self.conn.execute("COMMIT")
        self._vectors = FaissVectorIndex(manifest.dimension) if manifest else None
        self._vectors_generation = self.generation

    # ----- vectors -------------------------------------------------------------------------

    def vectors(self) -> FaissVectorIndex:
        if self._vectors is None:
            generation = self.generation
            self._vectors = self._load_vectors()
            self._vectors_generation = generation
        return self._vectors

    def _load_vectors(self) -> FaissVectorIndex:
        stored = self.manifest()
        if stored is None:
            return FaissVectorIndex(1)
        index = self._files.load(self._committed_layout, stored.dimension)
        return index if index is not None else self._vectors_from_sqlite(stored.dimension)

    def _committed_layout(self) -> tuple[int, VectorLayout | None, int]:
        """The generation, its files' layout, and the vectors they hold. Without a layout, the
        vectors in SQLite are counted (a full scan of a large table, so only then)."""
        layout = self._layout()
        count = layout.count if layout else self.conn.execute(sql.COUNT_VECTORS).fetchone()[0]
        return self.generation, layout, count

    def rebuild_vectors(self) -> None:
        """Inside a transaction: the vector index made anew from the vectors in SQLite (for repairs)."""
        manifest = self.manifest()
        assert self._in_transaction and manifest is not None
        self._vectors = FaissVectorIndex.build(manifest.dimension, *self.all_vectors())
        self._whole_file = True

    def _vectors_from_sqlite(self, dimension: int) -> FaissVectorIndex:
        ids, matrix = self.all_vectors()
        index = FaissVectorIndex.build(dimension, ids, matrix)
        if len(ids) and self.writable:
            log.warning("note: rebuilt the vector file of '%s' from the database", self.name)
        return index

    # ----- writing ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self, manifest: Manifest) -> Iterator["Collection"]:
        """All-or-nothing: SQLite rows and the FAISS file commit together, or neither does."""
        assert self.writable and self._lock is not None
        with self._lock.held():
            self.conn.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            self._delta, self._count_change, self._whole_file = VectorDelta(), 0, False
            try:
                self._catch_up(manifest)
                yield self
                self._commit(manifest)
            except BaseException:
                try:
                    # SQLite may have rolled back by itself (a full disk); a second ROLLBACK would
                    # raise and hide the real error
                    if self._in_transaction and self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                finally:
                    self._vectors = None  # in-memory FAISS changes are discarded with the rollback
                raise
            finally:
                self._in_transaction = False

    @contextmanager
    def rows_transaction(self, keeps_vectors: bool = False) -> Iterator[sqlite3.Connection]:
        """SQLite rows alone, under the lock (for repairs); vectors are reloaded on the next write.
        Unless the caller says its changes leave the vectors as they are, the vector files are
        read as not matching the rows until the next commit rewrites them from SQLite."""
        assert self.writable and self._lock is not None
        with self._lock.held():
            self.conn.execute("BEGIN IMMEDIATE")
            if not keeps_vectors:
                self.conn.execute(sql.DELETE_META, (LAYOUT_KEY,))
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
            self._vectors = None

    def _catch_up(self, manifest: Manifest) -> None:
        """Under the lock, before writing: take in what other writers committed since our last commit."""
        if self._vectors_generation != self.generation:
            self._vectors = None
            self._recover_files()
        if self.manifest() is None:  # nothing committed yet, or a rebuild's first commit
            self._vectors = FaissVectorIndex(manifest.dimension)
            self._vectors_generation = self.generation
        else:
            self.check_manifest(manifest)  # another process may have rebuilt it with other settings

    def _commit(self, manifest: Manifest) -> None:
        started = time.perf_counter()
        old, new = self.generation, self.generation + 1
        layout = self._layout()
        self._set_meta("manifest", json.dumps(asdict(manifest), sort_keys=True))  # all_vectors() reads it
        count = layout.count + self._count_change if layout else 0
        as_delta = layout is not None and not self._whole_file and layout.takes_delta(new, self._delta, count)
        write: Callable[[Path], None]
        if layout is not None and as_delta:
            next_layout = layout.after_delta(self._delta, count)
            delta = self._delta
            write = lambda path: delta.save(path, manifest.dimension)
        else:
            index = self._whole_index(manifest.dimension, old, layout)
            if index.needs_training():
                # the collection crossed a size where another index type serves it better; trained
                # from the exact vectors in SQLite, which this transaction already holds
                index = FaissVectorIndex.build(manifest.dimension, *self.all_vectors())
            self._vectors = index
            next_layout = VectorLayout.of_base(new, index)
            write = index.save
        self._set_meta("generation", str(new))
        self._set_meta(LAYOUT_KEY, next_layout.to_json())
        with self._files.staged(new, write, delta=as_delta):  # fsynced as vectors.<new>.*.tmp
            if self.before_commit_hook:
                self.before_commit_hook()
            self.conn.execute("COMMIT")  # the commit point
        self._in_transaction = False
        self._vectors_generation = new
        if self.before_rename_hook:
            self.before_rename_hook()
        # the previous generation stays readable: its base, and the deltas after it
        self._files.publish(new, keep_from=layout.base if layout else old)
        self.commit_seconds += time.perf_counter() - started

    def _whole_index(self, dimension: int, generation: int, layout: VectorLayout | None) -> FaissVectorIndex:
        """The index as this transaction leaves it: the one in memory (kept up to date with the
        transaction's changes), else the committed files with the changes applied, else SQLite."""
        if self._vectors is not None:
            return self._vectors
        if layout is not None:
            index = self._files.load(lambda: (generation, layout, layout.count), dimension)
            if index is not None:
                self._delta.apply(index)
                return index
        return FaissVectorIndex.build(dimension, *self.all_vectors())  # holds this transaction's rows

    def find_document(self, source: str) -> DocumentRow | None:
        row = self.conn.execute(self._dated(sql.DOCUMENT_BY_SOURCE), (source,)).fetchone()
        return DocumentRow(**dict(row)) if row else None

    def put_document(
        self,
        raw: "RawDocument",
        sentences: Sequence["Sentence"],
        passages: Sequence["Passage"],
        vectors: "np.ndarray",
    ) -> int:
        """Insert a document, or replace the stored one with the same source, with its sentences,
        passages and vectors. The stored one is looked up here, under the lock: another writer
        may have added or removed it since this run listed the collection."""
        assert self._in_transaction
        now = _now()
        existing = self.find_document(raw.source)
        doc_id = existing.id if existing else None
        if doc_id is None:
            cursor = self.conn.execute(
                sql.INSERT_DOCUMENT,
                (raw.source, raw.format, raw.title, raw.date, raw.date_source, raw.content_hash, raw.text, now, now),
            )
            doc_id = _inserted(cursor)
        else:
            self._delete_document_children(doc_id)
            self.conn.execute(
                sql.UPDATE_DOCUMENT,
                (raw.format, raw.title, raw.date, raw.date_source, raw.content_hash, raw.text, now, doc_id),
            )
        self.write_chunks(doc_id, raw.text, sentences, passages, vectors)
        self.conn.executemany(
            sql.INSERT_PAGE,
            [(doc_id, page.page, page.start, page.end) for page in raw.pages],
        )
        return doc_id

    def write_chunks(
        self,
        doc_id: int,
        text: str,
        sentences: Sequence["Sentence"],
        passages: Sequence["Passage"],
        vectors: "np.ndarray",
    ) -> list[int]:
        import numpy as np

        self.conn.executemany(
            sql.INSERT_SENTENCE,
            [(doc_id, i, s.start, s.end, s.paragraph, s.page) for i, s in enumerate(sentences)],
        )
        passage_ids: list[int] = []
        for ordinal, (passage, vector) in enumerate(zip(passages, vectors)):
            passage_text = text[passage.start : passage.end]
            cursor = self.conn.execute(
                sql.INSERT_PASSAGE,
                (doc_id, ordinal, passage.start, passage.end, passage.first_sentence,
                 passage.last_sentence, passage.paragraph, passage.page, text_key(passage_text)),
            )
            passage_id = _inserted(cursor)
            passage_ids.append(passage_id)
            self.conn.execute(sql.INSERT_VECTOR, (passage_id, np.asarray(vector, dtype=np.float32).tobytes()))
            self.conn.execute(sql.INSERT_FTS, (passage_id, passage_text))
        ids, matrix = np.array(passage_ids, dtype=np.int64), np.asarray(vectors, dtype=np.float32)
        self._delta.add(ids, matrix)
        self._count_change += len(passage_ids)
        if self._vectors is not None:
            self._vectors.add(ids, matrix)
        return passage_ids

    def rechunk(
        self, doc_id: int, text: str, sentences: Sequence[Sentence], passages: Sequence[Passage], vectors: np.ndarray
    ) -> list[int]:
        """A stored document's sentences, passages and vectors replaced (its text and pages stay)."""
        assert self._in_transaction
        self._clear_chunks(doc_id)
        return self.write_chunks(doc_id, text, sentences, passages, vectors)

    def _delete_document_children(self, doc_id: int) -> int:
        removed = self._clear_chunks(doc_id)
        self.conn.execute(sql.DELETE_DOCUMENT_PAGES, (doc_id,))
        return removed

    def _clear_chunks(self, doc_id: int) -> int:
        import numpy as np

        passage_ids = [row[0] for row in self.conn.execute(sql.DOCUMENT_PASSAGE_IDS, (doc_id,))]
        ids = np.array(passage_ids, dtype=np.int64)
        self._delta.remove(ids)
        if self._vectors is not None:
            self._vectors.remove(ids)
        for passage_id in passage_ids:
            self.conn.execute(sql.DELETE_FTS, (passage_id,))
        self._count_change -= self.conn.execute(sql.DELETE_DOCUMENT_VECTORS, (doc_id,)).rowcount
        self.conn.execute(sql.DELETE_DOCUMENT_PASSAGES, (doc_id,))
        self.conn.execute(sql.DELETE_DOCUMENT_SENTENCES, (doc_id,))
        return len(passage_ids)

    def remove_document(self, doc_id: int) -> int:
        """Remove a document, its passages and vectors; returns the number of passages removed."""
        assert self._in_transaction
        removed = self._delete_document_children(doc_id)
        self.conn.execute(sql.DELETE_DOCUMENT, (doc_id,))
        return removed

    # ----- reading ---------------------------------------------------------------------------

    def _dated(self, statement: str, **values: str) -> str:
        """`statement` with its date source and text key columns: none in a collection that could
        not be migrated (a read-only file), which is read without them."""
        return statement.format(
            date_source="d.date_source" if self._schema >= DATED_SCHEMA else "NULL",
            text_key="p.text_key" if self._schema >= KEYED_SCHEMA else "NULL",
            **values,
        )

    def is_empty(self) -> bool:
        """No documents; one indexed lookup, unlike documents() which counts every passage."""
        return self.conn.execute(sql.ANY_DOCUMENT).fetchone() is None

    def documents(self) -> list[DocumentRow]:
        rows = self.conn.execute(self._dated(sql.ALL_DOCUMENTS)).fetchall()
        return [DocumentRow(**dict(row)) for row in rows]

    def document(self, doc_id: int) -> DocumentRow | None:
        if not 0 <= doc_id <= MAX_ROW_ID:  # SQLite refuses a larger number outright
            return None
        row = self.conn.execute(self._dated(sql.DOCUMENT_BY_ID), (doc_id,)).fetchone()
        return DocumentRow(**dict(row)) if row else None

    def resolve(self, target: str) -> DocumentRow:
        """A document by numeric id, stored source, or a path that resolves to a stored source."""
        if target.isdigit():
            document = self.document(int(target))
            if document is not None:
                return document
        document = self.find_document(target) or self.find_document(str(Path(target).expanduser().resolve()))
        if document is None:
            raise NoSuchDocumentError(f"no document {target!r} in collection '{self.name}'; see `qa docs list`")
        return document

    def document_text(self, doc_id: int) -> str:
        row = self.conn.execute(sql.DOCUMENT_TEXT, (doc_id,)).fetchone()
        if row is None:
            raise QAError(f"no document with id {doc_id} in collection '{self.name}'")
        return row[0]

    def passages(self, passage_ids: Sequence[int]) -> dict[int, PassageRow]:
        """Passages by id, with their text cut from the stored document text."""
        if not passage_ids:
            return {}
        marks = ",".join("?" * len(passage_ids))
        rows = self.conn.execute(self._dated(sql.PASSAGES_BY_ID, marks=marks), list(passage_ids)).fetchall()
        return {row["id"]: PassageRow(**dict(row)) for row in rows}

    def copies(self, keys: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        """The (passage id, document id) of the passages holding each of these text keys (copies of
        one passage's words in several articles), oldest first; one indexed lookup."""
        if not keys or self._schema < KEYED_SCHEMA:
            return {}
        found: dict[int, list[tuple[int, int]]] = {}
        for passage_id, key, doc_id in self.conn.execute(sql.PASSAGES_WITH_KEYS, (json.dumps(sorted(set(keys))),)):
            found.setdefault(key, []).append((passage_id, doc_id))
        return found

    def scope(self, wanted: DocumentFilter) -> Scope:
        """The documents `wanted` leaves, read from one pass over ids, sources and dates."""
        kept: set[int] = set()
        undated = 0
        rows = self.conn.execute(sql.DOCUMENT_FILTER_FIELDS).fetchall()
        for doc_id, source, date in rows:
            if wanted.doc_ids and doc_id not in wanted.doc_ids:
                continue
            if wanted.sources and not any(source_matches(pattern, source) for pattern in wanted.sources):
                continue
            if wanted.dated:
                day = parse_stored_date(date)
                if day is None:
                    undated += 1
                    continue
                if (wanted.since and day < wanted.since) or (wanted.until and day > wanted.until):
                    continue
            kept.add(doc_id)
        return Scope(wanted, self.name, frozenset(kept), undated)

    def scope_passage_ids(self, scope: Scope) -> "np.ndarray":
        """Every passage id of the documents in `scope`, ascending."""
        import numpy as np

        if scope.empty:
            return np.zeros(0, dtype=np.int64)
        rows = self.conn.execute(
            sql.PASSAGE_IDS_OF_DOCUMENTS,
            (json.dumps(sorted(scope.doc_ids)),),
        ).fetchall()
        return np.array([row[0] for row in rows], dtype=np.int64)

    def document_dates(self, doc_ids: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
        """Each document's (date, date source), as filters compare them and results show them."""
        if not doc_ids:
            return {}
        rows = self.conn.execute(
            self._dated(sql.DOCUMENT_DATES),
            (json.dumps(sorted(set(doc_ids))),),
        ).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def page_spans(self, doc_id: int) -> list[tuple[int, int, int]]:
        """(page, start, end) of each page of a PDF in its stored text, in page order."""
        rows = self.conn.execute(sql.PAGE_SPANS, (doc_id,))
        return [(row[0], row[1], row[2]) for row in rows]

    def document_passage_ids(self, doc_id: int) -> list[int]:
        return [row[0] for row in self.conn.execute(sql.DOCUMENT_PASSAGE_IDS, (doc_id,))]

    def sentences(self, doc_id: int, first: int, last: int) -> list[SentenceRow]:
        rows = self.conn.execute(sql.SENTENCES, (doc_id, first, last)).fetchall()
        return [SentenceRow(**dict(row)) for row in rows]

    def term_share(self, phrase: str) -> float:
        """Share of passages containing `phrase` (FTS5): how common a name is in this collection."""
        terms = _fts_terms(phrase)
        if not terms:
            return 0.0
        total = self.conn.execute(sql.COUNT_PASSAGES).fetchone()[0]
        if not total:
            return 0.0
        count = self.conn.execute(sql.PHRASE_MATCHES, ('"' + " ".join(terms) + '"',)).fetchone()[0]
        return count / total

    def stored_vectors(self, passage_ids: Sequence[int]) -> dict[int, "np.ndarray"]:
        """The vectors kept in SQLite for these passages, by passage id (those without one are left out)."""
        import numpy as np

        if not passage_ids:
            return {}
        marks = ",".join("?" * len(passage_ids))
        rows = self.conn.execute(sql.VECTORS_BY_PASSAGE.format(marks=marks), list(passage_ids))
        return {row[0]: np.frombuffer(row[1], dtype=np.float32) for row in rows}

    def all_vectors(self) -> tuple["np.ndarray", "np.ndarray"]:
        """Every passage id and its stored vector (from SQLite, the source of truth)."""
        import numpy as np

        manifest = self.manifest()
        dimension = manifest.dimension if manifest else 0
        rows = self.conn.execute(sql.ALL_VECTORS, (4 * dimension,)).fetchall()
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        if not rows:
            return ids, np.zeros((0, dimension), np.float32)
        return ids, np.vstack([np.frombuffer(row[1], dtype=np.float32) for row in rows])

    def keyword_search(self, query: str, k: int, doc_ids: "frozenset[int] | None" = None) -> list[tuple[int, float]]:
        """BM25 over passage text (FTS5); scores are negated bm25, higher is better. With `doc_ids`,
        only their passages, filtered before the LIMIT so a filter still gives k hits."""
        terms = _fts_terms(query)
        if not terms:
            return []
        expression = " OR ".join(f'"{term}"' for term in terms)
        if doc_ids is None:
            rows = self.conn.execute(sql.KEYWORD_SEARCH, (expression, k)).fetchall()
        else:
            rows = self.conn.execute(
                sql.KEYWORD_SEARCH_IN_DOCUMENTS,
                (expression, json.dumps(sorted(doc_ids)), k),
            ).fetchall()
        return [(int(row[0]), -float(row[1])) for row in rows]

    def stats(self) -> dict:
        manifest = self.manifest()
        counts = self._counts()
        size = sum(path.stat().st_size for path in self.directory.glob("*") if path.is_file()) if self.directory.exists() else 0
        return {
            "collection": self.name,
            "path": str(self.directory),
            **counts,
            "generation": self.generation,
            "disk_bytes": size,
            "manifest": asdict(manifest) if manifest else None,
        }

    def _counts(self) -> dict[str, int]:
        return {
            "documents": self.conn.execute(sql.COUNT_DOCUMENTS).fetchone()[0],
            "passages": self.conn.execute(sql.COUNT_PASSAGES).fetchone()[0],
            "sentences": self.conn.execute(sql.COUNT_SENTENCES).fetchone()[0],
            "characters": self.conn.execute(sql.COUNT_CHARACTERS).fetchone()[0],
            # passages whose words another passage holds already: copies search shows once
            "repeated_passages": self.conn.execute(sql.COUNT_REPEATED_PASSAGES).fetchone()[0]
            if self._schema >= KEYED_SCHEMA else 0,
        }


class EmptyCollection(Collection):
    """What a reader sees of a collection with nothing committed: it does not exist yet, or its
    first writer is still creating it. It has no database connection; every read answers empty
    (generation 0, no manifest), and it is never written (writers open the database itself)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = settings.collection
        self.directory = settings.collection_dir
        self.writable = False
        self._empty_vectors: FaissVectorIndex | None = None

    def close(self) -> None:
        pass

    def schema_version(self) -> int:
        return 0

    def _meta(self, key: str) -> str | None:
        return None

    def vectors(self) -> FaissVectorIndex:
        if self._empty_vectors is None:
            self._empty_vectors = FaissVectorIndex(1)  # FAISS needs a dimension; there is no manifest to give one
        return self._empty_vectors

    def all_vectors(self) -> tuple["np.ndarray", "np.ndarray"]:
        import numpy as np

        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), np.float32)

    def find_document(self, source: str) -> DocumentRow | None:
        return None

    def stored_vectors(self, passage_ids: Sequence[int]) -> dict[int, "np.ndarray"]:
        return {}

    def is_empty(self) -> bool:
        return True

    def documents(self) -> list[DocumentRow]:
        return []

    def document(self, doc_id: int) -> DocumentRow | None:
        return None

    def document_text(self, doc_id: int) -> str:
        raise QAError(f"no document with id {doc_id} in collection '{self.name}'")

    def passages(self, passage_ids: Sequence[int]) -> dict[int, PassageRow]:
        return {}

    def scope(self, wanted: DocumentFilter) -> Scope:
        return Scope(wanted, self.name, frozenset(), 0)

    def scope_passage_ids(self, scope: Scope) -> "np.ndarray":
        import numpy as np

        return np.zeros(0, dtype=np.int64)

    def document_dates(self, doc_ids: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
        return {}

    def page_spans(self, doc_id: int) -> list[tuple[int, int, int]]:
        return []

    def document_passage_ids(self, doc_id: int) -> list[int]:
        return []

    def sentences(self, doc_id: int, first: int, last: int) -> list[SentenceRow]:
        return []

    def term_share(self, phrase: str) -> float:
        return 0.0

    def keyword_search(self, query: str, k: int, doc_ids: "frozenset[int] | None" = None) -> list[tuple[int, float]]:
        return []

    def copies(self, keys: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        return {}

    def _counts(self) -> dict[str, int]:
        return {"documents": 0, "passages": 0, "sentences": 0, "characters": 0, "repeated_passages": 0}


def _inserted(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just wrote (always set after a successful INSERT)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _fts_terms(query: str) -> list[str]:
    return [term for term in re.findall(r"\w+", query.lower()) if len(term) > 1]
