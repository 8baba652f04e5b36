"""Re-scorers measured against qa's fused ranking: a GGUF model's yes/no and a second embedder's cosine.

Used by retrieval_bench.py (--gguf-rescore, --e5-vectors); neither is a dependency of qa. Each
scores a question's fused top N, and the top N is then re-ranked by that score alone or mixed with
the fused ranking, so the bench can tell whether the second opinion adds anything the first lacks.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Ranking = list[tuple[int, float]]

# ChatML, the template of both models measured (SmolLM2-135M-Instruct, Qwen2.5-Coder-0.5B-Instruct)
YES_NO_SYSTEM = "You judge whether a passage of a news article answers a question."
YES_NO_USER = (
    "Passage (from the article \"{title}\"):\n{passage}\n\n"
    "Question: {question}\n\n"
    "Does the passage answer the question? Answer yes or no."
)
PASSAGE_TOKENS = 1024  # a longer passage is cut: the prompt must fit the context, and its head says most
RRF_K = 60  # as qa's fusion (Cormack et al. 2009)


class YesNoScorer:
    """log P(yes) - log P(no) of a chat GGUF's first answer token, read from its logits."""

    def __init__(self, path: Path, threads: int) -> None:
        from llama_cpp import Llama

        self.llm = Llama(model_path=str(path), n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                         logits_all=False, seed=0, verbose=False)
        self.name = path.name
        self.yes = self._first_tokens(("yes", "Yes", " yes", " Yes"))
        self.no = self._first_tokens(("no", "No", " no", " No"))
        self.previous: list[int] = []

    def _first_tokens(self, words: tuple[str, ...]) -> list[int]:
        return sorted({self.llm.tokenize(word.encode(), add_bos=False, special=False)[0] for word in words})

    def _text(self, text: str) -> list[int]:
        """Article text as data: special=False, so a `<|im_start|>` inside it is not a turn marker."""
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def _marker(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def prompt(self, question: str, title: str, passage: str) -> list[int]:
        cut = self.llm.detokenize(self._text(passage)[:PASSAGE_TOKENS]).decode("utf-8", "ignore")
        user = YES_NO_USER.format(title=title, passage=cut, question=question)
        return (self._marker("<|im_start|>system\n") + self._text(YES_NO_SYSTEM) + self._marker("<|im_end|>\n")
                + self._marker("<|im_start|>user\n") + self._text(user) + self._marker("<|im_end|>\n")
                + self._marker("<|im_start|>assistant\n"))

    def score(self, question: str, title: str, passage: str) -> float:
        tokens = self.prompt(question, title, passage)
        # keep the KV cache of the prefix shared with the previous prompt (the system turn at least)
        shared = 0
        for old, new in zip(self.previous, tokens):
            if old != new:
                break
            shared += 1
        self.llm.n_tokens = min(shared, len(tokens) - 1)
        self.llm.eval(tokens[self.llm.n_tokens :])
        self.previous = tokens
        logits = np.ctypeslib.as_array(self.llm._ctx.get_logits_ith(-1), shape=(self.llm.n_vocab(),))
        return float(np.logaddexp.reduce(logits[self.yes]) - np.logaddexp.reduce(logits[self.no]))


@dataclass
class E5Vectors:
    """What bench/e5_embed.py wrote: passage vectors by passage id, query vectors by query text."""

    passage_ids: np.ndarray
    passages: np.ndarray
    row_of: dict[int, int]
    queries: dict[str, np.ndarray]
    timing: dict[str, float]

    @classmethod
    def load(cls, folder: Path) -> E5Vectors:
        ids = np.load(folder / "passage_ids.npy")
        texts = json.loads((folder / "queries.json").read_text())
        query_vectors = np.load(folder / "queries.npy")
        timing_file = folder / "timing.json"
        timing = json.loads(timing_file.read_text()) if timing_file.exists() else {}
        return cls(ids, np.load(folder / "passages.npy"), {int(pid): row for row, pid in enumerate(ids)},
                   dict(zip(texts, query_vectors)), timing)

    def cosines(self, query: str, passage_ids: list[int]) -> dict[int, float]:
        vector = self.queries[query]
        return {pid: float(self.passages[self.row_of[pid]] @ vector) for pid in passage_ids if pid in self.row_of}

    def search(self, query: str, depth: int) -> Ranking:
        similarities = self.passages @ self.queries[query]
        top = np.argsort(-similarities)[:depth]
        return [(int(self.passage_ids[i]), float(similarities[i])) for i in top]


def minmax(scores: dict[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    return {pid: (s - low) / (high - low) if high > low else 1.0 for pid, s in scores.items()}


def rrf_many(*rankings: Ranking, k_rrf: int = RRF_K) -> Ranking:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (pid, _) in enumerate(ranking, start=1):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (k_rrf + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def reorderings(top: Ranking, scores: dict[int, float]) -> dict[str, Ranking]:
    """The fused top N re-ranked by `scores`: alone, by RRF with the fused order, and by a convex
    mix of the min-max scaled scores (alpha on the new score); a passage without a score keeps its
    place behind those with one."""
    position = {pid: i for i, (pid, _) in enumerate(top)}
    alone = sorted(top, key=lambda item: (-scores.get(item[0], float("-inf")), position[item[0]]))
    variants = {"alone": alone, "rrf with fused": rrf_many(top, alone)}
    new, old = minmax(scores), minmax(dict(top))
    for alpha in (0.25, 0.5, 0.75):
        mixed = {pid: alpha * new.get(pid, 0.0) + (1 - alpha) * old[pid] for pid, _ in top}
        variants[f"mix a={alpha}"] = sorted(top, key=lambda item: (-mixed[item[0]], position[item[0]]))
    return variants


class ScoreCache:
    """Yes/no scores with the seconds each took, kept in a JSON file between runs (a 0.5B model
    needs seconds a passage, so an interrupted run resumes); no file, no keeping."""

    def __init__(self, path: Path | None, model: str) -> None:
        self.path, self.model = path, model
        self.entries: dict[str, list[float]] = json.loads(path.read_text()) if path and path.exists() else {}

    def scores(self, scorer: YesNoScorer, question: str, rows: dict, top: Ranking) -> tuple[dict[int, float], float]:
        """Each passage's score, and the seconds scoring them all took (measured when first scored)."""
        scores, seconds = {}, 0.0
        for pid, _ in top:
            if pid not in rows:
                continue
            key = f"{self.model}\t{question}\t{pid}"
            if key not in self.entries:
                started = time.perf_counter()
                value = scorer.score(question, rows[pid].title, rows[pid].text)
                self.entries[key] = [value, time.perf_counter() - started]
            scores[pid] = self.entries[key][0]
            seconds += self.entries[key][1]
        if self.path:
            self.path.write_text(json.dumps(self.entries))
        return scores, seconds
