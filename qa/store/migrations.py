"""Schema changes as numbered functions, applied in order and recorded in the database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def _run(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would commit first; run statement by statement inside the transaction.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


# Keyword search over passage text; `qa doctor --repair` makes it anew from this definition.
FTS_SCHEMA = "CREATE VIRTUAL TABLE passages_fts USING fts5(text, tokenize = 'porter unicode61')"


def m001_initial(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL UNIQUE,
            format TEXT NOT NULL,
            title TEXT NOT NULL,
            date TEXT,
            content_hash TEXT NOT NULL,
            text TEXT NOT NULL,
            added_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE pages (
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            page INTEGER NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            PRIMARY KEY (doc_id, page)
        );
        CREATE TABLE sentences (
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            paragraph INTEGER NOT NULL,
            page INTEGER,
            PRIMARY KEY (doc_id, ordinal)
        );
        -- AUTOINCREMENT: passage ids are FAISS ids and must never be reused.
        CREATE TABLE passages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            first_sentence INTEGER NOT NULL,
            last_sentence INTEGER NOT NULL,
            paragraph INTEGER NOT NULL,
            page INTEGER
        );
        CREATE INDEX passages_doc ON passages(doc_id);
        -- The source of truth for vectors: the FAISS file can always be rebuilt from here.
        CREATE TABLE vectors (
            passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
            vector BLOB NOT NULL
        );
        """
        + FTS_SCHEMA
    )


def m002_document_dates(conn: sqlite3.Connection) -> None:
    """Where each document's date comes from: "metadata", "text" or "file" (see ingest.readers).

    Documents stored before had a date only from HTML metadata; the others get one now from a date
    line in their stored text, else from their file's modification day if the file is still there."""
    from qa.dates import HEAD_CHARS, date_in_text, file_date

    conn.execute("ALTER TABLE documents ADD COLUMN date_source TEXT")
    conn.execute("UPDATE documents SET date_source = 'metadata' WHERE date IS NOT NULL AND date != ''")
    undated = conn.execute(
        f"SELECT id, source, substr(text, 1, {HEAD_CHARS}) FROM documents WHERE date IS NULL OR date = ''"
    ).fetchall()
    for doc_id, source, head in undated:
        found, kind = date_in_text(head), "text"
        if found is None and not source.startswith("stdin:"):
            found, kind = file_date(source), "file"
        if found is not None:
            conn.execute("UPDATE documents SET date = ?, date_source = ? WHERE id = ?", (found.isoformat(), kind, doc_id))


def m003_passage_keys(conn: sqlite3.Connection) -> None:
    """Each passage's text key (textmatch.text_key), indexed: copies of one passage in several
    articles (syndicated news) are found by one lookup, shown once, with their other sources."""
    from qa.textmatch import text_key

    conn.execute("ALTER TABLE passages ADD COLUMN text_key INTEGER")
    last = 0
    while True:  # a few thousand at a time: a large collection's text is not held in memory at once
        rows = conn.execute(
            "SELECT p.id, substr(d.text, p.start + 1, p.end - p.start) FROM passages p"
            " JOIN documents d ON d.id = p.doc_id WHERE p.id > ? ORDER BY p.id LIMIT 5000",
            (last,),
        ).fetchall()
        if not rows:
            break
        conn.executemany("UPDATE passages SET text_key = ? WHERE id = ?", [(text_key(text), pid) for pid, text in rows])
        last = rows[-1][0]
    conn.execute("CREATE INDEX passages_text_key ON passages(text_key)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [m001_initial, m002_document_dates, m003_passage_keys]


def migrate(conn: sqlite3.Connection, on_upgrade: Callable[[int], None] | None = None) -> int:
    """Apply pending migrations, each in its own transaction; returns the schema version.
    `on_upgrade` hears the old version first when a database written by an older qa is upgraded
    (not when a new one is created): a large collection takes seconds.

    The connection must be in autocommit mode (isolation_level=None).
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    check_version(conn)
    applied = {row[0] for row in conn.execute("SELECT version FROM _migrations")}
    if applied and len(applied) < len(MIGRATIONS) and on_upgrade is not None:
        on_upgrade(max(applied))
    for version, migration in enumerate(MIGRATIONS, start=1):
        if version in applied:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration(conn)
            conn.execute(
                "INSERT INTO _migrations (version, name) VALUES (?, ?)", (version, migration.__name__)
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return len(MIGRATIONS)


def check_version(conn: sqlite3.Connection) -> None:
    """Refuse a database written by a newer qa: its schema may mean things this one cannot know."""
    from qa.errors import QAError

    newest = conn.execute("SELECT MAX(version) FROM _migrations").fetchone()[0] or 0
    if newest > len(MIGRATIONS):
        raise QAError(
            f"this collection was written by a newer version of qa (schema {newest}; this one knows up to"
            f" {len(MIGRATIONS)}); upgrade qa to open it"
        )
