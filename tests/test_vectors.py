"""The vector index changes type with the collection's size, and stays correct through it."""

import numpy as np

from qa.indexer import index_paths, manifest_for, remove_documents
from qa.retrieve import search
from qa.store import vectors as vector_module
from qa.store.collection import Collection
from qa.store.vectors import FaissVectorIndex
from tests.fakes import HashEmbedder


def clustered(count, dimension=32, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, dimension))
    points = centres[rng.integers(0, 50, count)] + 0.5 * rng.standard_normal((count, dimension))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_type_follows_size(monkeypatch):
    monkeypatch.setattr(vector_module, "FLAT_LIMIT", 2000)
    small = FaissVectorIndex.build(32, np.arange(1, 1001), clustered(1000))
    assert small.kind == "flat" and not small.needs_training()
    small.add(np.arange(1001, 2502), clustered(1501, seed=1))
    assert small.needs_training()
    vectors = clustered(5000, seed=2)
    large = FaissVectorIndex.build(32, np.arange(1, 5001), vectors)
    assert large.kind == "ivf" and not large.needs_training() and large.count == 5000
    # approximate, but each vector still finds itself, and most of its exact neighbours
    exact = vectors @ vectors[:200].T
    recall = np.mean([
        len({i for i, _ in large.search(vectors[q], 10)} & set((np.argsort(-exact[:, q])[:10] + 1).tolist())) / 10
        for q in range(200)
    ])
    assert all(large.search(vectors[q], 1)[0][0] == q + 1 for q in range(50)) and recall >= 0.9, recall
    assert large.remove(np.arange(1, 101)) == 100 and large.count == 4900
    assert all(i > 100 for i, _ in large.search(vectors[0], 10))


def test_collection_crossing_the_limit_switches_to_ivf_and_survives_reload(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(vector_module, "FLAT_LIMIT", 40)
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(60):
        (folder / f"{number:02}.txt").write_text(
            f"Report {number}\n\nThe harbour office logged ship {number} arriving with cargo {number * 7}.\n"
        )
    embedder = HashEmbedder()
    index_paths(settings, embedder, [str(folder)])
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    assert store.vectors().kind == "ivf" and store.vectors().count == store.conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
    assert "ship 17 " in search(store, embedder, "ship 17 arriving with cargo 119", k=3)[0].passage.text
    store.close()
    removed = remove_documents(settings, embedder, [str(folder / f"{n:02}.txt") for n in range(45)])
    assert len(removed) == 45
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    assert store.vectors().kind == "flat"  # shrunk below half the limit: exact search again
    assert store.vectors().count == store.conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
