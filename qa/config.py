"""Typed settings, read once from QA_* environment variables and passed down explicitly."""

from __future__ import annotations

import glob
import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_COLLECTION = "default"
_COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("qa", appauthor=False))


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into passages; recorded in every index."""

    max_tokens: int = 128
    overlap_sentences: int = 1
    # 2: a number cut off a sentence's end ("on March 20.") is joined back; 3: a stray quotation mark
    # no longer runs sentences together, and a closing mark stays with its sentence
    splitter: str = "pysbd-en-3"


def _embed_runtime(value: str | None) -> str:
    from qa.errors import QAError

    runtime = (value or "onnx").strip().lower()
    if runtime not in ("onnx", "torch"):
        raise QAError(f"QA_EMBED_RUNTIME={value}: use onnx (the default) or torch (sentence-transformers)")
    return runtime


def _threads(value: str | None) -> int | None:
    from qa.errors import QAError

    if not value:
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise QAError(f"QA_THREADS={value}: give a whole number of threads, 1 or more")
    return int(value)


@dataclass(frozen=True)
class Settings:
    home: Path
    collection: str = DEFAULT_COLLECTION
    embed_model: str | None = None
    embed_runtime: str = "onnx"
    model: str | None = None
    chunk: ChunkSettings = field(default_factory=ChunkSettings)
    max_document_mb: float = 20.0
    threads: int | None = None  # llama.cpp threads; None: chosen by generation_threads()
    commit_every_documents: int = 200

    @classmethod
    def from_env(cls, collection: str | None = None) -> "Settings":
        env = os.environ
        home = Path(env["QA_HOME"]).expanduser() if env.get("QA_HOME") else _default_home()
        settings = cls(
            home=home,
            embed_model=env.get("QA_EMBED_MODEL") or None,
            embed_runtime=_embed_runtime(env.get("QA_EMBED_RUNTIME")),
            model=env.get("QA_MODEL") or None,
            max_document_mb=float(env.get("QA_MAX_DOCUMENT_MB", "20")),
            threads=_threads(env.get("QA_THREADS")),
        )
        return settings.with_collection(collection or DEFAULT_COLLECTION)

    def with_collection(self, name: str) -> "Settings":
        from qa.errors import QAError

        if not _COLLECTION_NAME.match(name):
            raise QAError(
                f"invalid collection name {name!r}: use letters, digits, '_', '-' or '.' (max 64)"
            )
        return replace(self, collection=name)

    @property
    def max_document_bytes(self) -> int:
        return int(self.max_document_mb * 1e6)

    @property
    def collection_dir(self) -> Path:
        return self.home / "collections" / self.collection


def physical_cores() -> int:
    """Cores this process may run on, counting hyperthread siblings once: compute-bound
    kernels (llama.cpp, ONNX Runtime) run slower, not faster, with one thread per sibling."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        cores, current = set(), {}
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                current[key.strip()] = value.strip()
                if not line.strip():
                    cores.add((current.get("physical id"), current.get("core id")))
                    current = {}
        cores.discard((None, None))
    except OSError:
        cores = set()
    return max(1, min(usable, len(cores) or usable))


def runnable_elsewhere(samples: int = 3, interval: float = 0.01) -> int:
    """Threads of other processes running or ready to run right now (state R in /proc), the
    median of a few samples 10 ms apart; 0 where /proc cannot tell. This process's own threads
    are left out: ONNX Runtime's workers spin for a moment after each run."""
    own = str(os.getpid())
    counts = []
    for attempt in range(samples):
        running = 0
        for stat in glob.glob("/proc/[0-9]*/task/[0-9]*/stat"):
            if stat.split("/")[2] == own:
                continue
            try:
                with open(stat) as handle:
                    running += handle.read().rsplit(")", 1)[1].split(None, 1)[0] == "R"
            except (OSError, IndexError):
                continue  # the task ended while being read
        counts.append(running)
        if attempt + 1 < samples:
            time.sleep(interval)
    return sorted(counts)[len(counts) // 2]


def generation_threads(configured: int | None = None) -> int:
    """Threads for llama.cpp: QA_THREADS if set, else the physical cores no other process is
    busy on. llama.cpp's threads wait for each other at every layer, so one thread that loses
    its core to another process stalls them all: with one other busy process on 2 cores, a
    120-token answer took 11-12 s on 2 threads and 6.6 s on 1 (3.9 s on 2 when idle)."""
    if configured:
        return configured
    return max(1, physical_cores() - runnable_elsewhere())
