"""Deterministic stand-ins registered through the same seams as the real backends."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from qa.textmatch import content_stems

FAKE_DIMENSION = 64


class HashEmbedder:
    """Bag of content-word stems hashed into 64 dimensions; same text, same vector, every run."""

    dimension = FAKE_DIMENSION

    def __init__(self, variant: str = "v1") -> None:
        self.name = f"test-hash:{variant}"
        self.fingerprint = hashlib.sha256(variant.encode()).hexdigest()[:16]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(re.findall(r"\w+|[^\w\s]", text)) for text in texts]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in sorted(content_stems(text)):
                bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension
                matrix[row, bucket] += 1.0
            # a shared component, so unrelated texts score ~0.2 and related ones ~0.5, as with MiniLM
            matrix[row, 0] += 2.0
            norm = np.linalg.norm(matrix[row])
            matrix[row] = matrix[row] / norm if norm else matrix[row]
            if not norm:
                matrix[row, 0] = 1.0
        return matrix

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts)
