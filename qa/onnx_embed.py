"""Run a sentence-transformers model with ONNX Runtime, and export it to ONNX once, locally.

The export reads the installed weights with torch (nothing is downloaded), checks that the ONNX
graph gives the same sentence vectors as torch on sample texts, and only then moves the file
into place, atomically; a failed or interrupted export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import physical_cores
from qa.embed import FolderEmbedder, ModelFolder, quiet_transformers
from qa.errors import QAError

# Bumped when the exported graph changes, so an older export is replaced rather than reused.
EXPORT_VERSION = 1
# An export must reproduce torch's sentence vectors this closely on the sample texts.
MIN_EXPORT_COSINE = 0.999
# The int8 copy that embeds passages for the index, against the fp32 graph on the same samples.
# On 9,647 news passages it gave cosine 0.976 at worst, 0.994 on average, and known-item
# recall@5 0.99 against fp32's 0.985 (200 lead-sentence queries), at 2.25x the speed.
MIN_INT8_COSINE = 0.97
_SAMPLE_TEXTS = (
    "What prisoner exchanges were agreed?",
    "Putin said Russia would release 23 seriously wounded Ukrainian soldiers.",
    "The council voted 7-2 on Tuesday to close the old bridge for repairs, officials said.",
    "a",
)


class OnnxEmbedder(FolderEmbedder):
    """The model folder's encoder as an ONNX graph; pooling and normalizing done in numpy.

    Queries, and the sentences an answer is checked against, go through the fp32 graph, which
    matches sentence-transformers. Passages being indexed go through an int8 copy (weights
    quantized per channel), which ranks as well at twice the speed.
    """

    runtime = "onnx"

    def __init__(self, folder: ModelFolder, cache_dir: Path, notify: Callable[[str], None]) -> None:
        super().__init__(folder)
        self.model_file = cache_dir / f"{folder.fingerprint}-v{EXPORT_VERSION}.onnx"
        self.int8_file = cache_dir / f"{folder.fingerprint}-v{EXPORT_VERSION}-int8.onnx"
        self.notify = notify

    def _ensure_exported(self) -> None:
        if not self.model_file.is_file():
            self.notify(f"preparing the embedding model for fast use (once): {self.model_file}")
            started = time.perf_counter()
            try:
                export_onnx(self.folder, self.model_file)
            except Exception as exc:  # torch's exporter fails in many ways on unusual models
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise QAError(
                    f"could not prepare {self.folder.path} for ONNX Runtime ({reason});"
                    " set QA_EMBED_RUNTIME=torch to run it with sentence-transformers"
                ) from None
            self.notify(f"prepared in {time.perf_counter() - started:.1f}s")

    @cached_property
    def session(self) -> Any:  # onnxruntime.InferenceSession, which has no type information
        self._ensure_exported()
        return _open_session(self.model_file)

    @cached_property
    def passage_session(self) -> Any:
        if not self.int8_file.is_file():
            self._ensure_exported()  # the int8 copy is quantized from the fp32 graph
            self.notify(f"preparing the int8 copy for indexing (once): {self.int8_file}")
            try:
                quantize_int8(self.folder, self.model_file, self.int8_file)
            except QAError as exc:  # a model that does not survive int8 is indexed in fp32
                self.notify(f"{exc}; indexing with the fp32 model instead")
                return self.session
        return _open_session(self.int8_file)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(self.session, texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for the index: the int8 graph, ranked as well as fp32, twice as fast."""
        return self._embed(self.passage_session, texts)

    def _embed(self, session: Any, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.folder.tokenizer.encode_batch(list(texts))
        # similar lengths share a batch, so little of each batch is padding
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._embed_batch(session, [encodings[i].ids for i in rows])
        return out

    def _embed_batch(self, session: Any, token_ids: list[list[int]]) -> np.ndarray:
        feed = _padded(token_ids)
        hidden = session.run(None, _feed(session, feed))[0]
        return pool(hidden, feed["attention_mask"], self.folder.pooling)


def _open_session(path: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = physical_cores()
    options.inter_op_num_threads = 1
    # The memory-pattern cache keeps a plan per input shape; with every batch a new length it only
    # grows: embedding 6,000 news passages peaked at 667 MB with it and 506 MB without, same speed.
    options.enable_mem_pattern = False
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own unexported exception types
        raise QAError(
            f"could not load the embedding model {path} ({str(exc).splitlines()[0]});"
            " delete the file and it is prepared again"
        ) from None


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Sentence vectors from token vectors, as sentence-transformers' Pooling + Normalize."""
    if mode == "cls":
        vectors = hidden[:, 0, :]
    else:
        weights = mask[..., None].astype(hidden.dtype)
        vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def export_onnx(folder: ModelFolder, target: Path) -> None:
    """Write `folder`'s encoder to `target` as ONNX, checked against torch, atomically."""
    quiet_transformers()
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise QAError(f"preparing the embedding model needs torch and transformers ({exc})") from None

    model = AutoModel.from_pretrained(str(folder.path), attn_implementation="eager", local_files_only=True).eval()
    takes_types = "token_type_ids" in inspect.signature(model.forward).parameters

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
        ) -> torch.Tensor:
            extra = {"token_type_ids": token_type_ids} if takes_types else {}
            return self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state

    # the sample batch has padding, so the traced graph keeps the masked path
    sample = _padded([folder.tokenizer.encode(text).ids for text in _SAMPLE_TEXTS])
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if takes_types else [])
    inputs = tuple(torch.from_numpy(sample[name]) for name in names)
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    with _atomic_file(target) as temporary, warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        # eval mode on the wrapper too: the exporter restores the wrapper's mode to every
        # submodule afterwards, and a wrapper left in training mode would turn dropout on
        encoder = Encoder().eval()
        expected = pool(encoder(*inputs).numpy(), sample["attention_mask"], folder.pooling)
        torch.onnx.export(
            encoder, inputs, str(temporary), input_names=names, output_names=["last_hidden_state"],
            dynamic_axes=axes, opset_version=17, dynamo=False,
        )
        _check(temporary, sample, expected, folder.pooling, MIN_EXPORT_COSINE, "the ONNX export differs from torch")


def quantize_int8(folder: ModelFolder, source: Path, target: Path) -> None:
    """An int8 copy of the fp32 graph (dynamic quantization, weights per channel), checked."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    sample = _padded([folder.tokenizer.encode(text).ids for text in _SAMPLE_TEXTS])
    reference = _open_session(source)
    hidden = reference.run(None, _feed(reference, sample))[0]
    expected = pool(hidden, sample["attention_mask"], folder.pooling)
    with _atomic_file(target) as temporary:
        logging.disable(logging.WARNING)  # the quantizer logs advice to the root logger
        try:
            quantize_dynamic(source, temporary, weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.disable(logging.NOTSET)
        _check(temporary, sample, expected, folder.pooling, MIN_INT8_COSINE, "the int8 embedding model differs from fp32")


@contextlib.contextmanager
def _atomic_file(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`, moved into place only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _feed(session: Any, sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    wanted = {i.name for i in session.get_inputs()}
    return {name: value for name, value in sample.items() if name in wanted}


def _padded(token_ids: list[list[int]]) -> dict[str, np.ndarray]:
    width = max(len(ids) for ids in token_ids)
    input_ids = np.zeros((len(token_ids), width), dtype=np.int64)
    mask = np.zeros_like(input_ids)
    for row, ids in enumerate(token_ids):
        input_ids[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}


def _check(path: Path, sample: dict[str, np.ndarray], expected: np.ndarray, mode: str, minimum: float, problem: str) -> None:
    session = _open_session(path)
    hidden = session.run(None, _feed(session, sample))[0]
    cosine = float((pool(hidden, sample["attention_mask"], mode) * expected).sum(axis=1).min())
    if cosine < minimum:
        raise QAError(f"{problem} (cosine {cosine:.4f} on sample texts)")
