"""Read a GGUF file's header (metadata and tensor shapes) without loading llama.cpp."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from qa.errors import QAError

MAGIC = b"GGUF"
# GGUF value types -> struct format for the scalar ones
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    size_bytes: int
    architecture: str
    name: str
    parameters: int
    chat_template: str | None
    context_length: int | None


class BadModelFile(QAError):
    pass


def _read(handle: BinaryIO, fmt: str):
    size = struct.calcsize("<" + fmt)
    data = handle.read(size)
    if len(data) != size:
        raise EOFError
    return struct.unpack("<" + fmt, data)[0]


def _string(handle: BinaryIO) -> str:
    length = _read(handle, "Q")
    data = handle.read(length)
    if len(data) != length:
        raise EOFError
    return data.decode("utf-8", errors="replace")


def _value(handle: BinaryIO, kind: int, keep: bool = True):
    if kind in _SCALARS:
        return _read(handle, _SCALARS[kind])
    if kind == _STRING:
        return _string(handle)
    if kind == _ARRAY:
        item_kind, count = _read(handle, "I"), _read(handle, "Q")
        if item_kind in _SCALARS and not keep:  # skip large arrays (the vocabulary) quickly
            handle.seek(struct.calcsize("<" + _SCALARS[item_kind]) * count, 1)
            return None
        items = [_value(handle, item_kind, keep) for _ in range(count)]
        return items if keep else None
    raise ValueError(f"unknown GGUF value type {kind}")


def read_gguf(path: Path) -> GGUFInfo:
    """Header facts; raises BadModelFile with the path and the fix when the file is not usable."""
    fix = "download the .gguf again or point QA_MODEL / --model at a valid file"
    if not path.is_file():
        raise BadModelFile(f"model file {path} does not exist; {fix}")
    size = path.stat().st_size
    try:
        with path.open("rb") as handle:
            if handle.read(4) != MAGIC:
                raise BadModelFile(f"{path} is not a GGUF model file (wrong magic bytes); {fix}")
            version = _read(handle, "I")
            if version < 2:
                raise BadModelFile(f"{path} uses GGUF version {version}, too old for llama.cpp; {fix}")
            tensor_count, kv_count = _read(handle, "Q"), _read(handle, "Q")
            metadata = {}
            for _ in range(kv_count):
                key = _string(handle)
                kind = _read(handle, "I")
                wanted = not key.startswith("tokenizer.ggml.")
                metadata[key] = _value(handle, kind, keep=wanted)
            parameters = 0
            for _ in range(tensor_count):
                _string(handle)
                dims = [_read(handle, "Q") for _ in range(_read(handle, "I"))]
                _read(handle, "I"), _read(handle, "Q")
                count = 1
                for dim in dims:
                    count *= dim
                parameters += count
    except EOFError:
        raise BadModelFile(f"{path} is truncated (the header ends early); {fix}") from None
    architecture = str(metadata.get("general.architecture", "unknown"))
    context = metadata.get(f"{architecture}.context_length")
    return GGUFInfo(
        path=path,
        size_bytes=size,
        architecture=architecture,
        name=str(metadata.get("general.name") or path.stem),
        parameters=parameters,
        chat_template=metadata.get("tokenizer.chat_template"),
        context_length=int(context) if context else None,
    )
