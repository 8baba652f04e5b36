"""A collection's FAISS files on disk: a whole index now and then, and each commit's changes.

A commit writes either a **base** (`vectors.<G>.faiss`, the whole index) or a **delta**
(`vectors.<G>.delta`, the ids it removed and the ids and vectors it added). Generation G's
vectors are the newest base at or before G with the deltas after it applied in order; which
base that is, and how many vectors the result holds, is committed in SQLite with G
(`VectorLayout`). A commit writes a base only when the deltas since the last one would grow
past a share of it (or the index changes type), so adding one article to a large collection
writes a few kilobytes, and the bases written over a long import add up to a few times the
final index, not once per commit.

Either file is first written as `<name>.tmp` and fsynced (`staged`); the caller commits
generation G in SQLite inside that block, and only then renames the file into place
(`publish`). A process killed before the SQLite commit leaves a `.tmp` file of a generation that
never happened, which the next writer drops (`recover`); killed after it, the fsynced `.tmp`
file is the committed one, which readers load as it is and the next writer renames. What these
files hold is never the source of truth: a missing or out-of-step file is rebuilt from the
vectors kept in SQLite (see store.collection).
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa.store.vectors import FaissVectorIndex, needs_training

if TYPE_CHECKING:
    import numpy as np

# A reader that finds no usable file for the generation it read may have raced a writer's
# commit: it reads the generation again this many times before rebuilding from SQLite.
LOAD_ATTEMPTS = 3
FILE_PATTERN = "vectors.*"
# A commit writes a new base instead of a delta once the deltas since the base would change more
# than this share of the base's vectors, or more than DELTA_MIN_VECTORS when the base is small.
# A base then costs about four commits' worth of writing per commit, amortized; at 1M passages
# the deltas a reader adds to the base stay below 250,000 vectors (384 MB), which it reads
# in well under a second.
DELTA_SHARE = 0.25
DELTA_MIN_VECTORS = 2_000
# and after this many deltas in a row, however small: each is a file a reader opens
MAX_DELTAS = 100


@dataclass(frozen=True)
class VectorLayout:
    """What a generation's vector files hold, committed in SQLite with the generation."""

    base: int  # the generation whose base file the later deltas apply to
    count: int  # vectors in this generation's index
    base_count: int  # vectors in the base file
    pending: int  # vectors added or removed by the deltas since the base
    kind: str  # the base's index type: "flat" or "ivf"
    trained_on: int  # vectors the inverted file was trained for (0 for flat)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | None) -> "VectorLayout | None":
        return cls(**json.loads(raw)) if raw else None

    @classmethod
    def of_base(cls, generation: int, index: FaissVectorIndex) -> "VectorLayout":
        return cls(generation, index.count, index.count, 0, index.kind, index.trained_on)

    def takes_delta(self, generation: int, delta: "VectorDelta", count: int) -> bool:
        """Whether generation `generation` (holding `count` vectors) may be written as `delta`."""
        allowance = max(DELTA_MIN_VECTORS, DELTA_SHARE * self.base_count)
        return (
            self.pending + delta.size <= allowance
            and generation - self.base <= MAX_DELTAS
            and not needs_training(self.kind, self.trained_on, count)
        )

    def after_delta(self, delta: "VectorDelta", count: int) -> "VectorLayout":
        return replace(self, count=count, pending=self.pending + delta.size)


class VectorDelta:
    """One commit's changes to the vector index: ids removed, then ids added with their vectors.
    Passage ids are never reused, so removing first and adding after gives the same index as the
    commit's own sequence of changes."""

    def __init__(self) -> None:
        self.added: dict[int, "np.ndarray"] = {}
        self.removed: set[int] = set()

    @property
    def size(self) -> int:
        return len(self.added) + len(self.removed)

    def add(self, ids: "np.ndarray", vectors: "np.ndarray") -> None:
        for passage_id, vector in zip(ids.tolist(), vectors):
            self.added[passage_id] = vector

    def remove(self, ids: "np.ndarray") -> None:
        for passage_id in ids.tolist():
            self.added.pop(passage_id, None)
            self.removed.add(passage_id)

    def apply(self, index: FaissVectorIndex) -> None:
        self.stored(index.dimension).apply(index)

    def save(self, path: Path, dimension: int) -> None:
        self.stored(dimension).save(path)

    def stored(self, dimension: int) -> "StoredDelta":
        """The changes as the arrays a delta file holds."""
        import numpy as np

        vectors = np.stack(list(self.added.values())) if self.added else np.zeros((0, dimension))
        return StoredDelta(
            np.array(sorted(self.removed), dtype=np.int64), np.array(list(self.added), dtype=np.int64),
            vectors.astype(np.float32),
        )


@dataclass(frozen=True)
class StoredDelta:
    """A delta file's contents: read back as arrays and applied as they are (a reader may load
    deltas of hundreds of thousands of vectors)."""

    removed: "np.ndarray"
    ids: "np.ndarray"
    vectors: "np.ndarray"

    def apply(self, index: FaissVectorIndex) -> None:
        index.remove(self.removed)
        index.add(self.ids, self.vectors)

    def save(self, path: Path) -> None:
        import numpy as np

        with open(path, "wb") as handle:
            np.savez(handle, removed=self.removed, ids=self.ids, vectors=self.vectors)
            handle.flush()
            os.fsync(handle.fileno())

    @classmethod
    def load(cls, path: Path, dimension: int) -> "StoredDelta":
        """Raises ValueError when the file is missing, damaged or of another dimension."""
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                stored = cls(data["removed"], data["ids"], data["vectors"])
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{path.name} is missing or unreadable ({exc})") from None
        if stored.vectors.shape != (len(stored.ids), dimension):
            raise ValueError(f"{path.name} holds vectors of the wrong shape {stored.vectors.shape}")
        return stored


def vector_path(directory: Path, generation: int, tmp: bool = False, delta: bool = False) -> Path:
    return directory / (f"vectors.{generation}." + ("delta" if delta else "faiss") + (".tmp" if tmp else ""))


class VectorFiles:
    """The generation-numbered vector files in one collection's directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, generation: int, tmp: bool = False, delta: bool = False) -> Path:
        return vector_path(self.directory, generation, tmp, delta)

    def _committed(self, generation: int, current: int, delta: bool) -> Path:
        """The file of `generation`: the current one may still be waiting for its rename."""
        final = self.path(generation, delta=delta)
        pending = self.path(generation, tmp=True, delta=delta)
        return pending if generation == current and not final.exists() and pending.exists() else final

    def recover(self, generation: int) -> None:
        """Writer start-up: finish an interrupted rename, drop files of uncommitted generations."""
        for delta in (False, True):
            final, pending = self.path(generation, delta=delta), self.path(generation, tmp=True, delta=delta)
            if generation and not final.exists() and pending.exists():
                pending.replace(final)
        for path in self.directory.glob(FILE_PATTERN):
            number = path.name.split(".")[1]
            if number.isdigit() and (int(number) > generation or path.name.endswith(".tmp")):
                path.unlink(missing_ok=True)

    def read(self, generation: int, layout: VectorLayout | None, dimension: int) -> FaissVectorIndex:
        """Generation `generation`'s index: its base with the deltas after it applied. Raises
        ValueError naming the file that is missing, unreadable or out of step. Without a layout
        (a collection written before deltas, or whose vectors a repair changed) the generation's
        own file is the whole index."""
        base = layout.base if layout else generation
        path = self._committed(base, generation, delta=False)
        try:
            index = FaissVectorIndex.load(path)
        except RuntimeError as exc:
            reason = "missing" if not path.exists() else f"unreadable ({str(exc).splitlines()[0][:120]})"
            raise ValueError(f"{path.name} {reason}") from None
        if index.dimension != dimension:
            raise ValueError(f"{path.name} holds vectors of {index.dimension} dimensions, not {dimension}")
        for later in range(base + 1, generation + 1):
            StoredDelta.load(self._committed(later, generation, delta=True), dimension).apply(index)
        return index

    def load(
        self, committed: Callable[[], tuple[int, VectorLayout | None, int]], dimension: int
    ) -> FaissVectorIndex | None:
        """The committed generation's index, when its files give the number of vectors committed
        with it (`committed` gives the generation, its layout and that number); None when they do
        not, and the caller rebuilds from SQLite."""
        for _ in range(LOAD_ATTEMPTS):
            generation, layout, expected = committed()
            try:
                index = self.read(generation, layout, dimension)
            except ValueError:
                index = None
            if index is not None and index.count == expected:
                return index
            if generation == committed()[0]:
                break
        return None

    @contextmanager
    def staged(self, generation: int, write: Callable[[Path], None], delta: bool) -> Iterator[None]:
        """`generation`'s file written by `write` and fsynced as a temporary file; the block
        commits the generation in SQLite. If writing or the block fails, the file is removed."""
        pending = self.path(generation, tmp=True, delta=delta)
        try:
            write(pending)
            yield
        except BaseException:
            pending.unlink(missing_ok=True)  # a part-written file takes space a full disk lacks
            raise

    def publish(self, generation: int, keep_from: int) -> None:
        """After the SQLite commit: the temporary file renamed into place, and the files no longer
        needed removed. Files from `keep_from` on stay: the previous generation's base and deltas,
        for readers that opened it a moment ago."""
        for delta in (False, True):
            pending = self.path(generation, tmp=True, delta=delta)
            if pending.exists():
                pending.replace(self.path(generation, delta=delta))
        for path in self.directory.glob(FILE_PATTERN):
            number = path.name.split(".")[1]
            if number.isdigit() and int(number) < keep_from:
                path.unlink(missing_ok=True)
