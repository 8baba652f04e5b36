from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embed import register_embedder
from qa.generate import register_generator
from tests.fakes import HashEmbedder
from tests.scripted import SCRIPTS, ScriptedGenerator

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"



@pytest.fixture(autouse=True)
def fakes() -> Iterator[None]:
    """The fake embedder (QA_EMBED_MODEL=test-hash:...) and the scripted generator
    (--model scripted:NAME) for this test only; the scripts it set are forgotten after it."""
    undo = [register_embedder("test-hash", HashEmbedder), register_generator("scripted", ScriptedGenerator)]
    yield
    for step in undo:
        step()
    SCRIPTS.clear()


@pytest.fixture(autouse=True)
def qa_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own QA_HOME; nothing touches the real user data folder."""
    home = tmp_path / "qa-home"
    monkeypatch.setenv("QA_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("QA_EMBED_MODEL", "test-hash:v1")
    for name in ("QA_MODEL", "QA_COLLECTION", "QA_MAX_DOCUMENT_MB"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def settings(qa_home) -> Settings:
    return Settings.from_env()


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def shared_embedders(tmp_path_factory) -> Path:
    """One ONNX export of the bundled embedder for the whole run (it takes seconds), in a temp dir."""
    return tmp_path_factory.mktemp("embedders")


@pytest.fixture
def real_env(monkeypatch, qa_home, shared_embedders):
    """For slow tests: the real bundled embedder instead of the fake."""
    monkeypatch.delenv("QA_EMBED_MODEL", raising=False)
    (qa_home / "models").mkdir(parents=True, exist_ok=True)
    (qa_home / "models" / "embedders").symlink_to(shared_embedders, target_is_directory=True)
