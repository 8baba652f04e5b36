"""Grammar-constrained greedy decoding, checked on the few likely tokens first.

llama-cpp-python's sampler chain runs the grammar over the whole vocabulary at every step (49,152
tokens for SmolLM2): about 9 ms a token on 2 cores, as long as the model's own forward pass. With
greedy decoding only the best token the grammar allows matters, and it is nearly always among the
few with the highest logits. This filter, run as the chain's logits processor instead of its
grammar, checks only the top few against the grammar; when one of them is certain to be the best
allowed token after the repetition penalty, every other token is masked, and otherwise the grammar
is applied to the whole vocabulary as before. The chosen tokens are the same either way.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

# tokens checked against the grammar before falling back to the whole vocabulary
SHORTLIST = 32

_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


class GrammarFilter:
    """A llama-cpp-python logits processor that enforces a GBNF grammar. `penalty` is the chain's
    repeat penalty: it can only lower a logit, so a shortlisted token is known to win when even
    its fully penalized logit beats the best logit left outside the shortlist."""

    def __init__(self, llama: Any, grammar: str, penalty: float, root: str = "root") -> None:
        import llama_cpp

        self._lib = llama_cpp
        self._sampler = llama_cpp.llama_sampler_init_grammar(
            llama._model.vocab, grammar.encode("utf-8"), root.encode("utf-8")
        )
        if not self._sampler:
            raise ValueError("the grammar does not parse")
        self._penalty = penalty
        self._prompt: int | None = None  # the prompt's length: later ids are the model's tokens
        self._accepted = 0
        self.fallbacks = 0  # steps that needed the whole vocabulary (for tests and benches)

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if self._prompt is None:
            self._prompt = len(input_ids)
        for token in input_ids[self._prompt + self._accepted :]:
            self._lib.llama_sampler_accept(self._sampler, int(token))
            self._accepted += 1
        scores = np.asarray(scores, dtype=np.single)
        # the SHORTLIST highest logits, in any order, then the highest of all the others
        best = np.argpartition(-scores, SHORTLIST)[: SHORTLIST + 1]
        shortlist, outside = best[:SHORTLIST], float(scores[best[SHORTLIST]])
        allowed = self._allowed(shortlist, scores[shortlist])
        worst_case = np.where(scores[allowed] > 0, scores[allowed] / self._penalty, scores[allowed] * self._penalty)
        if not allowed.size or float(worst_case.max()) <= outside:
            self.fallbacks += 1
            allowed = self._allowed(np.arange(scores.size, dtype=np.intc), scores)
        masked = np.full_like(scores, -np.inf)
        masked[allowed] = scores[allowed]
        return masked

    def _allowed(self, ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """The ids among `ids` that the grammar allows next."""
        data = np.zeros(len(ids), dtype=_TOKEN_DATA)
        data["id"] = ids
        data["logit"] = logits
        array = self._lib.llama_token_data_array(
            data=data.ctypes.data_as(ctypes.POINTER(self._lib.llama_token_data)), size=len(ids), selected=-1,
            sorted=False,
        )
        self._lib.llama_sampler_apply(self._sampler, ctypes.byref(array))
        kept = data[: array.size]  # the grammar sets what it rejects to -inf and keeps the order
        return kept["id"][np.isfinite(kept["logit"])].astype(np.intp)

    def close(self) -> None:
        if self._sampler:
            self._lib.llama_sampler_free(self._sampler)
            self._sampler = None
