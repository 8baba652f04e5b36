"""A collection's FAISS files on disk: one `vectors.<G>.faiss` per committed generation G.

A generation's file is first written as `vectors.<G>.faiss.tmp` and fsynced (`staged`); the
caller commits generation G in SQLite inside that block, and only then renames the file into
place (`publish`). A process killed before the SQLite commit leaves a `.tmp` file of a
generation that never happened, which the next writer drops (`recover`); killed after it, the
fsynced `.tmp` file is the committed one, which readers load as it is and the next writer
renames. What these files hold is never the source of truth: a missing or out-of-step file is
rebuilt from the vectors kept in SQLite (see store.collection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.store.vectors import FaissVectorIndex

# A reader that finds no usable file for the generation it read may have raced a writer's
# commit: it reads the generation again this many times before rebuilding from SQLite.
LOAD_ATTEMPTS = 3
FILE_PATTERN = "vectors.*.faiss*"


def vector_path(directory: Path, generation: int, tmp: bool = False) -> Path:
    return directory / (f"vectors.{generation}.faiss" + (".tmp" if tmp else ""))


class VectorFiles:
    """The generation-numbered vector files in one collection's directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, generation: int, tmp: bool = False) -> Path:
        return vector_path(self.directory, generation, tmp)

    def recover(self, generation: int) -> None:
        """Writer start-up: finish an interrupted rename, drop files of uncommitted generations."""
        final, pending = self.path(generation), self.path(generation, tmp=True)
        if generation and not final.exists() and pending.exists():
            pending.replace(final)
        for path in self.directory.glob(FILE_PATTERN):
            number = path.name.split(".")[1]
            if number.isdigit() and (int(number) > generation or path.name.endswith(".tmp")):
                path.unlink(missing_ok=True)

    def load(self, current_generation: Callable[[], int], expected: int, dimension: int) -> FaissVectorIndex | None:
        """The committed generation's file (or its not yet renamed `.tmp`) when it holds `expected`
        vectors of `dimension`; None when no file does, and the caller rebuilds from SQLite."""
        for _ in range(LOAD_ATTEMPTS):
            generation = current_generation()
            for path in (self.path(generation), self.path(generation, tmp=True)):
                try:
                    index = FaissVectorIndex.load(path)
                except RuntimeError:
                    continue
                if index.count == expected and index.dimension == dimension:
                    return index
            if generation == current_generation():
                break
        return None

    @contextmanager
    def staged(self, index: FaissVectorIndex, generation: int) -> Iterator[None]:
        """`index` written and fsynced as `generation`'s temporary file; the block commits the
        generation in SQLite. If writing or the block fails, the file is removed."""
        pending = self.path(generation, tmp=True)
        try:
            index.save(pending)
            yield
        except BaseException:
            pending.unlink(missing_ok=True)  # a part-written file takes space a full disk lacks
            raise

    def publish(self, generation: int) -> None:
        """After the SQLite commit: the temporary file renamed into place, and the files of
        generations before the previous one removed."""
        self.path(generation, tmp=True).replace(self.path(generation))
        previous = generation - 1
        for old in range(max(previous - 1, 0), 0, -1):
            # keep the previous generation for readers that opened it a moment ago
            self.path(old).unlink(missing_ok=True)
