"""The ONNX runtime against the sentence-transformers reference, and a query path without torch."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.config import Settings
from qa.embed import SentenceTransformerEmbedder, load_embedder, model_folder
from qa.ingest.split import sentence_spans_in
from tests.conftest import REPO, SEEDS

pytestmark = pytest.mark.slow

HEAVY = ("torch", "transformers", "sentence_transformers")


def real_passages() -> list[str]:
    """Every paragraph of the seed article and the Wikipedia test articles, of all lengths."""
    paragraphs = []
    for path in sorted(SEEDS.glob("*.txt")) + sorted((REPO / "tests" / "data" / "wiki").glob("*.txt")):
        paragraphs += [p.strip() for p in path.read_text().split("\n\n") if p.strip()]
    return paragraphs


def test_onnx_vectors_match_sentence_transformers(real_env):
    onnx = load_embedder()
    assert onnx.runtime == "onnx"
    reference = SentenceTransformerEmbedder(model_folder(None))
    texts = real_passages()
    sentences = [text[a:b] for text in texts[:40] for a, b in sentence_spans_in(text, 0, len(text))]
    texts += sentences + ["What prisoner exchanges were agreed?", "Who won?", "a"]
    assert len(texts) > 200
    cosine = (onnx.embed(texts) * reference.embed(texts)).sum(axis=1)
    assert cosine.min() >= 0.999, texts[int(cosine.argmin())][:80]
    assert (onnx.name, onnx.fingerprint, onnx.dimension) == (reference.name, reference.fingerprint, reference.dimension)


def test_int8_passage_vectors_rank_as_the_reference_does(real_env):
    onnx = load_embedder()
    reference = SentenceTransformerEmbedder(model_folder(None))
    passages = real_passages()
    quantized, exact = onnx.embed_passages(passages), reference.embed(passages)
    cosine = (quantized * exact).sum(axis=1)
    assert cosine.mean() >= 0.99 and cosine.min() >= 0.95, (cosine.mean(), cosine.min())
    # each paragraph's own first sentence, as a query, finds the same paragraph first in both
    queries = onnx.embed([p[: p.find(". ") + 1] if ". " in p else p for p in passages])
    same = (np.argmax(queries @ quantized.T, axis=1) == np.argmax(queries @ exact.T, axis=1)).mean()
    assert same >= 0.97, same


def test_export_is_made_once_and_reused(real_env):
    first = load_embedder()
    first.embed_passages(["warm up"])
    made = first.model_file.stat().st_mtime_ns, first.int8_file.stat().st_mtime_ns
    again = load_embedder()
    again.embed_passages(["warm up again"])
    assert again.int8_file == first.int8_file
    assert (again.model_file.stat().st_mtime_ns, again.int8_file.stat().st_mtime_ns) == made
    assert not [p for p in first.model_file.parent.iterdir() if p.name.endswith(".tmp")]


def test_query_path_imports_no_torch(real_env, qa_home):
    result = CliRunner().invoke(main, ["index", str(SEEDS)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    code = (
        "import sys, json; from click.testing import CliRunner; from qa.cli import main;"
        "r = CliRunner().invoke(main, ['search', 'prisoner exchange', '--json']); assert r.exit_code == 0, r.output;"
        "hits = json.loads(r.stdout)['hits'];"
        "r = CliRunner().invoke(main, ['ask', 'What prisoner exchanges were agreed?', '--json']); assert r.exit_code == 0, r.output;"
        "answer = json.loads(r.stdout)['answer'];"
        f"print(json.dumps([hits[0]['text'], answer, sorted(set({HEAVY!r}) & set(sys.modules)), 'onnxruntime' in sys.modules]))"
    )
    env = {**os.environ, "QA_HOME": str(qa_home)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    top_hit, answer, heavy, used_onnx = json.loads(done.stdout.strip().splitlines()[-1])
    assert "175 prisoners" in top_hit and "175" in answer
    assert heavy == [] and used_onnx


def test_reference_runtime_still_selectable(real_env, monkeypatch):
    monkeypatch.setenv("QA_EMBED_RUNTIME", "torch")
    embedder = load_embedder(Settings.from_env())
    assert embedder.runtime == "torch"
    vector = embedder.embed(["prisoner exchange"])
    assert vector.shape == (1, 384) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5
