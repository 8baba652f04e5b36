import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from qa.cli import main
from tests.conftest import REPO, SEEDS


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(next(SEEDS.glob("*.txt")), folder / "seed.txt")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 not supported")
    return folder


def test_help_imports_no_heavy_library():
    code = (
        "import sys; from click.testing import CliRunner; from qa.cli import main;"
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(main, ['index', '--help']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(main, ['search', '-h']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(main, ['ask', '--help']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(main, ['summarize', '--help']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(main, ['docs', '--help']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(main, ['doctor', '--help']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(main, ['--help']); assert 'eval' in r.output, r.output;"
        "r = CliRunner().invoke(main, ['eval', '--help']); assert r.exit_code == 0 and 'FILE.jsonl' in r.output, r.output;"
        "r = CliRunner().invoke(main, ['serve', '--help']); assert r.exit_code == 0 and '--allow-path' in r.output, r.output;"
        "heavy = {'torch', 'sentence_transformers', 'faiss', 'llama_cpp', 'numpy', 'transformers', 'onnxruntime',"
        " 'fastapi', 'uvicorn', 'pysbd'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "[]"


def test_index_search_docs_stats(run, folder):
    result = run("index", str(folder))
    assert result.exit_code == 0
    assert "added 1, updated 0, unchanged 0, removed 0 documents" in result.stderr
    assert "notes.docx: skipped, unsupported type" in result.stderr
    assert result.stdout == ""

    result = run("search", "prisoner exchange", "-k", "2", "--json")
    payload = json.loads(result.stdout)
    assert len(payload["hits"]) == 2
    top = payload["hits"][0]
    assert "175 prisoners" in top["text"] and top["location"].startswith("para.")

    listing = json.loads(run("docs", "list", "--json").stdout)
    assert [d["title"][:5] for d in listing] == ["Putin"]
    shown = json.loads(run("docs", "show", str(listing[0]["id"]), "--json").stdout)
    assert shown["passage_list"] and shown["text"].startswith("\nPutin refused")

    stats = json.loads(run("stats", "--json").stdout)
    assert stats["documents"] == 1 and stats["passages"] == len(shown["passage_list"])
    assert stats["manifest"]["embed_model"] == "test-hash:v1"

    result = run("docs", "remove", str(folder / "seed.txt"))
    assert result.exit_code == 0 and "removed document" in result.stderr
    assert json.loads(run("stats", "--json").stdout)["passages"] == 0


def test_index_json_summary(run, folder):
    result = run("index", str(folder), "--json")
    payload = json.loads(result.stdout)
    assert payload["added"] == 1 and payload["passages"] > 0


def test_bad_inputs_one_line_each_rest_indexed(run, folder, tmp_path):
    (folder / "empty.txt").write_text("")
    (folder / "blob.txt").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "latin.txt").write_bytes("Caf\xe9 owners met on Monday.".encode("latin-1"))
    result = run("index", str(folder), str(tmp_path / "missing.txt"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3, result.stderr
    assert any("missing.txt: no such file" in line for line in errors)
    assert any("binary file" in line for line in errors)
    assert any("empty file" in line for line in errors)
    assert "undecodable byte" in result.stderr
    assert "added 2," in result.stderr
    assert json.loads(run("stats", "--json").stdout)["documents"] == 2


def test_stdin(run):
    result = run("index", "-", input="Piped article\nThe harbour reopened on 3 June after repairs.\n")
    assert result.exit_code == 0 and "added 1" in result.stderr
    hits = json.loads(run("search", "harbour reopened", "--json").stdout)["hits"]
    assert hits[0]["source"].startswith("stdin:")


def test_stdin_html_is_extracted(run):
    page = (
        "<!DOCTYPE html><html><head><title>Ferry news</title></head><body><nav>Menu</nav><article>"
        "<p>The ferry service to the island resumed on Friday after a two-week strike by crew members.</p>"
        "<p>Operators said 14 sailings a day will run through the summer season.</p></article></body></html>"
    )
    assert run("index", "-", input=page).exit_code == 0
    shown = json.loads(run("docs", "show", "1", "--json").stdout)
    assert shown["format"] == "html" and shown["title"] == "Ferry news"
    assert "<p>" not in shown["text"] and "14 sailings" in shown["text"]


def test_usage_errors(run):
    assert run("index").exit_code == 2
    assert run("search").exit_code == 2
    assert run("search", "x", "-k", "0").exit_code == 2
    assert run("nonsense").exit_code == 2


def test_search_empty_collection_is_a_clear_error(run):
    result = run("search", "anything")
    assert result.exit_code == 1
    assert "collection 'default' is empty" in result.stderr


def test_mismatch_is_one_line_naming_rebuild(run, folder, monkeypatch):
    run("index", str(folder))
    monkeypatch.setenv("QA_EMBED_MODEL", "test-hash:v2")
    result = run("search", "prisoner")
    assert result.exit_code == 1
    assert "qa index --rebuild" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert run("index", "--rebuild").exit_code == 0
    assert run("search", "prisoner").exit_code == 0


def test_collections_are_separate(run, folder):
    run("index", str(folder), "--collection", "work")
    assert json.loads(run("stats", "--json", "--collection", "work").stdout)["documents"] == 1
    assert json.loads(run("stats", "--json").stdout)["documents"] == 0
    assert run("stats", "--collection", "../evil").exit_code == 1


def test_unknown_document(run, folder):
    run("index", str(folder))
    result = run("docs", "show", "999")
    assert result.exit_code == 1 and "no document '999'" in result.stderr


def test_stdin_over_the_limit_is_refused(run, monkeypatch):
    monkeypatch.setenv("QA_MAX_DOCUMENT_MB", "0.001")
    result = run("index", "-", input="word " * 1000)
    assert result.exit_code == 1
    assert "stdin: more than the 0 MB limit" in result.stderr or "stdin: more than" in result.stderr
    assert "Traceback" not in result.output


def test_search_method_compares_dense_and_keyword_alone(run, folder):
    from qa.config import Settings
    from qa.store.collection import Collection
    from tests.fakes import HashEmbedder

    run("index", str(folder))
    found = {}
    for method in ("hybrid", "dense", "keyword"):
        result = run("search", "prisoner exchange", "-k", "3", "--method", method, "--json")
        payload = json.loads(result.stdout)
        assert payload["method"] == method and 1 <= len(payload["hits"]) <= 3
        found[method] = [hit["passage_id"] for hit in payload["hits"]]
    store = Collection.open_reader(Settings.from_env())
    assert found["keyword"] == [pid for pid, _ in store.keyword_search("prisoner exchange", 3)]
    query_vector = HashEmbedder().embed(["prisoner exchange"])[0]
    assert found["dense"] == [pid for pid, _ in store.vectors().search(query_vector, 3)]
    store.close()
    assert len(found["keyword"]) < len(found["hybrid"])  # only passages with the words, unlike fusion
    wrong = run("search", "prisoner exchange", "--method", "bm25")
    assert wrong.exit_code == 2 and "hybrid" in wrong.output


def test_docs_list_and_show_give_each_date_and_where_it_came_from(run, tmp_path):
    import os

    folder = tmp_path / "dated"
    folder.mkdir()
    (folder / "wire.txt").write_text("Harbour reopens\nPublished: 2017-03-17\n\nThe harbour reopened on Friday.\n")
    undated = folder / "memo.txt"
    undated.write_text("Memo\n\nThe canteen closes early on Fridays.\n")
    os.utime(undated, (1_500_000_000, 1_500_000_000))  # 2017-07-14
    run("index", str(folder))
    listing = run("docs", "list").stdout.splitlines()
    assert any("2017-03-17" in line and "wire.txt" in line for line in listing)
    assert any("file modified 2017-07-14" in line and "memo.txt" in line for line in listing)
    shown = run("docs", "show", str(folder / "memo.txt")).stdout
    assert "date_source   file" in shown


def test_a_document_id_past_sqlites_integers_is_not_found(run, folder):
    run("index", str(folder))
    for command in (["docs", "show"], ["docs", "remove"], ["ask", "What was agreed?", "--doc"]):
        result = run(*command, "61964133263531662580501184512")
        assert result.exit_code == 1 and "no document '61964133263531662580501184512'" in result.stderr, result.output
