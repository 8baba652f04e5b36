"""`qa` in a child process with the test fakes, for tests that kill or race real processes.

    python -m tests.writer_process index FOLDER ...

Environment (all optional):
  QA_TEST_COMMIT_EVERY    documents per commit (default: qa's own)
  QA_TEST_EMBED_DELAY     seconds to sleep in each embedding call, to stretch a run
  QA_TEST_COMMIT_PAUSE    seconds to sleep inside each commit window (before the SQLite commit
                          and before the rename), so random kills often land inside them
  QA_TEST_REPORT_COMMITS  "1": after each commit, print one JSON line to stdout with the
                          generation and every source then committed
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace

from qa.cli import main
from qa.config import Settings
from qa.embed import register_embedder
from qa.store.collection import Collection
from tests.fakes import HashEmbedder


class SlowHashEmbedder(HashEmbedder):
    delay = float(os.environ.get("QA_TEST_EMBED_DELAY", "0"))

    def embed_passages(self, texts):
        time.sleep(self.delay)
        return super().embed_passages(texts)


def _configure() -> None:
    register_embedder("test-hash", SlowHashEmbedder)
    every = os.environ.get("QA_TEST_COMMIT_EVERY")
    if every:
        from_env = Settings.from_env
        Settings.from_env = classmethod(  # type: ignore[method-assign]
            lambda cls, collection=None: replace(from_env(collection), commit_every_documents=int(every))
        )
    pause = float(os.environ.get("QA_TEST_COMMIT_PAUSE", "0"))
    if pause:
        Collection.before_commit_hook = staticmethod(lambda: time.sleep(pause))
        Collection.before_rename_hook = staticmethod(lambda: time.sleep(pause))
    if os.environ.get("QA_TEST_REPORT_COMMITS") == "1":
        commit = Collection._commit

        def reporting_commit(self, manifest):
            commit(self, manifest)
            sources = [row[0] for row in self.conn.execute("SELECT source FROM documents")]
            print(json.dumps({"generation": self.generation, "sources": sources}), flush=True)

        Collection._commit = reporting_commit  # type: ignore[method-assign]


if __name__ == "__main__":
    _configure()
    sys.exit(main(sys.argv[1:], prog_name="qa"))
