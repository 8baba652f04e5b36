"""Reliability through the real `qa index`: symbolic links that lead nowhere or in circles."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main

GOOD = "Council news\n\nThe council approved 42 new electric buses on Tuesday. The mayor welcomed the vote.\n"
OUTSIDE = "Harbour news\n\nThe harbour reopened on 3 June after repairs. Ferries to the island resume on Friday.\n"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def snapshot() -> dict:
    """What the collection holds: counts, the commit generation, and every document's identity."""
    stats = json.loads(run("stats", "--json").stdout)
    documents = json.loads(run("docs", "list", "--json").stdout)
    keep = ("documents", "passages", "sentences", "generation")
    return {"stats": {key: stats[key] for key in keep}, "documents": documents}


def sources() -> list[str]:
    return sorted(document["source"] for document in json.loads(run("docs", "list", "--json").stdout))


def lines(output: str, prefix: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(prefix)]


def healthy() -> bool:
    result = run("doctor", "--json")
    return result.exit_code == 0 and json.loads(result.stdout)["healthy"]


@pytest.fixture
def scripted_model(monkeypatch):
    # doctor's environment check loads the answer model; the scripted one keeps it fast
    monkeypatch.setenv("QA_MODEL", "scripted:x")


# ----- symbolic links ------------------------------------------------------------------------


def _dangling(folder: Path) -> str:
    (folder / "dangling.txt").symlink_to("nowhere.txt")
    return "dangling.txt"


def _file_loop(folder: Path) -> str:
    (folder / "a.txt").symlink_to("b.txt")
    (folder / "b.txt").symlink_to("a.txt")
    return "a.txt"


def _folder_loop(folder: Path) -> str:
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..", target_is_directory=True)
    return f"sub{os.sep}up"


BROKEN = {
    "dangling link": (_dangling, "dangling link to nowhere.txt"),
    "a -> b -> a": (_file_loop, "symbolic link loop (a.txt → b.txt → a.txt)"),
    "folder link to its parent": (_folder_loop, "symbolic link loop, it leads back to"),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_broken_link_in_a_batch_is_one_error_and_the_rest_is_indexed(tmp_path, kind):
    make, reason = BROKEN[kind]
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD)
    name = make(folder)
    started = time.monotonic()
    result = run("index", str(folder))
    assert time.monotonic() - started < 30  # a loop must not be walked round and round
    assert result.exit_code == 1
    errors = lines(result.stderr, "error:")
    assert len(errors) == 1, result.stderr
    assert str(folder / name) in errors[0] and reason in errors[0]
    assert "Traceback" not in result.output
    assert sources() == [str((folder / "good.txt").resolve())]
    assert "added 1," in result.stderr


@pytest.mark.parametrize("kind", BROKEN)
def test_broken_link_alone_fails_like_other_errors(tmp_path, kind):
    make, reason = BROKEN[kind]
    folder = tmp_path / "articles"
    folder.mkdir()
    make(folder)
    result = run("index", str(folder))
    assert result.exit_code == 1
    assert len(lines(result.stderr, "error:")) == 1 and reason in result.stderr
    assert sources() == []


def test_dangling_link_on_the_command_line_is_no_such_file(tmp_path):
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "never-there.txt")
    result = run("index", str(link))
    assert result.exit_code == 1
    assert lines(result.stderr, "error:") == [f"error: {link}: no such file or directory"]


def test_link_loop_on_the_command_line_says_loop(tmp_path):
    _file_loop(tmp_path)
    result = run("index", str(tmp_path / "a.txt"))
    assert result.exit_code == 1
    assert lines(result.stderr, "error:") == [f"error: {tmp_path / 'a.txt'}: symbolic link loop, it never reaches a file"]


def test_dangling_link_of_an_unsupported_type_is_a_note(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD)
    (folder / "lock").symlink_to("host:1234")  # as some programs leave them
    result = run("index", str(folder))
    assert result.exit_code == 0, result.stderr
    assert lines(result.stderr, "note:") == [f"note: {folder / 'lock'}: skipped, a dangling link of an unsupported type"]


def test_link_to_a_file_outside_is_indexed_once_by_its_real_path(tmp_path):
    """The document is the file, not the link: linked twice and named on the command line too,
    it is stored once, under the path the link resolves to."""
    outside = tmp_path / "elsewhere" / "harbour.txt"
    outside.parent.mkdir()
    outside.write_text(OUTSIDE)
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD)
    (folder / "harbour.txt").symlink_to(outside)
    (folder / "again.txt").symlink_to(Path("..") / "elsewhere" / "harbour.txt")
    result = run("index", str(folder), str(outside), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 2
    assert sources() == sorted([str(outside.resolve()), str((folder / "good.txt").resolve())])
    again = json.loads(run("index", str(folder), "--json").stdout)
    assert (again["added"], again["unchanged"], again["removed"]) == (0, 2, 0)


def test_link_to_a_folder_is_followed_once(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "harbour.txt").write_text(OUTSIDE)
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD)
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    (folder / "linked-again").symlink_to(outside, target_is_directory=True)
    result = run("index", str(folder), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 2
    assert sources() == sorted([str((outside / "harbour.txt").resolve()), str((folder / "good.txt").resolve())])
