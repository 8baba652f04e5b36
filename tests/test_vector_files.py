"""Commits write only their changes (deltas), now and then the whole index (a base), and every
reader still sees exactly the vectors SQLite holds."""

import random

import numpy as np
import pytest

from qa.indexer import index_paths, manifest_for
from qa.store import vector_files
from qa.store import vectors as vector_module
from qa.store.collection import LAYOUT_KEY, Collection
from qa.store.vector_files import StoredDelta, VectorDelta, VectorLayout
from qa.store.vectors import FaissVectorIndex


def article(number: int, version: int = 0) -> str:
    return (f"Harbour log {number}\n\nShip {number} arrived with {number * 7 + version} crates of cargo"
            f" from port {number % 13}, revision {version}.\n")


def open_reader(settings, embedder):
    return Collection.open_reader(settings, manifest_for(settings, embedder))


def assert_matches_sqlite(settings, embedder):
    """A fresh reader's index holds the vectors SQLite holds, each finding itself first."""
    store = open_reader(settings, embedder)
    try:
        ids, matrix = store.all_vectors()
        index = store.vectors()
        assert index.count == len(ids)
        for passage_id, vector in zip(ids.tolist(), matrix):
            assert index.search(vector, 1)[0][0] == passage_id
        return store._layout()
    finally:
        store.close()


def files(settings):
    return sorted(path.name for path in settings.collection_dir.glob("vectors.*"))


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "log"
    path.mkdir()
    return path


def add(settings, embedder, folder, number: int) -> None:
    """One article written and indexed on its own: one small commit."""
    (folder / f"{number:02}.txt").write_text(article(number))
    index_paths(settings, embedder, [str(folder / f"{number:02}.txt")])


def test_small_commits_write_deltas_and_readers_apply_them(settings, embedder, folder):
    add(settings, embedder, folder, 0)
    assert files(settings) == ["vectors.1.faiss"]  # the first commit writes the whole index
    for number in range(1, 4):
        add(settings, embedder, folder, number)
    assert files(settings) == ["vectors.1.faiss", "vectors.2.delta", "vectors.3.delta", "vectors.4.delta"]
    layout = assert_matches_sqlite(settings, embedder)
    assert (layout.base, layout.count, layout.pending) == (1, 4, 3)


def test_random_adds_updates_and_removes_stay_in_step(settings, embedder, folder, monkeypatch):
    """Many commits with small thresholds, so bases and deltas both come and go."""
    monkeypatch.setattr(vector_files, "DELTA_MIN_VECTORS", 6)
    monkeypatch.setattr(vector_files, "MAX_DELTAS", 4)
    rng = random.Random(7)
    present: dict[int, int] = {}
    bases = set()
    for step in range(40):
        for _ in range(rng.randint(1, 4)):
            number = rng.randrange(30)
            if number in present and rng.random() < 0.4:
                (folder / f"{number:02}.txt").unlink()
                del present[number]
            else:
                present[number] = present.get(number, -1) + 1
                (folder / f"{number:02}.txt").write_text(article(number, present[number]))
        index_paths(settings, embedder, [str(folder)])
        layout = assert_matches_sqlite(settings, embedder)
        bases.add(layout.base)
        # the files this generation and the previous one need, and no others
        names = files(settings)
        assert f"vectors.{layout.base}.faiss" in names and not any(n.endswith(".tmp") for n in names)
        assert len(names) <= 2 * (vector_files.MAX_DELTAS + 1), names
    assert len(bases) > 3, bases


def test_a_base_is_written_when_the_deltas_outgrow_their_share(settings, embedder, folder, monkeypatch):
    monkeypatch.setattr(vector_files, "DELTA_MIN_VECTORS", 3)
    for number in range(6):
        add(settings, embedder, folder, number)
    # one passage each: generation 1 is a base, then three deltas fit (3 changes); the fifth
    # commit would make 4, so it writes a base of 5 vectors, and the sixth is a delta again.
    # Generation 5, the previous one, needs only its base: the files before it are gone.
    assert files(settings) == ["vectors.5.faiss", "vectors.6.delta"]
    layout = assert_matches_sqlite(settings, embedder)
    assert (layout.base, layout.base_count, layout.pending) == (5, 5, 1)
    add(settings, embedder, folder, 6)
    assert files(settings) == ["vectors.5.faiss", "vectors.6.delta", "vectors.7.delta"]
    assert assert_matches_sqlite(settings, embedder).count == 7


def test_a_lost_delta_is_rebuilt_from_sqlite_and_found_by_doctor(settings, embedder, folder):
    from qa.store.health import check_collection, repair_collection

    for number in range(3):
        add(settings, embedder, folder, number)
    (settings.collection_dir / "vectors.2.delta").unlink()
    assert_matches_sqlite(settings, embedder)  # rebuilt in memory from SQLite
    manifest = manifest_for(settings, embedder)
    findings = {f.check: f for f in check_collection(settings, manifest).findings}
    assert not findings["vector file"].ok and "vectors.2.delta" in findings["vector file"].detail
    repaired = {f.check: f for f in repair_collection(settings, embedder, manifest).findings}
    assert repaired["vector file"].ok
    assert files(settings)[-1] == "vectors.4.faiss"


def test_a_collection_without_a_layout_is_read_as_before_and_gets_one(settings, embedder, folder):
    """Collections written before deltas existed: one whole file per generation, no layout."""
    add(settings, embedder, folder, 0)
    with Collection.open_writer(settings, manifest_for(settings, embedder)) as writer:
        with writer.rows_transaction() as conn:  # drops the layout, as an older qa never wrote one
            assert conn.execute("SELECT COUNT(*) FROM meta WHERE key = ?", (LAYOUT_KEY,)).fetchone()[0] == 0
    assert assert_matches_sqlite(settings, embedder) is None
    add(settings, embedder, folder, 1)
    layout = assert_matches_sqlite(settings, embedder)
    assert layout is not None and (layout.base, layout.count) == (2, 2)


def test_vectors_added_to_an_inverted_file_wait_in_an_exact_side_index(monkeypatch):
    monkeypatch.setattr(vector_module, "FLAT_LIMIT", 500)
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((2000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = FaissVectorIndex.build(16, np.arange(1, 1501), vectors[:1500])
    assert index.kind == "ivf"
    index.add(np.arange(1501, 2001), vectors[1500:])
    assert index.count == 2000 and index._recent is not None and index._recent.ntotal == 500
    assert index.search(vectors[1700], 1)[0][0] == 1701
    assert [i for i, _ in index.search(vectors[1700], 3, among=np.array([1701, 5]))][0] == 1701
    assert index.remove(np.array([1701, 5])) == 2 and index.count == 1998
    assert all(i != 1701 for i, _ in index.search(vectors[1700], 5))


def test_saving_an_inverted_file_moves_the_side_index_into_it(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_module, "FLAT_LIMIT", 500)
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((1200, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = FaissVectorIndex.build(16, np.arange(1, 1001), vectors[:1000])
    index.add(np.arange(1001, 1201), vectors[1000:])
    index.save(tmp_path / "v.faiss")
    loaded = FaissVectorIndex.load(tmp_path / "v.faiss")
    assert loaded.count == 1200 and loaded._recent is None
    assert loaded.search(vectors[1100], 1)[0][0] == 1101


def test_a_delta_file_round_trips_and_refuses_damage(tmp_path):
    delta = VectorDelta()
    delta.add(np.array([4, 5]), np.eye(2, 3, dtype=np.float32))
    delta.remove(np.array([5, 1]))  # 5 was added by this commit: it is simply not added
    assert set(delta.added) == {4} and delta.removed == {1, 5} and delta.size == 3
    delta.save(tmp_path / "d", 3)
    loaded = StoredDelta.load(tmp_path / "d", 3)
    assert set(loaded.removed.tolist()) == {1, 5} and loaded.ids.tolist() == [4]
    np.testing.assert_array_equal(loaded.vectors[0], np.eye(2, 3, dtype=np.float32)[0])
    with pytest.raises(ValueError, match="wrong shape"):
        StoredDelta.load(tmp_path / "d", 4)
    (tmp_path / "d").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValueError, match="unreadable"):
        StoredDelta.load(tmp_path / "d", 3)


def test_layout_round_trips():
    layout = VectorLayout(base=3, count=10, base_count=8, pending=2, kind="flat", trained_on=0)
    assert VectorLayout.from_json(layout.to_json()) == layout and VectorLayout.from_json(None) is None
