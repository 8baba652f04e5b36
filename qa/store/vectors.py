"""FAISS vector index holding only passage ids and vectors (add / search / remove / save / load)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class FaissVectorIndex:
    """Exact inner-product search over normalized vectors, keyed by int64 passage id."""

    def __init__(self, dimension: int, index=None) -> None:
        import faiss

        self.dimension = dimension
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: "np.ndarray", vectors: "np.ndarray") -> None:
        import numpy as np

        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def remove(self, ids: "np.ndarray") -> int:
        import numpy as np

        if not len(ids):
            return 0
        return int(self._index.remove_ids(np.asarray(ids, dtype=np.int64)))

    def search(self, query: "np.ndarray", k: int) -> list[tuple[int, float]]:
        import numpy as np

        if self.count == 0 or k <= 0:
            return []
        scores, ids = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), min(k, self.count))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def save(self, path: Path) -> None:
        """Write and flush to disk; the caller renames it into place (see store.collection)."""
        import faiss

        faiss.write_index(self._index, str(path))
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())

    @classmethod
    def load(cls, path: Path) -> "FaissVectorIndex":
        import faiss

        index = faiss.read_index(str(path))
        return cls(index.d, index)
