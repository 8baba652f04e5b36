"""Warm `qa ask` on seeds/, broken into stages, and qa's generation against a raw llama-cpp-python call.

    python bench/ask_bench.py [--model PATH] [--runs 3]

Prints: import, model load, retrieve, generate, verify (ms), then for the same prompt and
grammar the time of qa's generator and of a direct Llama.create_chat_completion call, as a ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTION = "What prisoner exchanges were agreed?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["QA_HOME"] = tempfile.mkdtemp(prefix="qa-bench-")
    sys.path.insert(0, str(REPO))

    started = time.perf_counter()
    from qa import evidence as ev
    from qa import prompts
    from qa.answer import answer_question, evidence_messages
    from qa.config import Settings
    from qa.embed import load_embedder
    from qa.generate import load_generator
    from qa.indexer import index_paths, manifest_for
    from qa.policy import default_policy
    from qa.question import analyze
    from qa.retrieve import search
    from qa.store.collection import Collection

    settings = Settings.from_env()
    embedder = load_embedder(settings)
    imported = time.perf_counter()
    embedder.embed_passages(["warm up"])  # a fresh QA_HOME: the one-time ONNX export, with torch
    exported = time.perf_counter()
    embedder = load_embedder(settings)
    session_started = time.perf_counter()
    embedder.embed(["warm up"])
    session_ready = time.perf_counter()
    index_paths(settings, embedder, [str(REPO / "seeds")])
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    generator = load_generator(args.model, settings.model, threads=settings.threads)
    load_started = time.perf_counter()
    generator.load()
    loaded = time.perf_counter()
    print(f"import (qa, numpy, tokenizers):        {1000 * (imported - started):8.0f} ms")
    print(f"one-time ONNX export and int8 copy:    {1000 * (exported - imported):8.0f} ms (first run only)")
    print(f"embedder session load:                 {1000 * (session_ready - session_started):8.0f} ms")
    print(f"model load ({generator.name}):   {1000 * (loaded - load_started):8.0f} ms")

    stages: dict[str, list[float]] = {}
    for _ in range(args.runs):
        result = answer_question(QUESTION, store, embedder, generator)
        for key, value in result.timings.items():
            stages.setdefault(key, []).append(value)
    for key, values in stages.items():
        print(f"warm ask {key:12}: {statistics.median(values):8.0f} ms (median of {len(values)})")

    # the same prompt and grammar, through qa's generator and through llama-cpp-python directly
    policy = default_policy()
    asked = analyze(QUESTION)
    hits = search(store, embedder, QUESTION, policy.evidence.passages_list if asked.is_list else policy.evidence.passages_default)
    candidates = ev.gather(store, [h.passage for h in hits], policy.evidence)
    vectors = embedder.embed([QUESTION] + [ev.in_context(c) for c in candidates])
    ranked = ev.score(asked, candidates, [float(v @ vectors[0]) for v in vectors[1:]], policy.evidence)
    selection = ev.select(asked, ranked, policy)
    evidence = selection.evidence
    messages = evidence_messages(QUESTION, evidence, len(selection.facts) > 1)
    grammar = prompts.answer_grammar([e.n for e in evidence], max_sentences=max(2, len(selection.facts)))
    from llama_cpp import LlamaGrammar

    ours, raw = [], []
    for run in range(args.runs):
        # alternate which goes first, so neither always finds the other's prompt in the KV cache
        for which in (("qa", "raw") if run % 2 == 0 else ("raw", "qa")):
            t0 = time.perf_counter()
            if which == "qa":
                text = "".join(generator.generate(messages, max_tokens=96, grammar=grammar))
                ours.append(time.perf_counter() - t0)
            else:
                out = generator._llama.create_chat_completion(
                    messages=messages, max_tokens=96, temperature=0.0, top_k=1, repeat_penalty=1.1,
                    grammar=LlamaGrammar.from_string(grammar, verbose=False),
                )
                raw.append(time.perf_counter() - t0)
    same = out["choices"][0]["message"]["content"] == text
    print(f"generate via qa: {1000 * statistics.median(ours):8.0f} ms; raw llama-cpp-python: {1000 * statistics.median(raw):8.0f} ms;"
          f" ratio {statistics.median(ours) / statistics.median(raw):.2f} (same text: {same})")


if __name__ == "__main__":
    main()
