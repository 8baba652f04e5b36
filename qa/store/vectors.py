"""FAISS vector index holding only passage ids and vectors (add / search / remove / save / load).

Its type follows the collection's size. Up to FLAT_LIMIT vectors the search is exact (a flat
inner-product scan: ~150 MB and a few ms per query at the limit). Past it, an inverted file
with 8-bit scalar-quantized codes (IVF-SQ8): a quarter of the memory, and a query scans only
the NPROBE lists nearest to it. The inverted file is trained automatically when the collection
crosses the limit, and trained again when it has grown RETRAIN_GROWTH times past the size it was
trained on, always from the exact vectors kept in SQLite (`needs_training` / `build`).

Vectors added to an inverted file after it was built wait in a small exact side index
(`recent`) that every search also scans: putting a vector into an inverted file means finding
its nearest list among thousands, which a reader loading a collection's latest commits should
not pay for. They move into the inverted file when it is next saved whole.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

FLAT_LIMIT = 100_000
# lists = LISTS_PER_ROOT * sqrt(n), FAISS's usual range being 4..16 * sqrt(n)
LISTS_PER_ROOT = 4
# k-means wants at least 39 points per centroid (FAISS warns below that); more only costs time
TRAIN_POINTS_PER_LIST = 64
# lists scanned per query; at 1M synthetic passages 32 gave recall@10 >= 0.95 against exact search
# (bench/vector_bench.py)
NPROBE = 32
RETRAIN_GROWTH = 4


def needs_training(kind: str, trained_on: int, count: int) -> bool:
    """Whether `count` vectors are better served by another index than a `kind` index trained
    on `trained_on` (flat: trained on none)."""
    if kind == "flat":
        return count > FLAT_LIMIT
    return count > RETRAIN_GROWTH * trained_on or count <= FLAT_LIMIT // 2


def _faiss() -> Any:
    """faiss, imported when first needed, and read as untyped: its bundled stubs lag its SWIG API
    (DirectMap, PyCallbackIOWriter, search parameters with a selector are missing or wrong)."""
    import faiss

    return faiss


class FaissVectorIndex:
    """Inner-product search over normalized vectors, keyed by int64 passage id."""

    def __init__(self, dimension: int, index: Any = None) -> None:
        faiss = _faiss()

        self.dimension = dimension
        self._index: Any = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._recent: Any = None  # vectors added to an inverted file since it was built or loaded
        if self.kind == "ivf":
            faiss.extract_index_ivf(self._index).nprobe = NPROBE

    @classmethod
    def build(cls, dimension: int, ids: "np.ndarray", vectors: "np.ndarray") -> "FaissVectorIndex":
        """The right type for len(ids) vectors, holding them all."""
        faiss = _faiss()
        import numpy as np

        if len(ids) <= FLAT_LIMIT:
            index = cls(dimension)
        else:
            lists = int(LISTS_PER_ROOT * math.sqrt(len(ids)))
            ivf = faiss.IndexIVFScalarQuantizer(
                faiss.IndexFlatIP(dimension), dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
            )
            sample = np.random.default_rng(0).choice(len(ids), min(len(ids), TRAIN_POINTS_PER_LIST * lists), replace=False)
            ivf.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # so ids can be removed and looked up
            index = cls(dimension, ivf)
        index._add_to(index._index, ids, vectors)
        return index

    @property
    def kind(self) -> str:
        return "ivf" if "IVF" in type(self._index).__name__ else "flat"

    @property
    def trained_on(self) -> int:
        """Vectors the inverted file was trained for (its lists imply it); 0 for flat."""
        if self.kind != "ivf":
            return 0
        return int((self._index.nlist / LISTS_PER_ROOT) ** 2)

    def needs_training(self) -> bool:
        return needs_training(self.kind, self.trained_on, self.count)

    @property
    def count(self) -> int:
        return int(self._index.ntotal) + (int(self._recent.ntotal) if self._recent is not None else 0)

    def add(self, ids: "np.ndarray", vectors: "np.ndarray") -> None:
        if not len(ids):
            return
        if self.kind == "ivf":
            if self._recent is None:
                faiss = _faiss()
                self._recent = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
            self._add_to(self._recent, ids, vectors)
        else:
            self._add_to(self._index, ids, vectors)

    @staticmethod
    def _add_to(index: Any, ids: "np.ndarray", vectors: "np.ndarray") -> None:
        import numpy as np

        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: "np.ndarray") -> int:
        import numpy as np

        if not len(ids):
            return 0
        wanted = np.asarray(ids, dtype=np.int64)
        removed = int(self._index.remove_ids(wanted))
        if self._recent is not None:
            removed += int(self._recent.remove_ids(wanted))
        return removed

    def _settle(self) -> None:
        """The side index's vectors moved into the inverted file (before it is saved whole)."""
        if self._recent is None or not self._recent.ntotal:
            return
        import numpy as np

        ids = np.array(_faiss().vector_to_array(self._recent.id_map), dtype=np.int64)
        self._add_to(self._index, ids, self._recent.index.reconstruct_n(0, self._recent.ntotal))
        self._recent = None

    def search(self, query: "np.ndarray", k: int, among: "np.ndarray | None" = None) -> list[tuple[int, float]]:
        """The k nearest ids; with `among`, the k nearest of those ids only (a filter applied inside
        the search, not after it, so it still gives k when k of them exist)."""
        import numpy as np

        if self.count == 0 or k <= 0:
            return []
        vector = np.asarray(query, dtype=np.float32).reshape(1, -1)
        wanted = None if among is None else np.asarray(among, dtype=np.int64)
        found = self._search_in(self._index, vector, k, wanted)
        if self._recent is not None and self._recent.ntotal:
            found = sorted(found + self._search_in(self._recent, vector, k, wanted), key=lambda hit: -hit[1])[:k]
        return found

    @staticmethod
    def _search_in(index: Any, vector: "np.ndarray", k: int, among: "np.ndarray | None") -> list[tuple[int, float]]:
        faiss = _faiss()

        k = min(k, index.ntotal, k if among is None else len(among))
        if k <= 0:
            return []
        if among is None:
            scores, ids = index.search(vector, k)
            return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        selector = faiss.IDSelectorBatch(among)
        if "IVF" not in type(index).__name__:
            scores, ids = index.search(vector, k, params=faiss.SearchParameters(sel=selector))
        else:
            # the NPROBE nearest lists may hold fewer than k of the chosen ids: scan more lists
            # until they give k or every list has been scanned
            nlist = faiss.extract_index_ivf(index).nlist
            nprobe = NPROBE
            while True:
                params = faiss.SearchParametersIVF(sel=selector, nprobe=min(nprobe, nlist))
                scores, ids = index.search(vector, k, params=params)
                if (ids[0] >= 0).sum() >= k or nprobe >= nlist:
                    break
                nprobe *= 4
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def save(self, path: Path) -> None:
        """Write and flush to disk; the caller renames it into place (see store.collection)."""
        faiss = _faiss()

        self._settle()
        # written through Python's file object: faiss's own writer only prints an error when the
        # disk fills at close, and the commit would go ahead with a truncated file
        with open(path, "wb") as handle:
            faiss.write_index(self._index, faiss.PyCallbackIOWriter(handle.write))
            handle.flush()
            os.fsync(handle.fileno())

    @classmethod
    def load(cls, path: Path) -> "FaissVectorIndex":
        faiss = _faiss()

        index = faiss.read_index(str(path))
        return cls(index.d, index)
