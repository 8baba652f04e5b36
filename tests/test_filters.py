"""Filters (--source, --since, --until, --doc) on search, ask and summarize, and where dates come from."""

import datetime as dt
import json
import os
import re
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.dates import date_in_text, parse_bound
from qa.store.collection import source_matches
from qa.store.migrations import MIGRATIONS
from tests.scripted import SCRIPTS

COLLECTION = "filters"


def _epoch(day: str) -> float:
    return dt.datetime.fromisoformat(day + "T12:00:00").timestamp()


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, [*args, "--collection", COLLECTION], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def articles(tmp_path):
    """Five articles, each dated a different way, all about the ceasefire talks."""
    folder = tmp_path / "articles"
    (folder / "wire").mkdir(parents=True)
    (folder / "wire" / "donetsk.txt").write_text(
        "Talks in Minsk\n\nDONETSK, March 17, 2017 — Ceasefire talks resumed in Minsk with monitors from the OSCE.\n"
    )
    (folder / "sanctions.md").write_text(
        "# Sanctions extended\n\nPublished: 2018-01-05\n\nThe council extended sanctions after the ceasefire talks failed.\n"
    )
    (folder / "Reuters-grain.txt").write_text(
        "Grain corridor\n\nThe grain corridor stayed open during the ceasefire talks, officials said.\n"
    )
    os.utime(folder / "Reuters-grain.txt", (_epoch("2016-06-01"), _epoch("2016-06-01")))
    (folder / "observers.html").write_text(
        "<html><head><title>Observers report</title>"
        '<meta property="article:published_time" content="2017-03-02T09:00:00Z"></head>'
        "<body><article><h1>Observers report</h1><p>Observers reported shelling near the line while the"
        " ceasefire talks went on in Minsk, and said both sides had moved heavy weapons closer to the front"
        " despite the agreement reached last month.</p></article></body></html>"
    )
    return folder


@pytest.fixture
def indexed(run, articles):
    result = run("index", str(articles))
    assert result.exit_code == 0, result.output
    # one more, from stdin: no date in its text and no file, so undated
    result = run("index", "-", input="Prisoner swap\n\nA prisoner swap was agreed at the ceasefire talks.\n")
    assert result.exit_code == 0, result.output
    return articles


def _search(run, *args):
    result = run("search", "ceasefire talks", "-k", "10", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["hits"]


def _doc_id(run, title):
    return str(next(hit["doc_id"] for hit in _search(run) if hit["title"] == title))


def _titles(hits):
    return sorted(hit["title"] for hit in hits)


# ----- where a document's date comes from -------------------------------------------------------


def test_each_document_gets_its_date_and_says_where_from(run, indexed):
    hits = {hit["title"]: (hit["date"], hit["date_source"]) for hit in _search(run)}
    assert hits == {
        "Talks in Minsk": ("2017-03-17", "text"),
        "Sanctions extended": ("2018-01-05", "text"),
        "Grain corridor": ("2016-06-01", "file"),
        "Observers report": (hits["Observers report"][0], "metadata"),
        "Prisoner swap": (None, None),
    }
    assert hits["Observers report"][0].startswith("2017-03-02")


def test_search_output_shows_dates(run, indexed):
    result = run("search", "ceasefire talks", "-k", "10")
    assert re.search(r"Talks in Minsk \(para\. 1, doc \d+, 2017-03-17\)", result.stdout)
    assert "file modified 2016-06-01)" in result.stdout
    prisoner = next(line for line in result.stdout.splitlines() if "Prisoner swap" in line)
    assert re.search(r"\(para\. 1, doc \d+\)$", prisoner)  # undated: no date shown


@pytest.mark.parametrize(
    "text, expected",
    [
        ("DONETSK, March 17, 2017 — Ukrainian forces said", "2017-03-17"),
        ("KYIV, Ukraine (Reuters) - 17 March 2017 - The talks", "2017-03-17"),
        ("Published: 2017-03-17", "2017-03-17"),
        ("Updated 17 March 2017", "2017-03-17"),
        ("---\ntitle: Talks\ndate: 2017-03-17\n---\nText", "2017-03-17"),
        ("By Jane Doe | March 17, 2017", "2017-03-17"),
        ("Headline\n\nFriday, March 17, 2017 10:42 AM EST\n\nText", "2017-03-17"),
        ("Headline\n2017-03-17T10:42:00Z\nText", "2017-03-17"),
        # known misses, by design: a date inside a sentence is what the article is about
        ("Abraham Lincoln (February 12, 1809 – April 15, 1865) was the 16th President", None),
        ("Putin met Trump on March 17, 2017 in Helsinki.", None),
        ("2017-03-17 was the day the talks began.", None),
        # no year (which year is unknown), only a month, or too far down
        ("DONETSK, March 17 — Ukrainian forces said", None),
        ("March 2017", None),
        ("Title\n" + "A line of text.\n" * 20 + "Published: 2017-03-17", None),
        ("Kyiv • UNN", None),
    ],
)
def test_date_line_in_text(text, expected):
    found = date_in_text(text)
    assert (found.isoformat() if found else None) == expected


def test_bundled_seed_has_no_date_line_and_gets_its_files_day(run, tmp_path):
    from tests.conftest import SEEDS

    seed = next(SEEDS.glob("*.txt"))
    assert date_in_text(seed.read_text()) is None
    result = run("index", str(seed))
    assert result.exit_code == 0, result.output
    hit = _search(run)[0]
    assert (hit["date"], hit["date_source"]) == (dt.date.fromtimestamp(seed.stat().st_mtime).isoformat(), "file")


# ----- each filter alone and combined -------------------------------------------------------------


def test_since_until_inclusive_and_month_and_year_bounds(run, indexed):
    assert _titles(_search(run, "--since", "2017-03-17")) == ["Sanctions extended", "Talks in Minsk"]
    assert _titles(_search(run, "--until", "2017-03-17")) == ["Grain corridor", "Observers report", "Talks in Minsk"]
    # a month covers the whole month, at either end
    assert _titles(_search(run, "--since", "2017-03", "--until", "2017-03")) == ["Observers report", "Talks in Minsk"]
    assert _titles(_search(run, "--since", "March 2017", "--until", "March 2017")) == ["Observers report", "Talks in Minsk"]
    assert _titles(_search(run, "--until", "2017-02")) == ["Grain corridor"]
    assert _titles(_search(run, "--since", "2018")) == ["Sanctions extended"]
    assert _titles(_search(run, "--since", "17 March 2017", "--until", "March 17, 2017")) == ["Talks in Minsk"]


def test_undated_documents_are_left_out_with_a_note(run, indexed):
    result = run("search", "prisoner swap", "--since", "2000")
    assert result.exit_code == 0
    assert "Prisoner swap" not in result.stdout
    assert "note: 1 document without a date left out by --since/--until" in result.stderr
    plain = run("search", "prisoner swap")
    assert "Prisoner swap" in plain.stdout and "without a date" not in plain.stderr


@pytest.mark.parametrize(
    "patterns, expected",
    [
        (["*.md"], ["Sanctions extended"]),
        (["wire/*"], ["Talks in Minsk"]),
        (["reuters"], ["Grain corridor"]),  # no glob character: a substring, ignoring case
        (["REUTERS-*.TXT"], ["Grain corridor"]),  # a glob matches the file name too
        (["*.md", "*.html"], ["Observers report", "Sanctions extended"]),  # repeated: any of them
        (["stdin:*"], ["Prisoner swap"]),
        (["articles"], ["Grain corridor", "Observers report", "Sanctions extended", "Talks in Minsk"]),
    ],
)
def test_source_patterns(run, indexed, patterns, expected):
    args = [arg for pattern in patterns for arg in ("--source", pattern)]
    assert _titles(_search(run, *args)) == expected


@pytest.mark.parametrize(
    "pattern, source, matches",
    [
        ("*.pdf", "/home/a/news/report.PDF", True),
        ("news/*.html", "/home/a/news/x.html", True),
        ("news/*.html", "/home/a/oldnews/x.html", False),  # a glob starts at a path part
        ("news", "/home/a/oldnews/x.html", True),  # a substring does not
        ("/home/a/*", "/home/a/news/x.html", True),  # * crosses /
        ("x.htm?", "/home/a/news/x.html", True),
        ("[ab].txt", "/home/a/b.txt", True),
        ("*.txt", "stdin:0123abcd", False),
    ],
)
def test_source_matches(pattern, source, matches):
    assert source_matches(pattern, source) is matches


def test_relative_source_pattern_is_read_from_the_current_folder(run, indexed, monkeypatch):
    monkeypatch.chdir(indexed)
    assert _titles(_search(run, "--source", "./wire/*.txt")) == ["Talks in Minsk"]


def test_doc_by_id_and_path_repeatable(run, indexed):
    talks = _doc_id(run, "Talks in Minsk")
    assert _titles(_search(run, "--doc", talks)) == ["Talks in Minsk"]
    assert _titles(_search(run, "--doc", talks, "--doc", str(indexed / "sanctions.md"))) == [
        "Sanctions extended", "Talks in Minsk"
    ]
    result = run("search", "ceasefire", "--doc", "99")
    assert result.exit_code == 1
    assert "no document '99' in collection 'filters'" in result.stderr


def test_filters_combine_with_and(run, indexed):
    assert _titles(_search(run, "--source", "*.txt", "--since", "2017")) == ["Talks in Minsk"]
    talks = _doc_id(run, "Talks in Minsk")
    result = run("search", "ceasefire", "--doc", talks, "--source", "*.md")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: no documents match --source '*.md' --doc {talks} in collection 'filters'"


# ----- no match, bad values ----------------------------------------------------------------------


def test_no_match_is_one_line_and_exit_1(run, indexed):
    result = run("search", "ceasefire", "--since", "2019")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "Error: no documents match --since 2019 in collection 'filters'"
        " (1 document without a date left out by --since/--until)"
    )


@pytest.mark.parametrize("value", ["yesterdayish", "2017-13", "2017-02-30", "around March 2017", "17/03/2017", ""])
def test_bad_dates_are_usage_errors_naming_the_formats(run, indexed, value):
    result = run("search", "ceasefire", "--since", value)
    assert result.exit_code == 2
    assert f"Invalid value for '--since': '{value}' is not a date; use 2017-03-17, 2017-03, 2017," in result.stderr


def test_since_after_until_is_a_usage_error(run, indexed):
    result = run("search", "ceasefire", "--since", "2018", "--until", "2017-12")
    assert result.exit_code == 2
    assert "--since 2018 is after --until 2017-12" in result.stderr


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2017-03-05", "2017-03-05", "2017-03-05"),
        ("2017-3", "2017-03-01", "2017-03-31"),
        ("2016-02", "2016-02-01", "2016-02-29"),
        ("2017", "2017-01-01", "2017-12-31"),
        ("Feb 2017", "2017-02-01", "2017-02-28"),
        ("5 March 2017", "2017-03-05", "2017-03-05"),
    ],
)
def test_parse_bound(text, start, end):
    period = parse_bound(text)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


# ----- filters apply before the top-k cut --------------------------------------------------------


def test_top_k_comes_from_the_filtered_documents(run, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):  # close matches, dated 2016
        (folder / f"old{i:02}.txt").write_text(
            f"Old {i}\n\nPublished: 2016-05-{i % 28 + 1:02}\n\nCeasefire talks ceasefire talks resumed, round {i}.\n"
        )
    crops = ["wheat", "barley", "maize", "rye", "oats", "potatoes"]
    places = ["Kharkiv", "Poltava", "Sumy", "Odesa", "Vinnytsia", "Cherkasy"]
    for i in range(6):  # weaker matches, dated March 2017, each its own report (not copies of one)
        (folder / f"new{i}.txt").write_text(
            f"New {i}\n\nPublished: 2017-03-{i + 1:02}\n\nNear {places[i]}, farmers planted {crops[i]} while the"
            " ceasefire held.\n"
        )
    assert run("index", str(folder)).exit_code == 0
    unfiltered = _search(run)
    assert all(hit["title"].startswith("Old") for hit in unfiltered)  # what a filter after the cut would keep: none
    hits = json.loads(run("search", "ceasefire talks", "-k", "5", "--since", "2017-03", "--json").stdout)["hits"]
    assert len(hits) == 5
    assert all(hit["title"].startswith("New") and hit["date"].startswith("2017-03") for hit in hits)


def test_inverted_file_index_gives_k_of_a_small_chosen_set(monkeypatch):
    """IVF scans only NPROBE lists; a filter's few ids may lie in others, so it scans more."""
    from qa.store import vectors as vector_module

    monkeypatch.setattr(vector_module, "FLAT_LIMIT", 1000)
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(4000, 16)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    ids = np.arange(10, 4010, dtype=np.int64)
    index = vector_module.FaissVectorIndex.build(16, ids, matrix)
    assert index.kind == "ivf"
    chosen = ids[rng.choice(4000, 7, replace=False)]
    query = matrix[0]
    found = index.search(query, 5, among=chosen)
    exact = sorted(chosen, key=lambda i: -float(matrix[i - 10] @ query))[:5]
    assert [passage_id for passage_id, _ in found] == [int(i) for i in exact]
    assert len(index.search(query, 20, among=chosen)) == 7


# ----- ask and summarize -------------------------------------------------------------------------


def _echo_first_quote(messages):
    """The scripted model repeats the first numbered quote it is given, citing it."""
    quotes = re.findall(r"^\[(\d+)\] (.+)$", messages[-1]["content"], flags=re.MULTILINE)
    number, text = quotes[0]
    return f"{text} [{number}]"


def _ask(run, *args):
    SCRIPTS["current"] = _echo_first_quote
    return run("ask", "What happened at the ceasefire talks?", "--model", "scripted:current", *args)


def test_ask_answers_only_from_filtered_documents_and_shows_their_dates(run, indexed):
    result = _ask(run, "--json", "--source", "*.md")
    payload = json.loads(result.stdout)
    assert payload["mode"] != "abstained"
    assert {c["title"] for c in payload["citations"]} == {"Sanctions extended"}
    assert {(c["date"], c["date_source"]) for c in payload["citations"]} == {("2018-01-05", "text")}
    terminal = _ask(run, "--no-stream", "--doc", str(indexed / "Reuters-grain.txt"))
    assert re.search(r"\[1\] Grain corridor \(para\. \d+, file modified 2016-06-01\) — .*Reuters-grain\.txt", terminal.stdout)


def test_ask_abstains_when_no_document_matches(run, indexed):
    payload = json.loads(_ask(run, "--json", "--until", "2000").stdout)
    assert payload["mode"] == "abstained"
    assert payload["reason"].startswith("no documents match --until 2000 in collection 'filters'")
    terminal = _ask(run, "--no-stream", "--source", "*.pdf")
    assert terminal.exit_code == 0
    assert "Why: no documents match --source '*.pdf' in collection 'filters'." in terminal.stdout


def test_summarize_all_and_about_take_filters(run, indexed):
    SCRIPTS["current"] = _echo_first_quote
    base = ["summarize", "--model", "scripted:current", "--json", "--sentences", "2"]
    payload = json.loads(run(*base, "--all", "--since", "2017-03", "--until", "2017-03").stdout)
    assert {c["title"] for c in payload["citations"]} <= {"Talks in Minsk", "Observers report"}
    assert payload["citations"]
    payload = json.loads(run(*base, "--about", "ceasefire talks", "--source", "*.md").stdout)
    assert {c["title"] for c in payload["citations"]} == {"Sanctions extended"}
    talks, sanctions = _doc_id(run, "Talks in Minsk"), _doc_id(run, "Sanctions extended")
    payload = json.loads(run(*base, "--doc", talks, "--doc", sanctions).stdout)  # --doc alone: those documents
    assert payload["scope"] == "collection"
    assert {c["title"] for c in payload["citations"]} <= {"Talks in Minsk", "Sanctions extended"}
    payload = json.loads(run(*base, "--all", "--since", "2030").stdout)
    assert payload["mode"] == "abstained"
    assert payload["reason"].startswith("no documents match --since 2030 in collection 'filters'")


def test_summarize_document_takes_no_filters(run, indexed):
    result = run("summarize", "1", "--since", "2017", "--model", "scripted:current")
    assert result.exit_code == 2
    assert "DOCUMENT names one document already" in result.stderr


# ----- collections written before dates had a source ---------------------------------------------


def _downgrade_to_schema_1(qa_home):
    """What qa wrote before migration 2: no date_source column, dates only from HTML metadata (and
    no passage text keys, migration 3)."""
    conn = sqlite3.connect(qa_home / "collections" / COLLECTION / "qa.db", isolation_level=None)
    conn.execute("UPDATE documents SET date = NULL WHERE format != 'html'")
    conn.execute("ALTER TABLE documents DROP COLUMN date_source")
    conn.execute("DROP INDEX passages_text_key")
    conn.execute("ALTER TABLE passages DROP COLUMN text_key")
    conn.execute("DELETE FROM _migrations WHERE version >= 2")
    conn.close()


def test_an_older_collection_is_migrated_on_open_with_dates_from_text_and_files(run, indexed, qa_home):
    _downgrade_to_schema_1(qa_home)
    conn = sqlite3.connect(qa_home / "collections" / COLLECTION / "qa.db")
    assert "date_source" not in {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
    conn.close()
    hits = {hit["title"]: (hit["date"], hit["date_source"]) for hit in _search(run, "--since", "2016")}
    assert hits["Talks in Minsk"] == ("2017-03-17", "text")
    assert hits["Grain corridor"] == ("2016-06-01", "file")
    assert hits["Observers report"][1] == "metadata"
    assert "Prisoner swap" not in hits
    conn = sqlite3.connect(qa_home / "collections" / COLLECTION / "qa.db")
    assert conn.execute("SELECT MAX(version) FROM _migrations").fetchone()[0] == len(MIGRATIONS)
    conn.close()
