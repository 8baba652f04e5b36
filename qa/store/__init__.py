"""Storage: SQLite for everything a person reads, FAISS for passage ids and vectors.

What the store has to tell a person while it works (a writer waiting for another, a collection
an older qa wrote read as it is, a vector file rebuilt) goes to the `qa.store` logger. Unless
something has given that logger a handler of its own, each message is shown on stderr as one
plain line, as the command line has always shown them.
"""

from __future__ import annotations

import logging
import sys


class _PlainStderr(logging.Handler):
    """The message alone, on whatever sys.stderr is when it is logged (click's test runner and
    the server's threads swap or share it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)


log = logging.getLogger("qa.store")
if not log.handlers:
    log.addHandler(_PlainStderr())
    log.setLevel(logging.INFO)
