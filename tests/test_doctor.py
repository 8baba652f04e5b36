"""`qa doctor` finds what is wrong with a collection, and `--repair` rebuilds it from stored text."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.indexer import index_paths, manifest_for
from qa.store.collection import Collection

PAGE = 4096


@pytest.fixture(autouse=True)
def scripted_model(monkeypatch):
    # the environment check loads the answer model; the scripted one keeps these tests fast
    monkeypatch.setenv("QA_MODEL", "scripted:doctor")


@pytest.fixture
def indexed(settings, embedder, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for number in range(1, 41):
        (folder / f"r{number:02d}.txt").write_text(
            f"Report {number}\nThe council of town {number} voted to close the library on Mondays."
            f" The mayor of town {number} said the budget was short by {number} million.\n"
        )
    index_paths(settings, embedder, [str(folder)])
    _checkpoint(settings)
    return folder


def _checkpoint(settings) -> None:
    conn = sqlite3.connect(settings.collection_dir / "qa.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _db(settings) -> sqlite3.Connection:
    conn = sqlite3.connect(settings.collection_dir / "qa.db", isolation_level=None)
    return conn


def _leaf_pages(settings, table: str) -> list[int]:
    conn = _db(settings)
    pages = [row[0] for row in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (table,))]
    conn.close()
    return pages


def _scramble(settings, page: int) -> None:
    path = settings.collection_dir / "qa.db"
    data = bytearray(path.read_bytes())
    start = (page - 1) * PAGE
    data[start + 8 : start + PAGE] = bytes((i * 7 + 13) % 256 for i in range(PAGE - 8))
    path.write_bytes(bytes(data))


def doctor(*args: str):
    return CliRunner().invoke(main, ["doctor", "--json", *args])


def checks(result) -> dict[str, str]:
    payload = json.loads(result.stdout)
    return {c["check"]: c["status"] for c in payload["collections"][0]["checks"]}


def test_healthy_collection_passes(indexed):
    result = doctor()
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["healthy"] and payload["collections"][0]["collection"] == "default"
    assert set(checks(result).values()) == {"ok"}
    assert {f["check"] for f in payload["environment"]} >= {"home", "disk", "offline", "embedder", "answer model", "llama.cpp"}


def test_damaged_database_is_one_line_everywhere_then_repaired(settings, embedder, indexed):
    documents = _leaf_pages(settings, "documents")
    _scramble(settings, documents[1])
    runner = CliRunner()
    failed = []
    for command in (["stats"], ["search", "budget"], ["docs", "list"], ["index", str(indexed)]):
        result = runner.invoke(main, command)
        assert result.exit_code in (0, 1) and "Traceback" not in result.output, command
        if result.exit_code:  # a search that never reads the damaged page may still answer
            assert "qa doctor" in result.output and len(result.output.strip().splitlines()) == 1, command
            failed.append(command[0])
    assert {"docs", "index"} <= set(failed)
    assert doctor().exit_code == 1
    repaired = doctor("--repair")
    assert repaired.exit_code == 0, repaired.output
    report = json.loads(repaired.stdout)["collections"][0]
    recovered = Collection.open_reader(settings, manifest_for(settings, embedder)).documents()
    assert 0 < len(recovered) < 40
    lost = next(settings.collection_dir.glob("lost-*.txt")).read_text().split()
    assert len(lost) + len(recovered) == 40  # every document is either recovered or named
    assert any("could not be recovered" in line for line in report["repairs"])
    assert list(settings.collection_dir.glob("qa.db.damaged-*"))  # the damaged file is kept
    again = runner.invoke(main, ["index", *lost])
    assert again.exit_code == 0 and "added" in again.output
    assert doctor().exit_code == 0


def test_truncated_database(settings, indexed):
    path = settings.collection_dir / "qa.db"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    result = CliRunner().invoke(main, ["stats"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "damaged" in result.output or "cannot be read" in result.output
    assert doctor().exit_code == 1
    assert doctor("--repair").exit_code == 0


def test_not_a_database_at_all(settings, indexed):
    (settings.collection_dir / "qa.db").write_bytes(b"this is not SQLite " * 500)
    result = CliRunner().invoke(main, ["search", "budget"])
    assert result.exit_code == 1 and "is damaged" in result.output and "Traceback" not in result.output
    repaired = doctor("--repair")
    assert repaired.exit_code == 0  # nothing could be saved, but the collection is sound again
    assert "recovered 0 documents" in " ".join(json.loads(repaired.stdout)["collections"][0]["repairs"])


@pytest.mark.parametrize("damage", ["junk", "missing", "wrong count"])
def test_vector_file_damage_is_found_and_rewritten(settings, embedder, indexed, damage):
    store = Collection.open_reader(settings)
    path = settings.collection_dir / f"vectors.{store.generation}.faiss"
    store.close()
    if damage == "junk":
        path.write_bytes(os.urandom(5000))
    elif damage == "missing":
        path.unlink()
    else:
        import numpy as np

        from qa.store.vectors import FaissVectorIndex

        FaissVectorIndex.build(embedder.dimension, np.array([1], dtype=np.int64),
                               np.ones((1, embedder.dimension), np.float32)).save(path)
    assert checks(doctor())["vector file"] == "FAIL"
    # searching still works meanwhile: the vectors are rebuilt in memory from SQLite
    assert CliRunner().invoke(main, ["search", "mayor of town 7 budget"]).exit_code == 0
    repaired = doctor("--repair")
    assert repaired.exit_code == 0 and checks(repaired)["vector file"] == "ok"


def test_keyword_index_out_of_step_is_rebuilt(settings, indexed):
    conn = _db(settings)
    conn.execute("DELETE FROM passages_fts WHERE rowid IN (SELECT id FROM passages LIMIT 5)")
    conn.close()
    assert checks(doctor())["keyword index"] == "FAIL"
    repaired = doctor("--repair")
    assert repaired.exit_code == 0 and checks(repaired)["keyword index"] == "ok"
    store = Collection.open_reader(settings)
    assert len(store.keyword_search("library Mondays", 100)) == 40


def test_orphan_rows_are_removed(settings, indexed):
    conn = _db(settings)  # foreign keys are off on this connection, as after a bug or a manual edit
    conn.execute("INSERT INTO vectors (passage_id, vector) VALUES (999999, x'00')")
    conn.execute("INSERT INTO sentences (doc_id, ordinal, start, end, paragraph) VALUES (999999, 0, 0, 1, 0)")
    conn.close()
    found = doctor()
    assert found.exit_code == 1 and checks(found)["rows"] == "FAIL"
    assert "without a document" in json.dumps(json.loads(found.stdout))
    repaired = doctor("--repair")
    assert repaired.exit_code == 0 and checks(repaired)["rows"] == "ok"
    assert any("orphan" in line for line in json.loads(repaired.stdout)["collections"][0]["repairs"])


def test_documents_without_passages_are_split_again(settings, embedder, indexed):
    conn = _db(settings)
    doc_id = conn.execute("SELECT id FROM documents WHERE source LIKE '%r07.txt'").fetchone()[0]
    ids = [row[0] for row in conn.execute("SELECT id FROM passages WHERE doc_id = ?", (doc_id,))]
    for passage_id in ids:
        conn.execute("DELETE FROM passages_fts WHERE rowid = ?", (passage_id,))
        conn.execute("DELETE FROM vectors WHERE passage_id = ?", (passage_id,))
    conn.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
    conn.close()
    assert checks(doctor())["rows"] == "FAIL"
    assert doctor("--repair").exit_code == 0
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    assert store.document(doc_id).passages >= 1


def test_other_settings_are_not_repaired_but_named(settings, indexed, monkeypatch):
    monkeypatch.setenv("QA_EMBED_MODEL", "test-hash:v2")
    found = doctor()
    assert found.exit_code == 1 and checks(found)["manifest"] == "FAIL"
    result = CliRunner().invoke(main, ["doctor", "--repair"])
    assert result.exit_code == 1 and "qa index --rebuild" in result.output and "Traceback" not in result.output


def test_collection_from_a_newer_qa_is_refused(settings, indexed):
    conn = _db(settings)
    conn.execute("INSERT INTO _migrations (version, name) VALUES (99, 'm099_future')")
    conn.close()
    runner = CliRunner()
    for command in (["stats"], ["search", "budget"], ["index", str(indexed)]):
        result = runner.invoke(main, command)
        assert result.exit_code == 1 and "newer version of qa" in result.output, command
    assert checks(doctor())["schema"] == "FAIL"


def test_home_that_cannot_be_written(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("QA_HOME", str(blocker / "home"))
    article = tmp_path / "a.txt"
    article.write_text("Buses\nThe council approved 42 electric buses.\n")
    result = CliRunner().invoke(main, ["index", str(article)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Not a directory" in result.output
    found = CliRunner().invoke(main, ["doctor"])
    assert found.exit_code == 1 and "not writable" in found.output


def test_an_embedder_of_another_dimension_is_refused_everywhere(settings, indexed, monkeypatch, request):
    from qa.embed import register_embedder
    from tests.fakes import HashEmbedder

    class NarrowEmbedder(HashEmbedder):
        dimension = 32

    request.addfinalizer(register_embedder("test-narrow", NarrowEmbedder))
    monkeypatch.setenv("QA_EMBED_MODEL", "test-narrow:v1")
    for command in (["search", "budget"], ["index", str(indexed)], ["ask", "Who was short?", "--model", "scripted:x"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1 and "Traceback" not in result.output, command
        assert "dimension: index has 64, settings give 32" in result.output and "--rebuild" in result.output
    assert checks(doctor())["manifest"] == "FAIL"


def test_repair_keeps_where_each_date_came_from(settings, indexed):
    conn = _db(settings)
    before = dict(conn.execute("SELECT source, date_source FROM documents"))
    conn.close()
    assert set(before.values()) == {"file"}  # these test files have no date line
    _scramble(settings, _leaf_pages(settings, "vectors")[0])
    repaired = doctor("--repair")
    assert repaired.exit_code == 0
    assert any("kept a copy" in line for line in json.loads(repaired.stdout)["collections"][0]["repairs"])
    conn = _db(settings)
    after = dict(conn.execute("SELECT source, date_source FROM documents"))
    conn.close()
    assert after == before


def test_passages_outside_their_text_are_split_again(settings, indexed):
    conn = _db(settings)
    doc_id, passage_id = conn.execute("SELECT doc_id, id FROM passages ORDER BY id LIMIT 1").fetchone()
    conn.execute("UPDATE passages SET end = end + 100000 WHERE id = ?", (passage_id,))
    conn.close()
    found = doctor()
    assert found.exit_code == 1 and "outside their text" in found.stdout
    repaired = doctor("--repair")
    assert repaired.exit_code == 0, repaired.stdout
    conn = _db(settings)
    text_length = conn.execute("SELECT LENGTH(text) FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
    assert all(end <= text_length for (end,) in conn.execute("SELECT end FROM passages WHERE doc_id = ?", (doc_id,)))
    conn.close()
