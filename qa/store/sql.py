"""The SQL a collection runs, in one place (the tables are made in store.migrations).

`{date_source}` stands for `d.date_source`, or NULL in a collection an older qa wrote and this
one could not upgrade (see Collection._date_source); `{marks}` for one `?` per id given.
Sets of ids too large for a list of `?` are passed as one JSON array and read with json_each.
"""

# ----- connecting and opening ---------------------------------------------------------------

WAL_MODE = "PRAGMA journal_mode=WAL"
JOURNAL_MODE = "PRAGMA journal_mode"
FULL_SYNC = "PRAGMA synchronous=FULL"
FOREIGN_KEYS = "PRAGMA foreign_keys=ON"
SCHEMA_VERSION = "SELECT MAX(version) FROM _migrations"

# ----- meta: manifest, generation, an unfinished rebuild ------------------------------------

META_VALUE = "SELECT value FROM meta WHERE key = ?"
SET_META = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
DELETE_META = "DELETE FROM meta WHERE key = ?"
# what a --rebuild empties: everything derived from the documents' text
DERIVED_TABLES = ("vectors", "passages_fts", "passages", "sentences")
EMPTY_TABLE = "DELETE FROM {table}"

# ----- writing ------------------------------------------------------------------------------

INSERT_DOCUMENT = (
    "INSERT INTO documents (source, format, title, date, date_source, content_hash, text, added_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPDATE_DOCUMENT = (
    "UPDATE documents SET format = ?, title = ?, date = ?, date_source = ?, content_hash = ?, text = ?,"
    " updated_at = ? WHERE id = ?"
)
INSERT_PAGE = "INSERT INTO pages (doc_id, page, start, end) VALUES (?, ?, ?, ?)"
INSERT_SENTENCE = "INSERT INTO sentences (doc_id, ordinal, start, end, paragraph, page) VALUES (?, ?, ?, ?, ?, ?)"
INSERT_PASSAGE = (
    "INSERT INTO passages (doc_id, ordinal, start, end, first_sentence, last_sentence, paragraph, page, text_key)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_VECTOR = "INSERT INTO vectors (passage_id, vector) VALUES (?, ?)"
INSERT_FTS = "INSERT INTO passages_fts (rowid, text) VALUES (?, ?)"

DELETE_FTS = "DELETE FROM passages_fts WHERE rowid = ?"
DELETE_DOCUMENT_VECTORS = "DELETE FROM vectors WHERE passage_id IN (SELECT id FROM passages WHERE doc_id = ?)"
DELETE_DOCUMENT_PASSAGES = "DELETE FROM passages WHERE doc_id = ?"
DELETE_DOCUMENT_SENTENCES = "DELETE FROM sentences WHERE doc_id = ?"
DELETE_DOCUMENT_PAGES = "DELETE FROM pages WHERE doc_id = ?"
DELETE_DOCUMENT = "DELETE FROM documents WHERE id = ?"

# ----- reading ------------------------------------------------------------------------------

ANY_DOCUMENT = "SELECT 1 FROM documents LIMIT 1"
_DOCUMENT_ROWS = (
    "SELECT d.id, d.source, d.format, d.title, d.date, d.content_hash, d.added_at, d.updated_at,"
    " (SELECT COUNT(*) FROM passages p WHERE p.doc_id = d.id) AS passages, LENGTH(d.text) AS chars,"
    " {date_source} AS date_source FROM documents d"
)
ALL_DOCUMENTS = _DOCUMENT_ROWS + " ORDER BY d.id"
DOCUMENT_BY_ID = _DOCUMENT_ROWS + " WHERE d.id = ?"
# without the counts: a writer looks a source up for every file it stores
DOCUMENT_BY_SOURCE = (
    "SELECT d.id, d.source, d.format, d.title, d.date, d.content_hash, d.added_at, d.updated_at,"
    " {date_source} AS date_source FROM documents d WHERE d.source = ?"
)
DOCUMENT_TEXT = "SELECT text FROM documents WHERE id = ?"
DOCUMENT_FILTER_FIELDS = "SELECT id, source, date FROM documents"
DOCUMENT_DATES = "SELECT d.id, d.date, {date_source} FROM documents d WHERE d.id IN (SELECT value FROM json_each(?))"
PAGE_SPANS = "SELECT page, start, end FROM pages WHERE doc_id = ? ORDER BY page"

# a passage's text is cut from its document's stored text; its date is the article's own (a
# file's modification day says when it was saved, not when anything happened)
PASSAGES_BY_ID = (
    "SELECT p.id, p.doc_id, p.ordinal, p.start, p.end, p.first_sentence, p.last_sentence, p.paragraph,"
    " p.page, substr(d.text, p.start + 1, p.end - p.start) AS text, d.title, d.source,"
    " CASE WHEN {date_source} = 'file' THEN NULL ELSE d.date END AS date, d.date AS document_date,"
    " {date_source} AS date_source, {text_key} AS text_key"
    " FROM passages p JOIN documents d ON d.id = p.doc_id WHERE p.id IN ({marks})"
)
# the passages whose text key is one of these (copies of one passage's words), oldest first
PASSAGES_WITH_KEYS = (
    "SELECT id, text_key, doc_id FROM passages WHERE text_key IN (SELECT value FROM json_each(?)) ORDER BY id"
)
COUNT_REPEATED_PASSAGES = "SELECT COUNT(text_key) - COUNT(DISTINCT text_key) FROM passages"
DOCUMENT_PASSAGE_IDS = "SELECT id FROM passages WHERE doc_id = ? ORDER BY ordinal"
PASSAGE_IDS_OF_DOCUMENTS = "SELECT id FROM passages WHERE doc_id IN (SELECT value FROM json_each(?)) ORDER BY id"
SENTENCES = (
    "SELECT s.doc_id, s.ordinal, s.start, s.end, s.paragraph, s.page,"
    " substr(d.text, s.start + 1, s.end - s.start) AS text"
    " FROM sentences s JOIN documents d ON d.id = s.doc_id"
    " WHERE s.doc_id = ? AND s.ordinal BETWEEN ? AND ? ORDER BY s.ordinal"
)

# a blob of another size is damage (`qa doctor` names it); it must not stop a search
ALL_VECTORS = "SELECT passage_id, vector FROM vectors WHERE LENGTH(vector) = ? ORDER BY passage_id"
VECTORS_BY_PASSAGE = "SELECT passage_id, vector FROM vectors WHERE passage_id IN ({marks})"

KEYWORD_SEARCH = (
    "SELECT rowid, bm25(passages_fts) FROM passages_fts WHERE passages_fts MATCH ?"
    " ORDER BY bm25(passages_fts) LIMIT ?"
)
# CROSS JOIN keeps the full-text match as the outer loop: `rowid IN (...)` would make FTS5 look
# each allowed passage up on its own (5 s instead of 10 ms at 6,000 passages)
KEYWORD_SEARCH_IN_DOCUMENTS = (
    "SELECT f.rowid, bm25(passages_fts) FROM passages_fts f CROSS JOIN passages p ON p.id = f.rowid"
    " WHERE passages_fts MATCH ? AND p.doc_id IN (SELECT value FROM json_each(?))"
    " ORDER BY bm25(passages_fts) LIMIT ?"
)
PHRASE_MATCHES = "SELECT COUNT(*) FROM passages_fts WHERE passages_fts MATCH ?"

COUNT_DOCUMENTS = "SELECT COUNT(*) FROM documents"
COUNT_PASSAGES = "SELECT COUNT(*) FROM passages"
COUNT_SENTENCES = "SELECT COUNT(*) FROM sentences"
COUNT_VECTORS = "SELECT COUNT(*) FROM vectors"
COUNT_CHARACTERS = "SELECT COALESCE(SUM(LENGTH(text)), 0) FROM documents"
