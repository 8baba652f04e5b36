"""The server's working parts: one thread that owns the models and the collection reader, and a
queue of indexing jobs that write beside it."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from qa.errors import QAError
from qa.filters import Filters, choose_documents
from qa.indexer import Progress, index_paths, manifest_for, remove_documents
from qa.store.collection import Collection, EmptyCollection, Scope

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.embed import Embedder
    from qa.generate import Generator

T = TypeVar("T")
# A job list is for watching progress, not a history: the oldest finished ones are forgotten.
KEPT_JOBS = 100


class EmptyCollectionError(QAError):
    """Nothing is indexed yet, so there is nothing to answer from."""


class Engine:
    """Answers and summaries, one at a time in one thread: llama.cpp is not safe to call from two
    threads, and a SQLite connection stays in the thread that opened it. Each piece of work sees
    the collection's last committed state, so an import running beside it never shows half done."""

    def __init__(self, settings: Settings, embedder: Embedder, generator: Generator) -> None:
        self.settings = settings
        self.embedder = embedder
        self.generator = generator
        self.manifest = manifest_for(settings, embedder)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-engine")
        self._store: Collection | None = None

    def submit(self, work: Callable[[Collection], T]) -> Future[T]:
        return self._thread.submit(lambda: work(self._current()))

    def _current(self) -> Collection:
        """The reader kept from the last request while no commit has happened since (its vectors
        stay loaded); a new one once another writer committed."""
        fresh = Collection.open_reader(self.settings, self.manifest)
        kept = self._store
        if kept is not None and not isinstance(kept, EmptyCollection) and not isinstance(fresh, EmptyCollection):
            if fresh.generation == kept.generation:
                fresh.close()
                return kept
        if kept is not None:
            kept.close()
        self._store = fresh
        return fresh

    def warm_up(self) -> None:
        """Load the answer model and the vectors now, so the first question is as fast as the rest."""

        def load(store: Collection) -> None:
            if hasattr(self.generator, "load"):
                self.generator.load()
            self.embedder.embed(["warm up"])
            if not store.is_empty():
                store.vectors()

        self.submit(load).result()

    def close(self) -> None:
        def release(store: Collection) -> None:
            store.close()
            self._store = None

        self.submit(release).result()
        self._thread.shutdown()

    # ----- work, run in the engine thread ---------------------------------------------------

    def ask(self, question: str, filters: Filters, k: int | None, max_tokens: int,
            on_text: Callable[[str], None]) -> Callable[[Collection], dict]:
        from qa.answer import answer_question
        from qa.render import answer_payload, cited_dates

        def work(store: Collection) -> dict:
            scope = self._scope(store, filters)
            result = answer_question(question, store, self.embedder, self.generator, k=k, max_tokens=max_tokens,
                                     on_text=on_text, scope=scope)
            return answer_payload(result, cited_dates(store, result))

        return work

    def summarize(self, scope: str, target: str, filters: Filters, sentences: int, words: int | None,
                  max_tokens: int | None, on_text: Callable[[str], None]) -> Callable[[Collection], dict]:
        from qa.render import answer_payload, cited_dates
        from qa.summarize import Request, summarize

        def work(store: Collection) -> dict:
            chosen = self._scope(store, filters)
            request = Request(scope, target or self.settings.collection, sentences, words)
            result = summarize(request, store, self.embedder, self.generator, max_tokens=max_tokens,
                               on_text=on_text, scope=chosen)
            return answer_payload(result, cited_dates(store, result))

        return work

    def _scope(self, store: Collection, filters: Filters) -> Scope | None:
        if store.is_empty():
            raise EmptyCollectionError(
                f"collection '{self.settings.collection}' is empty; add articles under Documents first"
            )
        return choose_documents(store, filters)


# ----- indexing jobs ------------------------------------------------------------------------


@dataclass
class Job:
    id: str
    kind: str  # upload | path
    label: str
    state: str = "queued"  # queued | running | done | failed
    done: int = 0
    total: int = 0
    current: str = ""
    report: dict | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class _Stopped(Exception):
    """The server is stopping: the job ends after the document in hand, keeping what it committed."""


class _JobProgress(Progress):
    def __init__(self, job: Job, stopping: threading.Event) -> None:
        self.job = job
        self.stopping = stopping

    def start(self, total_files: int) -> None:
        self.job.total = total_files

    def advance(self, label: str, passages: int) -> None:
        self.job.done += 1
        self.job.current = label
        if self.stopping.is_set():
            raise _Stopped


class IndexJobs:
    """Indexing runs one job at a time in its own thread; each commit is visible to the engine's
    next question. A job that fails records its one-line error instead of stopping the server."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-index")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._stopping = threading.Event()

    def start(self, kind: str, label: str, path: Path, within: Sequence[Path]) -> Job:
        """Index `path` after the jobs before it; files that resolve outside `within` are not read."""
        job = Job(str(next(self._numbers)), kind, label)
        with self._lock:
            self._jobs[job.id] = job
            finished = [key for key, old in self._jobs.items() if old.state in ("done", "failed")]
            for key in finished[: max(len(self._jobs) - KEPT_JOBS, 0)]:
                del self._jobs[key]
        self._thread.submit(self._run, job, path, tuple(within))
        return job

    def _run(self, job: Job, path: Path, within: tuple[Path, ...]) -> None:
        job.state = "running"
        try:
            report = index_paths(self.settings, self.embedder, [str(path)],
                                 progress=_JobProgress(job, self._stopping), within=within)
        except _Stopped:
            job.error, job.state = "stopped with the server; what was committed is kept", "failed"
        except QAError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # a fault must reach the page, not vanish with the thread
            job.error, job.state = f"indexing failed: {type(exc).__name__}: {exc}", "failed"
        else:
            job.report, job.state = report.as_dict(), "done"

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def remove(self, doc_id: int) -> list[tuple[int, str, int]]:
        """Remove a document (a writer, beside any running job: the writer lock is per commit)."""
        return remove_documents(self.settings, self.embedder, [str(doc_id)])

    def close(self) -> None:
        """Stop: queued jobs are dropped, a running one ends after its current document (every
        commit is whole, so the next `qa index` of the same files picks up where it stopped)."""
        self._stopping.set()
        self._thread.shutdown(wait=True, cancel_futures=True)
