"""Copies of one passage (syndicated articles, other outlets' reports of one story) are found at
indexing time by their text key, folded into one hit at query time, and listed as "also in"."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.cli.lookup import also_in
from qa.retrieve import MAX_COPIES, Hit, fold_copies
from qa.store.migrations import MIGRATIONS
from qa.store.rows import PassageRow
from qa.textmatch import text_key

COLLECTION = "copies"
WIRE = "Rebels and the government agreed to exchange 200 prisoners before Easter, the mediators said."


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [*args, "--collection", COLLECTION], catch_exceptions=False)

    return invoke


def _search(run, query, *options):
    result = run("search", query, "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["hits"]


def _syndicated(folder, copies):
    """`copies` outlets printing the wire story (case, quotes and spacing differ), and two other stories."""
    folder.mkdir()
    for i in range(copies):
        text = WIRE.upper() if i % 3 == 1 else WIRE.replace("said", "said ").replace("agreed", "agreed  ")
        (folder / f"outlet{i:02}.txt").write_text(f"{text}\n")  # no headline of its own: one passage, all copies
    (folder / "harvest.txt").write_text("Harvest\n\nFarmers near Poltava planted barley while the ceasefire held.\n")
    (folder / "monitors.txt").write_text("Monitors\n\nMonitors counted 40 shells fired overnight near the airport.\n")
    return folder


def test_the_text_key_ignores_case_spacing_and_punctuation_but_not_words():
    assert text_key(WIRE) == text_key(WIRE.upper()) == text_key(WIRE.replace(",", "").replace(" ", "  "))
    assert text_key("“Yes,” he said.") == text_key('"yes" he said')
    assert text_key(WIRE) != text_key(WIRE.replace("200", "300"))
    assert text_key(WIRE) != text_key(WIRE.replace("before Easter", "after Easter"))


def test_copies_fill_one_hit_and_are_listed_with_it(run, tmp_path):
    assert run("index", str(_syndicated(tmp_path / "news", 4))).exit_code == 0
    hits = _search(run, "prisoner exchange agreed", "-k", "3")
    assert "outlet" in hits[0]["source"]
    assert len(hits) == 3 and {"Harvest", "Monitors"} <= {hit["title"] for hit in hits}  # k distinct passages
    copies = hits[0]["copies"]
    assert len(copies) == 3 and all(copy["same_text"] for copy in copies)
    assert {_name(copy) for copy in copies} | {_name(hits[0])} == {f"outlet{i:02}.txt" for i in range(4)}
    shown = run("search", "prisoner exchange agreed", "-k", "3").stdout
    assert "same text also in: " in shown and "(doc " in shown


def _name(hit_or_copy: dict) -> str:
    return hit_or_copy["source"].rsplit("/", 1)[-1]


def test_copies_beyond_the_candidates_are_found_by_their_key_and_capped(run, tmp_path):
    assert run("index", str(_syndicated(tmp_path / "news", MAX_COPIES + 10))).exit_code == 0
    hits = _search(run, "prisoner exchange agreed", "-k", "1")
    assert len(hits[0]["copies"]) == MAX_COPIES
    assert len({copy["doc_id"] for copy in hits[0]["copies"]} | {hits[0]["doc_id"]}) == MAX_COPIES + 1
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["repeated_passages"] == MAX_COPIES + 9


def test_a_filter_leaves_out_copies_outside_it(run, tmp_path):
    assert run("index", str(_syndicated(tmp_path / "news", 6))).exit_code == 0
    hits = _search(run, "prisoner exchange agreed", "-k", "1", "--source", "*outlet0[0-2].txt")
    assert {_name(copy) for copy in hits[0]["copies"]} | {_name(hits[0])} == {"outlet00.txt", "outlet01.txt", "outlet02.txt"}


def _row(passage_id: int, text: str, key: int | None) -> PassageRow:
    return PassageRow(passage_id, passage_id, 0, 0, len(text), 0, 0, 1, None, text, f"t{passage_id}", f"s{passage_id}",
                      text_key=key)


def test_fold_copies_by_words_and_by_cosine():
    rows = {1: _row(1, "a b c", 7), 2: _row(2, "A  b c", 7), 3: _row(3, "d e f", 8), 4: _row(4, "g h", 9),
            5: _row(5, "x y", None), 6: _row(6, "X   y", None)}
    unit = np.eye(4, dtype=np.float32)
    close = np.array([0.95, 0.3122, 0, 0], dtype=np.float32)  # cosine 0.95 with passage 1's vector
    vectors = {1: unit[0], 2: unit[1], 3: close / np.linalg.norm(close), 4: unit[2], 5: unit[3], 6: unit[2]}
    ranked = [(pid, 1.0 / pid) for pid in (1, 2, 3, 4, 5, 6, 99)]  # 99: not stored, left out
    assert fold_copies(ranked, rows, vectors, 0.9) == [(1, [2, 3]), (4, [6]), (5, [])]
    # 6 folds into 4 by cosine (same vector); without keys, 5 and 6 would fold by their words
    assert fold_copies(ranked, rows, vectors, 0.99) == [(1, [2]), (3, []), (4, [6]), (5, [])]
    unkeyed = {pid: _row(pid, row.text, None) for pid, row in rows.items()}
    assert fold_copies(ranked, unkeyed, vectors, 1.01) == [(1, [2]), (3, []), (4, []), (5, [6])]


def test_an_older_collection_gets_text_keys_when_opened(run, tmp_path, qa_home):
    assert run("index", str(_syndicated(tmp_path / "news", 3))).exit_code == 0
    database = qa_home / "collections" / COLLECTION / "qa.db"
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("DROP INDEX passages_text_key")
    conn.execute("ALTER TABLE passages DROP COLUMN text_key")
    conn.execute("DELETE FROM _migrations WHERE version >= 3")
    conn.close()
    result = run("search", "prisoner exchange agreed", "-k", "3", "--json")
    assert "note: upgrading collection 'copies' from an older qa's format (schema 2), once" in result.stderr
    assert len(json.loads(result.stdout)["hits"][0]["copies"]) == 2
    assert "upgrading" not in run("search", "prisoner exchange agreed").stderr  # once
    conn = sqlite3.connect(database)
    assert conn.execute("SELECT MAX(version) FROM _migrations").fetchone()[0] == len(MIGRATIONS)
    keys = conn.execute("SELECT COUNT(DISTINCT text_key), COUNT(text_key), COUNT(*) FROM passages").fetchone()
    conn.close()
    assert keys == (3, 5, 5)  # every passage keyed; the three outlets share one key


def test_copies_are_named_by_article_and_an_overlapping_window_by_its_place():
    kept = _row(1, WIRE, 7)
    window = PassageRow(4, 1, 1, 0, 10, 0, 0, 3, None, "As " + WIRE, "t1", "s1", text_key=9)  # doc 1, para. 3
    copies = (_row(2, WIRE.upper(), 7), _row(3, WIRE + " Talks go on.", 8), window)
    shown = also_in(Hit(kept, 0.8, 0.8, 1, copies))
    assert shown == "same text also in: t2 (doc 2); nearly the same in: t3 (doc 3); overlaps para. 3 of this article"
