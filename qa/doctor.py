"""`qa doctor`: is this machine set up to run qa, and is every collection sound?"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.errors import QAError
from qa.store.health import Finding

if TYPE_CHECKING:
    from qa.embed import Embedder

# Below this, an index commit or a model's first ONNX export may fail part-way (the commit is
# still atomic, but the work is lost); a full news archive's collection takes about 300 MB.
LOW_DISK_BYTES = 1_000_000_000
# CPU features llama.cpp uses for speed, as /proc/cpuinfo and llama_print_system_info name them.
_CPU_FEATURES = {"avx": "AVX", "avx2": "AVX2", "fma": "FMA", "f16c": "F16C", "avx512f": "AVX512"}


def check_environment(settings: Settings, model: str | None = None) -> tuple[list[Finding], Embedder | None]:
    """The findings, and the embedder when it loads (the collection checks and repairs use it)."""
    findings = [_check_home(settings.home), _check_disk(settings.home), _check_offline()]
    embedder_finding, embedder = _check_embedder(settings)
    findings += [embedder_finding, _check_generator(settings, model), _check_llama_build()]
    return findings, embedder


def collection_names(settings: Settings) -> list[str]:
    root = settings.home / "collections"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _check_home(home: Path) -> Finding:
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Finding("home", False, f"{home} is not writable ({exc.strerror}); set QA_HOME to a folder you own")
    return Finding("home", True, str(home))


def _check_disk(home: Path) -> Finding:
    existing = next((p for p in (home, *home.parents) if p.exists()), Path("/"))
    free = shutil.disk_usage(existing).free
    detail = f"{free / 1e9:.1f} GB free"
    if free < LOW_DISK_BYTES:
        return Finding("disk", False, detail + f"; indexing needs room (at least {LOW_DISK_BYTES / 1e9:.0f} GB advised)",
                       warning=True)
    return Finding("disk", True, detail)


def _check_offline() -> Finding:
    value = os.environ.get("HF_HUB_OFFLINE", "1")
    if value.lower() in ("1", "true", "yes", "on"):
        return Finding("offline", True, "HF_HUB_OFFLINE=1: no model or data is ever downloaded")
    return Finding("offline", False, f"HF_HUB_OFFLINE={value}: qa needs no network; set HF_HUB_OFFLINE=1"
                   " so no library tries to reach it", warning=True)


def _check_embedder(settings: Settings) -> tuple[Finding, Embedder | None]:
    from qa.embed import load_embedder

    try:
        embedder = load_embedder(settings)
        vectors = embedder.embed(["Is the embedder working?"])
    except QAError as exc:
        return Finding("embedder", False, str(exc)), None
    if vectors.shape != (1, embedder.dimension):
        shape = f"{embedder.name} gave vectors of shape {vectors.shape}, not (1, {embedder.dimension})"
        return Finding("embedder", False, shape), None
    return Finding("embedder", True, f"{embedder.name}, {embedder.dimension} dimensions"), embedder


def _check_generator(settings: Settings, model: str | None) -> Finding:
    from qa.generate import load_generator, model_path_label

    try:
        generator = load_generator(model, settings.model, n_ctx=256, threads=1)
        load = getattr(generator, "load", None)
        if load is not None:
            load()
    except QAError as exc:
        return Finding("answer model", False, str(exc))
    return Finding("answer model", True, f"{model_path_label(generator)} loads")


def _check_llama_build() -> Finding:
    try:
        import llama_cpp
    except ImportError as exc:
        return Finding("llama.cpp", False, f"llama-cpp-python cannot be imported ({exc}); reinstall qa")
    info = llama_cpp.llama_print_system_info()
    info = info.decode() if isinstance(info, bytes) else str(info)
    built = {name for name in _CPU_FEATURES.values() if f"{name} = 1" in info}
    cpu = _cpu_flags()
    missing = sorted(feature for flag, feature in _CPU_FEATURES.items() if flag in cpu and feature not in built)
    detail = f"llama-cpp-python {llama_cpp.__version__}; CPU features used: {', '.join(sorted(built)) or 'none reported'}"
    if missing:
        return Finding("llama.cpp", False, detail + f"; this CPU also has {', '.join(missing)}: rebuild"
                       " llama-cpp-python on this machine for faster answers", warning=True)
    return Finding("llama.cpp", True, detail)


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()
