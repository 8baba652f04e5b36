"""Typed settings, read once from QA_* environment variables and passed down explicitly."""

from __future__ import annotations

import os
import re
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
    splitter: str = "pysbd-en-2"  # 2: a number cut off a sentence's end ("on March 20.") is joined back


def _embed_runtime(value: str | None) -> str:
    from qa.errors import QAError

    runtime = (value or "onnx").strip().lower()
    if runtime not in ("onnx", "torch"):
        raise QAError(f"QA_EMBED_RUNTIME={value}: use onnx (the default) or torch (sentence-transformers)")
    return runtime


@dataclass(frozen=True)
class Settings:
    home: Path
    collection: str = DEFAULT_COLLECTION
    embed_model: str | None = None
    embed_runtime: str = "onnx"
    model: str | None = None
    chunk: ChunkSettings = field(default_factory=ChunkSettings)
    max_document_mb: float = 20.0
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
