"""Read a GGUF file's header (metadata and tensor shapes) without loading llama.cpp."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from qa.errors import QAError
from qa.question import a_few

MAGIC = b"GGUF"
# GGUF value types -> struct format for the scalar ones
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9
# ggml tensor types -> (values per block, bytes per block), from ggml.c's type_traits; only the
# types whose sizes are sure are listed: a tensor of another type counts by its offset alone.
_TENSOR_BLOCKS = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 30: (1, 2),
}
# GGUF version 1 (llama.cpp before August 2023) used 32-bit counts; llama.cpp reads 2 and later.
OLDEST_GGUF_VERSION = 2
_DEFAULT_ALIGNMENT = 32  # GGUF spec: tensor data starts at a multiple of general.alignment (32 if unset)


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


def _read(handle: BinaryIO, fmt: str) -> Any:
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


def _value(handle: BinaryIO, kind: int, keep: bool = True) -> Any:
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
    if path.is_dir():
        inside = sorted(p.name for p in path.glob("*.gguf"))
        holds = f"it holds {a_few(inside, quoted=False)}" if inside else "it holds no .gguf file"
        raise BadModelFile(f"{path} is a folder, not a model file ({holds}); give the path of one .gguf file")
    if not path.exists():
        raise BadModelFile(f"model file {path} does not exist; {fix}")
    size = path.stat().st_size
    if size == 0:
        raise BadModelFile(f"{path} is empty (0 bytes), not a GGUF model; {fix}")
    try:
        with path.open("rb") as handle:
            if handle.read(4) != MAGIC:
                raise BadModelFile(f"{path} is not a GGUF model file (wrong magic bytes); {fix}")
            version = _read(handle, "I")
            if version < OLDEST_GGUF_VERSION:
                raise BadModelFile(f"{path} uses GGUF version {version}, too old for llama.cpp; {fix}")
            tensor_count, kv_count = _read(handle, "Q"), _read(handle, "Q")
            metadata = {}
            for _ in range(kv_count):
                key = _string(handle)
                kind = _read(handle, "I")
                wanted = not key.startswith("tokenizer.ggml.")
                metadata[key] = _value(handle, kind, keep=wanted)
            parameters, data_end = 0, 0
            for _ in range(tensor_count):
                _string(handle)
                dims = [_read(handle, "Q") for _ in range(_read(handle, "I"))]
                kind, offset = _read(handle, "I"), _read(handle, "Q")
                count = 1
                for dim in dims:
                    count *= dim
                parameters += count
                block, block_bytes = _TENSOR_BLOCKS.get(kind, (1, 0))
                data_end = max(data_end, offset + -(-count // block) * block_bytes)
            alignment = int(metadata.get("general.alignment") or _DEFAULT_ALIGNMENT)
            data_start = -(-handle.tell() // alignment) * alignment
    except EOFError:
        raise BadModelFile(f"{path} is truncated (the header ends early); {fix}") from None
    except (ValueError, UnicodeDecodeError, OverflowError, MemoryError) as exc:
        raise BadModelFile(f"{path} has a damaged GGUF header ({exc}); {fix}") from None
    if size < data_start + data_end:
        raise BadModelFile(
            f"{path} is truncated: {size:,} bytes of the {data_start + data_end:,} its header describes; {fix}"
        )
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
