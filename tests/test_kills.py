"""`qa index` killed with SIGKILL at many moments — before, during and between commits, in a
first import, in updates and in `--rebuild` — never loses a reported commit or leaves a
collection that does not open, pass `qa doctor`, and finish on a rerun without redoing the
committed part. Real child processes (tests/writer_process.py) with the fake embedder."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.indexer import manifest_for
from qa.store.collection import Collection
from qa.store.health import check_collection
from tests.test_concurrency import commits, start_writer, write_corpus

pytestmark = pytest.mark.slow

ATTEMPTS = 30
DOCUMENTS = 60
# three documents per commit and a pause inside both commit windows: twenty commits of about
# a tenth of a second each, so kills land before, inside and between them
CHILD_ENV = {"QA_TEST_COMMIT_EVERY": "3", "QA_TEST_COMMIT_PAUSE": "0.04", "QA_TEST_REPORT_COMMITS": "1"}


def stored(settings) -> dict[str, tuple[str, int]]:
    store = Collection.open_reader(settings)
    found = {d.source: (d.content_hash, d.passages) for d in store.documents()}
    store.close()
    return found


def up_to_date(settings, paths: list[str]) -> set[str]:
    """Files whose current bytes are stored with their passages: the committed part."""
    rows = stored(settings)
    return {
        path for path in paths
        if path in rows and rows[path][1] and rows[path][0] == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    }


def rebuild_pending(settings) -> bool:
    store = Collection.open_reader(settings)
    pending = store.rebuild_pending()
    store.close()
    return pending


def test_sigkill_at_many_moments_never_loses_a_commit(settings, embedder, tmp_path):
    folder = tmp_path / "articles"
    paths = write_corpus(folder, DOCUMENTS, "kill")
    manifest = manifest_for(settings, embedder)
    rng = random.Random(20261127)  # fixed: a failure can be replayed
    landed: list[tuple[str, int]] = []
    in_window = 0
    for attempt in range(ATTEMPTS):
        mode = ("first import", "update", "rebuild")[attempt % 3]
        if mode == "first import":
            shutil.rmtree(settings.collection_dir, ignore_errors=True)
        elif mode == "update":
            for path in rng.sample(paths, 30):
                Path(path).write_text(Path(path).read_text() + f"Revision {attempt}: the port added a berth.\n")
        args = ["index", str(folder), *(["--rebuild"] if mode == "rebuild" else [])]
        child = start_writer(*args, **CHILD_ENV)
        reports = commits(child)
        if attempt % 2:  # a random moment, start-up included
            time.sleep(rng.uniform(0.3, 3.0))
        else:  # just after a reported commit: inside or right before the next one
            wanted, seen_so_far = rng.randint(1, 8), 0
            while seen_so_far < wanted and child.poll() is None:
                seen_so_far = reports.qsize()
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.1))
        finished_first = child.poll() is not None
        child.kill()
        child.wait(timeout=30)
        assert child.returncode in (0, -9), child.stderr.read()
        time.sleep(0.1)  # the reader thread takes in the last lines
        seen = []
        while not reports.empty():
            seen.append(reports.get())
        landed.append((mode, -1 if finished_first else len(seen)))
        in_window += any(settings.collection_dir.glob("*.tmp"))  # killed inside a commit's window
        committed = set(seen[-1]["sources"]) if seen else set()

        # the collection opens, is sound, and holds every reported commit
        health = check_collection(settings, manifest)
        assert health.healthy, (attempt, mode, health.as_dict())
        assert committed <= set(stored(settings)), (attempt, mode)
        store = Collection.open_reader(settings, manifest)
        assert store.vectors().count == sum(d.passages for d in store.documents())
        store.close()

        # the same command again finishes the rest without redoing what was committed
        pending = rebuild_pending(settings)
        done = up_to_date(settings, paths) if (mode != "rebuild" or pending) else set()
        rerun = CliRunner().invoke(main, [*args, "--json"])
        assert rerun.exit_code == 0, rerun.output
        report = json.loads(rerun.stdout)
        assert report["unchanged"] == len(done), (attempt, mode, pending, report)
        assert up_to_date(settings, paths) == set(paths)
        assert not rebuild_pending(settings)
        assert check_collection(settings, manifest).healthy
    # the kills landed at varied points: before any commit and after some, in every mode
    print("commits reported before each kill (-1: the run ended first):", landed)
    print("kills that left a commit's vector file before its rename:", in_window)
    assert sum(count >= 0 for _, count in landed) >= 20
    assert any(count == 0 for _, count in landed) and any(count >= 3 for _, count in landed)
    assert {mode for mode, count in landed if count > 0} == {"first import", "update", "rebuild"}
