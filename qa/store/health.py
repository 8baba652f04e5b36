"""Check a collection on disk, and rebuild what can be rebuilt from its stored text (`qa doctor`).

The documents table (each article's text, title, date and source) is what cannot be rebuilt
without the original files; everything else — sentences, passages, FTS, vectors, the FAISS
file — is derived from it, so a repair keeps the documents and re-derives the rest.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.errors import QAError
from qa.store.collection import DB_NAME, LAYOUT_KEY, Collection, Manifest
from qa.store.migrations import FTS_SCHEMA, MIGRATIONS
from qa.store.vector_files import FILE_PATTERN, VectorFiles, VectorLayout, vector_path

if TYPE_CHECKING:
    from qa.embed import Embedder

SHA256_HEX_CHARS = 64  # a document's content_hash

# Rows that must have a parent: (label, table, what a row without one meets). The check counts
# them, the repair deletes them (FTS rows excepted: the keyword index is made anew instead).
_ORPHANS = [
    ("passages without a document", "passages", "doc_id NOT IN (SELECT id FROM documents)"),
    ("sentences without a document", "sentences", "doc_id NOT IN (SELECT id FROM documents)"),
    ("pages without a document", "pages", "doc_id NOT IN (SELECT id FROM documents)"),
    ("vectors without a passage", "vectors", "passage_id NOT IN (SELECT id FROM passages)"),
    ("FTS rows without a passage", "passages_fts", "rowid NOT IN (SELECT id FROM passages)"),
]
# Documents the check reports and the repair splits again from their stored text.
_WITHOUT_PASSAGES = "FROM documents d WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.doc_id = d.id)"
_OUTSIDE_TEXT = (
    "FROM passages p JOIN documents d ON d.id = p.doc_id WHERE p.start < 0 OR p.end > LENGTH(d.text) OR p.start >= p.end"
)
_INTEGRITY_LINES = 5  # integrity_check can list thousands of problems; the first few say enough


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    warning: bool = False  # worth knowing, not a fault

    @property
    def status(self) -> str:
        return "ok" if self.ok else ("warn" if self.warning else "FAIL")


@dataclass
class CollectionHealth:
    name: str
    path: str
    findings: list[Finding] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(f.ok or f.warning for f in self.findings)

    def as_dict(self) -> dict:
        return {
            "collection": self.name,
            "path": self.path,
            "healthy": self.healthy,
            "checks": [{**asdict(f), "status": f.status} for f in self.findings],
            "repairs": self.repairs,
        }


def check_collection(settings: Settings, wanted: Manifest | None) -> CollectionHealth:
    """Every check that needs no model: database integrity, counts in step, manifest, orphans."""
    health = CollectionHealth(settings.collection, str(settings.collection_dir))
    add = health.findings.append
    path = settings.collection_dir / DB_NAME
    if not path.is_file():
        add(Finding("database", False, f"no {DB_NAME} in {settings.collection_dir}"))
        return health
    try:
        # read-write (never create): FTS5's integrity-check is issued as an INSERT
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None, timeout=30.0)
        try:
            _check_database(conn, settings, wanted, add)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        add(Finding("database", False, f"cannot be read: {exc}"))
    return health


def _check_database(conn: sqlite3.Connection, settings: Settings, wanted: Manifest | None, add: Callable[[Finding], None]) -> None:
    problems = [row[0] for row in conn.execute(f"PRAGMA integrity_check({_INTEGRITY_LINES})")]
    if problems != ["ok"]:
        add(Finding("database", False, "SQLite integrity_check: " + "; ".join(problems)))
        return
    add(Finding("database", True, "SQLite integrity_check ok"))
    fts_sound = _fts_sound(conn)  # before the snapshot: a write statement inside it could be refused
    conn.execute("BEGIN")  # one snapshot for every count below
    version = conn.execute("SELECT MAX(version) FROM _migrations").fetchone()[0] or 0
    if version > len(MIGRATIONS):
        add(Finding("schema", False, f"schema {version} is newer than this qa knows ({len(MIGRATIONS)}); upgrade qa"))
        return
    add(Finding("schema", True, f"schema {version}"))
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    stored = Manifest(**json.loads(meta["manifest"])) if meta.get("manifest") else None
    count = lambda sql: conn.execute(sql).fetchone()[0]
    documents = count("SELECT COUNT(*) FROM documents")
    passages = count("SELECT COUNT(*) FROM passages")
    vectors = count("SELECT COUNT(*) FROM vectors")
    fts = count("SELECT COUNT(*) FROM passages_fts")
    _check_manifest(stored, wanted, documents, bool(meta.get("rebuild_pending")), add)
    wrong_size = count(f"SELECT COUNT(*) FROM vectors WHERE LENGTH(vector) != {4 * stored.dimension}") if stored else 0
    if wrong_size:
        add(Finding("vectors", False, f"{wrong_size} of {vectors} vectors have the wrong size"))
    elif vectors == passages:
        add(Finding("vectors", True, f"{vectors} vectors for {passages} passages"))
    else:
        add(Finding("vectors", False, f"{vectors} vectors for {passages} passages"))
    _check_vector_file(settings.collection_dir, int(meta.get("generation") or 0),
                       VectorLayout.from_json(meta.get(LAYOUT_KEY)), vectors, stored, add)
    _check_fts(fts_sound, fts, passages, add)
    orphans = {label: n for label, table, where in _ORPHANS if (n := count(f"SELECT COUNT(*) FROM {table} WHERE {where}"))}
    empty = count(f"SELECT COUNT(*) {_WITHOUT_PASSAGES}")
    if empty and meta.get("rebuild_pending"):
        add(Finding("rebuild", False, f"an interrupted --rebuild: {empty} documents wait to be split again;"
                    " the next `qa index` finishes it", warning=True))
    elif empty:
        orphans["documents without passages"] = empty
    outside = count(f"SELECT COUNT(*) {_OUTSIDE_TEXT}")
    if outside:
        orphans["passages with offsets outside their text"] = outside
    if orphans:
        add(Finding("rows", False, "; ".join(f"{n} {label}" for label, n in orphans.items())))
    else:
        add(Finding("rows", True, f"{documents} documents, {passages} passages, no orphan rows"))
    conn.execute("COMMIT")


def _check_manifest(stored: Manifest | None, wanted: Manifest | None, documents: int, rebuilding: bool, add: Callable[[Finding], None]) -> None:
    if stored is None and rebuilding:
        add(Finding("manifest", True, "none yet: a --rebuild has not made its first commit"))
    elif stored is None:
        add(Finding("manifest", not documents, "no manifest" + (f" but {documents} documents" if documents else " (empty)")))
    elif wanted is not None and (differences := wanted.differences(stored)):
        add(Finding("manifest", False, "built with other settings: " + "; ".join(differences)
                    + " — `qa index --rebuild` rebuilds it with the current ones"))
    else:
        add(Finding("manifest", True, f"{stored.embed_model}, {stored.dimension} dimensions, "
                    f"passages of up to {stored.chunk_max_tokens} tokens"))


def _check_vector_file(
    directory: Path, generation: int, layout: VectorLayout | None, vectors: int, stored: Manifest | None,
    add: Callable[[Finding], None],
) -> None:
    if stored is None:
        return
    files = VectorFiles(directory)
    base = layout.base if layout else generation
    deltas = generation - base
    names = vector_path(directory, base).name + (f" and {deltas} later change files" if deltas else "")
    try:
        index = files.read(generation, layout, stored.dimension)
    except ValueError as exc:
        add(Finding("vector file", False, str(exc)))
        return
    if index.count != vectors:
        add(Finding("vector file", False, f"{names} hold {index.count} vectors; the database has {vectors}"))
    elif vector_path(directory, generation, tmp=True, delta=bool(deltas)).exists():
        # killed between the SQLite commit and the rename: readers use the fsynced .tmp file and
        # the next writer renames it, so this is a state the commit protocol expects, not damage
        add(Finding("vector file", False, f"the last commit's vector file ({index.count} vectors) was interrupted"
                    " before its rename, which the next write finishes", warning=True))
    else:
        add(Finding("vector file", True, f"{names}: {index.count} vectors"))


def _check_fts(sound: bool, fts: int, passages: int, add: Callable[[Finding], None]) -> None:
    if not sound:
        add(Finding("keyword index", False, "FTS5 integrity-check failed: the keyword index is damaged"))
    elif fts != passages:
        add(Finding("keyword index", False, f"{fts} FTS rows for {passages} passages"))
    else:
        add(Finding("keyword index", True, f"{fts} FTS rows, in step with the passages"))


# ----- repair ----------------------------------------------------------------------------------


def repair_collection(settings: Settings, embedder: Embedder, manifest: Manifest) -> CollectionHealth:
    """Rebuild what the checks found wrong, from stored text only; returns the health after it."""
    before = check_collection(settings, manifest)
    repairs: list[str] = []
    failed = {f.check for f in before.findings if not f.ok and not f.warning}
    if not failed:
        return before
    if "database" in failed:
        repairs.extend(_salvage(settings, embedder))
    elif "manifest" in failed:
        raise QAError(
            f"collection '{settings.collection}' was built with other settings; `qa doctor --repair` does not"
            f" change settings: run `qa index --rebuild --collection {settings.collection}`"
        )
    else:
        repairs.extend(_repair_rows(settings, embedder, manifest))
    after = check_collection(settings, manifest)
    after.repairs = repairs
    return after


def _repair_rows(settings: Settings, embedder: Embedder, manifest: Manifest) -> list[str]:
    from qa.indexer import rechunk_documents

    repairs: list[str] = []
    with Collection.open_writer(settings, manifest) as collection:
        conn = collection.conn
        with collection.rows_transaction():  # before any vector is loaded: they may be what is broken
            removed = 0
            for _, table, where in _ORPHANS:
                if table != "passages_fts":
                    removed += conn.execute(f"DELETE FROM {table} WHERE {where}").rowcount
            if removed:
                repairs.append(f"removed {removed} orphan rows")
            wrong = conn.execute("DELETE FROM vectors WHERE LENGTH(vector) != ?", (manifest.dimension * 4,)).rowcount
            if wrong:
                repairs.append(f"removed {wrong} vectors of the wrong size")
        with collection.transaction(manifest):
            unvectored = [row[0] for row in conn.execute(
                "SELECT id FROM passages WHERE id NOT IN (SELECT passage_id FROM vectors) ORDER BY id")]
            if unvectored:
                _embed_passages(collection, embedder, unvectored)
                repairs.append(f"embedded {len(unvectored)} passages that had no vector")
            fts = conn.execute("SELECT COUNT(*) FROM passages_fts").fetchone()[0]
            passages = conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
            if fts != passages or not _fts_sound(conn):
                _rebuild_fts(conn)
                repairs.append(f"rebuilt the keyword index from the stored text ({passages} passages)")
            collection.rebuild_vectors()  # the commit writes them as the new generation's file
        repairs.append(f"rewrote the vector file from the database (generation {collection.generation})")
        empty = [row[0] for row in conn.execute(f"SELECT d.id {_WITHOUT_PASSAGES}")]
        misplaced = [row[0] for row in conn.execute(f"SELECT DISTINCT d.id {_OUTSIDE_TEXT}")]
    if empty or misplaced:
        rechunk_documents(settings, embedder, empty + misplaced)
    if empty:
        repairs.append(f"split and embedded {len(empty)} documents that had no passages, from their stored text")
    if misplaced:
        repairs.append(f"split and embedded again {len(misplaced)} documents whose passages lay outside their text")
    return repairs


def _fts_sound(conn: sqlite3.Connection) -> bool:
    """FTS5's own check; rank 1 also compares the index with the stored passage text."""
    try:
        conn.execute("INSERT INTO passages_fts(passages_fts, rank) VALUES('integrity-check', 1)")
        return True
    except sqlite3.DatabaseError:
        return False


def _rebuild_fts(conn: sqlite3.Connection) -> None:
    # dropped and made anew rather than emptied: a damaged FTS table may refuse a DELETE
    conn.execute("DROP TABLE passages_fts")
    conn.execute(FTS_SCHEMA)
    conn.execute(
        "INSERT INTO passages_fts (rowid, text) SELECT p.id, substr(d.text, p.start + 1, p.end - p.start)"
        " FROM passages p JOIN documents d ON d.id = p.doc_id"
    )


def _embed_passages(collection: Collection, embedder: Embedder, passage_ids: list[int]) -> None:
    import numpy as np

    conn = collection.conn
    rows = collection.passages(passage_ids)
    ids = [pid for pid in passage_ids if pid in rows]
    vectors = embedder.embed_passages([rows[pid].text for pid in ids])
    conn.executemany(
        "INSERT INTO vectors (passage_id, vector) VALUES (?, ?)",
        [(pid, np.asarray(vector, dtype=np.float32).tobytes()) for pid, vector in zip(ids, vectors)],
    )


def _salvage(settings: Settings, embedder: "Embedder") -> list[str]:
    """Rebuild a damaged database: every document row it still gives is copied into a new
    collection made beside it and split and embedded again there; only when that is complete
    does the new database take the damaged one's place (a copy of which is kept)."""
    from qa.indexer import index_paths

    directory = settings.collection_dir
    damaged = directory / DB_NAME
    documents, pages, lost = _readable_documents(damaged)
    missing = sorted(_indexed_sources(damaged) - {row[1] for row in documents})
    work = settings.with_collection(f"{settings.collection}.repair")
    shutil.rmtree(work.collection_dir, ignore_errors=True)
    with Collection.open_writer(work, None) as collection:
        conn = collection.conn
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO documents (id, source, format, title, date, content_hash, text, added_at, updated_at,"
            " date_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            documents,
        )
        conn.executemany("INSERT OR IGNORE INTO pages (doc_id, page, start, end) VALUES (?, ?, ?, ?)", pages)
        conn.execute("COMMIT")
    report = index_paths(work, embedder, [], rebuild=True)
    _checkpoint(work.collection_dir / DB_NAME)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = directory / f"{DB_NAME}.damaged-{stamp}"
    with Collection.writer_lock(settings):
        for suffix in ("", "-wal"):
            if (directory / (DB_NAME + suffix)).exists():
                shutil.copy2(directory / (DB_NAME + suffix), directory / (kept.name + suffix))
        for suffix in ("-wal", "-shm"):  # the old log must never be replayed onto the new database
            (directory / (DB_NAME + suffix)).unlink(missing_ok=True)
        for path in directory.glob(FILE_PATTERN):
            path.unlink()
        for path in work.collection_dir.glob(FILE_PATTERN):
            path.replace(directory / path.name)
        (work.collection_dir / DB_NAME).replace(damaged)
    shutil.rmtree(work.collection_dir, ignore_errors=True)
    repairs = [
        f"kept a copy of the damaged database as {kept.name}",
        f"recovered {len(documents)} documents from it and split and embedded them again ({report.passages} passages)",
    ]
    if missing:
        listing = directory / f"lost-{stamp}.txt"
        listing.write_text("".join(source + "\n" for source in missing))
        repairs.append(f"{len(missing)} documents could not be recovered; their sources are listed in {listing.name}:"
                       f" index them again with `qa index $(cat {listing})`")
    elif lost:
        repairs.append(f"{lost} document rows could not be read; index their files again with `qa index`")
    return repairs


def _checkpoint(path: Path) -> None:
    """Everything in the database file itself, no write-ahead log beside it, before it is moved
    (it stays a WAL database: closing the last connection folds the log in and removes it)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    if path.with_name(path.name + "-wal").exists():
        raise QAError(f"could not fold the repaired database's log into {path}; nothing was replaced")


def _indexed_sources(path: Path) -> set[str]:
    """Every source the damaged database's unique index on `source` still lists (it is stored apart
    from the rows, so it often names documents whose rows are lost)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return set()
    try:
        return {row[0] for row in conn.execute(
            "SELECT source FROM documents INDEXED BY sqlite_autoindex_documents_1 ORDER BY source")}
    except sqlite3.DatabaseError:
        return set()
    finally:
        conn.close()


def _readable_documents(path: Path) -> tuple[list[tuple], list[tuple], int]:
    """Document and page rows of a damaged database, row by row, skipping what cannot be read."""
    columns = "id, source, format, title, date, content_hash, text, added_at, updated_at, {date_source}"
    documents: list[tuple] = []
    pages: list[tuple] = []
    lost = 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return documents, pages, lost
    try:
        try:
            ids = [row[0] for row in conn.execute("SELECT id FROM documents ORDER BY id")]
        except sqlite3.DatabaseError:
            ids, lost = _probe_ids(conn)
        try:  # where a date came from (schema 2); before it, a stored date was the article's metadata
            conn.execute("SELECT date_source FROM documents LIMIT 0")
            columns = columns.format(date_source="date_source")
        except sqlite3.DatabaseError:
            columns = columns.format(date_source="CASE WHEN date IS NULL THEN NULL ELSE 'metadata' END")
        seen_ids: set[int] = set()
        seen_sources: set[str] = set()
        for doc_id in ids:
            try:
                row = conn.execute(f"SELECT {columns} FROM documents WHERE id = ?", (doc_id,)).fetchone()
            except sqlite3.DatabaseError:
                lost += 1
                continue
            if row is None:
                continue
            if not _plausible(row) or row[0] in seen_ids or row[1] in seen_sources:
                lost += 1  # a damaged page can give rows of garbage
                continue
            seen_ids.add(row[0])
            seen_sources.add(row[1])
            documents.append(tuple(row))
            try:
                pages.extend(conn.execute("SELECT doc_id, page, start, end FROM pages WHERE doc_id = ?", (doc_id,)))
            except sqlite3.DatabaseError:
                pass  # page numbers are lost; the text stays
    finally:
        conn.close()
    return documents, pages, lost


def _plausible(row: tuple) -> bool:
    doc_id, source, fmt, title, _date, digest, text = row[:7]
    return (
        isinstance(doc_id, int) and doc_id > 0 and all(isinstance(v, str) for v in (source, fmt, title, digest, text))
        and bool(source) and bool(text.strip()) and len(digest) == SHA256_HEX_CHARS
    )


def _probe_ids(conn: sqlite3.Connection, give_up_after: int = 1000) -> tuple[list[int], int]:
    """When the table cannot be scanned, look rows up by id until a long run finds nothing.
    Returns the ids found and how many lookups failed between them (rows present but lost)."""
    try:
        conn.execute("SELECT 1 FROM documents WHERE id = -1").fetchone()
    except sqlite3.DatabaseError:
        return [], 0  # not even the table can be found
    found: list[int] = []
    lost = failed_since_hit = misses = 0
    doc_id = 1
    while misses < give_up_after:
        try:
            hit = conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone()
        except sqlite3.DatabaseError:
            hit, failed_since_hit = None, failed_since_hit + 1
        if hit:
            found.append(doc_id)
            lost += failed_since_hit
            failed_since_hit = misses = 0
        else:
            misses += 1
        doc_id += 1
    return found, lost
