"""The collection's writer lock: one file lock, taken for each commit, fair to waiting writers."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.store import log


class WriterLock:
    """The collection's writer lock, taken for each commit.

    A file lock is not fair: a writer that commits back to back would take it again before a
    waiting one polls. So a waiter leaves a marker file, and a writer about to take the lock
    first lets marked waiters go ahead (up to `_YIELD_SECONDS`). It says once per process when
    it has to wait for another writer.
    """

    _YIELD_SECONDS = 5.0

    def __init__(self, path: Path, name: str) -> None:
        from filelock import FileLock

        self.path = path
        self.lock = FileLock(str(path))
        self.name = name
        self.waited = False
        self.marker = path.with_name(f"{path.name}.waiting-{os.getpid()}-{threading.get_ident()}")

    @contextmanager
    def held(self) -> Iterator[None]:
        from filelock import Timeout

        if not self.lock.is_locked:  # taken afresh, not again inside a rebuild's own hold
            self._let_waiters_go_first()
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            if not self.waited:
                log.info("waiting for another writer on collection '%s'...", self.name)
                self.waited = True
            self.marker.touch()
            try:
                self.lock.acquire()
            finally:
                self.marker.unlink(missing_ok=True)
        try:
            yield
        finally:
            self.lock.release()

    def _let_waiters_go_first(self) -> None:
        deadline = time.monotonic() + self._YIELD_SECONDS
        while time.monotonic() < deadline and self._other_waiters():
            time.sleep(0.01)

    def _other_waiters(self) -> bool:
        for marker in self.path.parent.glob(f"{self.path.name}.waiting-*"):
            if marker == self.marker:
                continue
            pid = int(marker.name.rsplit("-", 2)[1])
            try:
                os.kill(pid, 0)
            except ProcessLookupError:  # left by a waiter that was killed
                marker.unlink(missing_ok=True)
                continue
            except PermissionError:
                pass
            return True
        return False
