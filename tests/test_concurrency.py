"""Writers take the lock per commit; concurrent writers interleave and lose nothing; readers
always see one committed state. Real child processes (tests/writer_process.py) with the fakes."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time

from qa.indexer import index_paths, manifest_for, remove_documents
from qa.retrieve import search
from qa.store.collection import Collection
from qa.store.health import check_collection
from tests.conftest import REPO


def write_corpus(folder, count: int, prefix: str = "doc") -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"{prefix}{number:03d}.txt"
        path.write_text(
            f"{prefix.title()} report {number}\nThe harbour of {prefix} town {number} reopened after repairs."
            f" Officials counted {number + 3} ships on the first day.\n"
        )
        paths.append(str(path.resolve()))
    return paths


def start_writer(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.writer_process", *args],
        cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def commits(writer: subprocess.Popen) -> "queue.Queue[dict]":
    """The child's commit reports, read in a thread so its pipe never fills and blocks it."""
    reports: queue.Queue[dict] = queue.Queue()

    def read() -> None:
        for line in writer.stdout:
            reports.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    return reports


def sources(settings) -> set[str]:
    store = Collection.open_reader(settings)
    found = {d.source for d in store.documents()}
    store.close()
    return found


def test_a_second_writer_goes_between_the_first_ones_commits(settings, embedder, tmp_path):
    """A long import (many commits) must not keep a `qa docs remove` waiting for all of it."""
    index_paths(settings, embedder, [str(p) for p in write_corpus(tmp_path / "old", 1, "old")])
    old = next(iter(sources(settings)))
    long_run = start_writer("index", str(tmp_path / "new"), QA_TEST_COMMIT_EVERY="1",
                            QA_TEST_COMMIT_PAUSE="0.05", QA_TEST_REPORT_COMMITS="1")
    write_corpus(tmp_path / "new", 60, "new")  # written while the child starts; it lists them at start
    reports = commits(long_run)
    try:
        assert reports.get(timeout=60)["generation"] >= 2  # the import's first commit has happened
        removal = threading.Thread(target=remove_documents, args=(settings, embedder, [old]))
        removal.start()
        removal.join(5.0)
        assert not removal.is_alive(), "the remove waited more than 5 s for the import"
        assert long_run.poll() is None, "the import had already finished: it gave the remove no gap to test"
    finally:
        long_run.wait(timeout=120)
        removal.join(120)
    assert long_run.returncode == 0, long_run.stderr.read()
    assert old not in sources(settings) and len(sources(settings)) == 60
    assert check_collection(settings, manifest_for(settings, embedder)).healthy


def test_two_indexers_at_once_both_finish_and_nothing_is_lost(settings, embedder, tmp_path):
    first = write_corpus(tmp_path / "a", 40, "alpha")
    second = write_corpus(tmp_path / "b", 40, "beta")
    shared = write_corpus(tmp_path / "shared", 10, "shared")  # given to both
    env = {"QA_TEST_COMMIT_EVERY": "3", "QA_TEST_COMMIT_PAUSE": "0.01"}
    writers = [
        start_writer("index", str(tmp_path / "a"), str(tmp_path / "shared"), **env),
        start_writer("index", str(tmp_path / "b"), str(tmp_path / "shared"), **env),
    ]
    for writer in writers:
        out, err = writer.communicate(timeout=180)
        assert writer.returncode == 0, err
    assert sources(settings) == set(first + second + shared)
    health = check_collection(settings, manifest_for(settings, embedder))
    assert health.healthy, health.as_dict()
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    assert store.vectors().count == sum(d.passages for d in store.documents())  # no passage twice


def test_readers_during_indexing_see_whole_commits(settings, embedder, tmp_path):
    """Each commit adds two documents, twins; a reader must never see one twin without the other."""
    folder = tmp_path / "pairs"
    folder.mkdir()
    for number in range(40):
        for twin in ("left", "right"):
            (folder / f"{number:03d}-{twin}.txt").write_text(
                f"Pair {number} {twin}\nThe lighthouse keeper {number} logged a {twin} storm warning.\n"
            )
    writer = start_writer("index", str(folder), QA_TEST_COMMIT_EVERY="2", QA_TEST_COMMIT_PAUSE="0.02")
    manifest = manifest_for(settings, embedder)
    looks = 0
    errors: list[str] = []
    try:
        while writer.poll() is None:
            try:
                store = Collection.open_reader(settings, manifest)
            except Exception as exc:  # noqa: BLE001 - the assertion below reports it
                errors.append(repr(exc))
                continue
            names = {d.source.rsplit("/", 1)[-1] for d in store.documents()}
            pairs = {name.split("-")[0] for name in names}
            assert all(f"{p}-left.txt" in names and f"{p}-right.txt" in names for p in pairs), names
            passages = sum(d.passages for d in store.documents())
            if store.manifest() is not None:
                assert store.vectors().count == passages  # vectors of the same generation
                for hit in search(store, embedder, "lighthouse keeper storm warning", k=5):
                    assert hit.passage.text  # every hit resolves to a stored passage
            store.close()
            looks += 1
    finally:
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert not errors and looks >= 5, errors[:3]
    assert len(sources(settings)) == 80


def test_remove_racing_index_of_the_same_file_ends_in_one_defined_state(settings, embedder, tmp_path):
    """The documented outcome: whichever commits last wins. A remove that commits before the
    index's commit is undone by it (the file is there, so it is indexed); one that commits after
    it removes the document. Either way the collection is sound and the file is indexed or not,
    never half."""
    paths = write_corpus(tmp_path / "race", 30, "race")
    target = paths[-1]
    writer = start_writer("index", str(tmp_path / "race"), QA_TEST_COMMIT_EVERY="1", QA_TEST_COMMIT_PAUSE="0.02",
                          QA_TEST_REPORT_COMMITS="1")
    reports = commits(writer)
    removed_at = None
    try:
        while removed_at is None:
            report = reports.get(timeout=60)
            if target in report["sources"]:
                remove_documents(settings, embedder, [target])
                removed_at = report["generation"]
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0 and removed_at is not None
    assert target not in sources(settings)  # the remove committed after the index's commit
    assert check_collection(settings, manifest_for(settings, embedder)).healthy
    again = index_paths(settings, embedder, [str(tmp_path / "race")])
    assert (again.added, again.unchanged) == (1, 29)


def test_lock_waiters_are_let_in_between_back_to_back_commits(settings, embedder, tmp_path):
    """Within one process too: a thread committing in a tight loop lets a waiting thread in."""
    write_corpus(tmp_path / "loop", 1, "loop")
    index_paths(settings, embedder, [str(tmp_path / "loop")])
    manifest = manifest_for(settings, embedder)
    stop = threading.Event()

    def busy_writer():
        with Collection.open_writer(settings, manifest) as collection:
            while not stop.is_set():
                with collection.transaction(manifest):
                    time.sleep(0.01)

    thread = threading.Thread(target=busy_writer)
    thread.start()
    removal = threading.Thread(
        target=remove_documents, args=(settings, embedder, [str((tmp_path / "loop" / "loop000.txt").resolve())])
    )
    try:
        time.sleep(0.1)
        removal.start()
        removal.join(2.0)
        assert not removal.is_alive(), "the waiting writer never got the lock"
    finally:
        stop.set()
        thread.join(10)
        removal.join(10)
    assert sources(settings) == set()
