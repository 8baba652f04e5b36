"""Reliability through the real `qa index`: symbolic links that lead nowhere or in circles, a disk
that fills up in the middle of a commit, and a folder of ten thousand small files."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import qa.indexer as indexer
import qa.store.collection as store
from qa.cli import main
from qa.store import vector_files
from qa.store.vector_files import VectorDelta
from qa.store.vectors import FaissVectorIndex
from tests.fakes import HashEmbedder

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


# ----- a disk that fills up ------------------------------------------------------------------


@pytest.fixture
def collection(tmp_path, scripted_model) -> dict:
    """A healthy collection of one article, and what it holds."""
    good = tmp_path / "prebuilt" / "good.txt"
    good.parent.mkdir()
    good.write_text(GOOD)
    assert run("index", str(good)).exit_code == 0
    assert healthy()
    return snapshot()


def _big_article(tmp_path: Path) -> Path:
    path = tmp_path / "new" / "big.txt"
    path.parent.mkdir()
    sentences = (f"Reporters in town {n} counted {n * 7} new houses on street {n % 97}." for n in range(3000))
    path.write_text("Housing survey\n\n" + " ".join(sentences) + "\n")
    return path


def _assert_full_and_unchanged(result, before: dict, directory: Path) -> None:
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    stderr = result.stderr.strip().splitlines()
    assert len(stderr) == 1, result.stderr
    assert "the disk is full" in stderr[0] and "nothing committed was lost" in stderr[0]
    assert snapshot() == before
    assert healthy()
    assert not list(directory.glob("*.tmp"))


def test_database_full_during_a_commit(collection, tmp_path, monkeypatch, settings):
    connect = store._connect

    def nearly_full(path, name, writer=True):
        conn = connect(path, name, writer)
        if writer:  # the database may grow by a few pages only, as on a disk with little room left
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages + 4}")
        return conn

    monkeypatch.setattr(store, "_connect", nearly_full)
    article = _big_article(tmp_path)
    result = run("index", str(article))
    assert "database or disk is full" in result.stderr
    _assert_full_and_unchanged(result, collection, settings.collection_dir)

    monkeypatch.setattr(store, "_connect", connect)  # space freed
    again = run("index", str(article))
    assert again.exit_code == 0, again.stderr
    assert snapshot()["stats"]["documents"] == 2 and healthy()


def _write_part_then_fail(self, path: Path, *args) -> None:
    path.write_bytes(b"part of a vector file")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def _faiss_writes_to_a_full_device(self, path: Path) -> None:
    """faiss's own error, as a full disk gives it. It raises only when a write past its buffer
    fails (a small index failing at close is merely printed), so the index written is large."""
    import faiss
    import numpy as np

    path.write_bytes(b"part of a vector file")
    large = FaissVectorIndex(self.dimension)
    large.add(np.arange(1000), np.zeros((1000, self.dimension), dtype=np.float32))
    faiss.write_index(large._index, "/dev/full")


def _numpy_writes_to_a_full_device(self, path: Path, dimension: int) -> None:
    """numpy's own error when a commit's changes meet a full disk."""
    path.write_bytes(b"part of a vector file")
    with open("/dev/full", "wb") as full:
        np.savez(full, ids=np.arange(100_000))
        full.flush()


NEEDS_DEV_FULL = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")


@pytest.mark.parametrize(
    ("whole", "save"),
    [
        (True, _write_part_then_fail),
        pytest.param(True, _faiss_writes_to_a_full_device, marks=NEEDS_DEV_FULL),
        (False, _write_part_then_fail),
        pytest.param(False, _numpy_writes_to_a_full_device, marks=NEEDS_DEV_FULL),
    ],
)
def test_vector_file_write_fails_for_want_of_space(collection, tmp_path, monkeypatch, settings, whole, save):
    """Either file a commit writes: the whole index, or (usually) only the commit's changes."""
    if whole:
        monkeypatch.setattr(vector_files, "DELTA_MIN_VECTORS", 0)
        target, method = FaissVectorIndex, "save"
    else:
        target, method = VectorDelta, "save"
    original = getattr(target, method)
    monkeypatch.setattr(target, method, save)
    article = tmp_path / "harbour.txt"
    article.write_text(OUTSIDE)
    result = run("index", str(article))
    assert os.strerror(errno.ENOSPC) in result.stderr
    _assert_full_and_unchanged(result, collection, settings.collection_dir)

    monkeypatch.setattr(target, method, original)  # space freed
    again = run("index", str(article))
    assert again.exit_code == 0, again.stderr
    assert snapshot()["stats"]["documents"] == 2 and healthy()


# ----- many small files ----------------------------------------------------------------------

MANY = 10_000


@pytest.mark.slow  # about 13 s to index, 1.3 s to find them all unchanged (fake embedder, 2 cores)
def test_ten_thousand_small_files(tmp_path, scripted_model, monkeypatch):
    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(MANY):
        (folder / f"n{n:05d}.txt").write_text(
            f"Note {n}\n\nTown {n} opened a new library on day {n}. The mayor of town {n} cut the ribbon.\n"
        )
    first = run("index", str(folder), "--json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["added"] == MANY
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["documents"] == stats["passages"] == MANY
    assert healthy()

    # Nothing read twice is split or embedded again: counted, not timed (a wall-clock ratio
    # failed CI on a busy 2-core machine while the work done was the same).
    work = {"split": 0, "embedded": 0}
    split, embed_passages = indexer.chunk_text, HashEmbedder.embed_passages

    def counting_split(*args, **kwargs):
        work["split"] += 1
        return split(*args, **kwargs)

    def counting_embed(self, texts):
        work["embedded"] += len(texts)
        return embed_passages(self, texts)

    monkeypatch.setattr(indexer, "chunk_text", counting_split)
    monkeypatch.setattr(HashEmbedder, "embed_passages", counting_embed)
    started = time.monotonic()
    again = run("index", str(folder), "--json")
    again_seconds = time.monotonic() - started
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["unchanged"] == MANY
    assert work == {"split": 0, "embedded": 0}

    # The counters see real work: one changed note is split and embedded again, and only it.
    (folder / "n00007.txt").write_text("Note 7\n\nTown 7 closed its library for repairs.\n")
    changed = run("index", str(folder), "--json")
    assert json.loads(changed.stdout)["updated"] == 1
    assert work["split"] == 1 and work["embedded"] == 1
    print(f"{MANY} files: found unchanged in {again_seconds:.1f}s")
