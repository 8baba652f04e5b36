"""The embedder seam without models: folder reading, runtime choice, pooling, thread count."""

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.config import Settings, physical_cores
from qa.embed import ModelFolder, SentenceTransformerEmbedder, load_embedder
from qa.errors import QAError
from qa.onnx_embed import OnnxEmbedder, pool


def make_folder(tmp_path, modules=("Transformer", "Pooling", "Normalize"), pooling="mean", max_seq=256):
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"hidden_size": 8, "max_position_embeddings": 512}))
    (folder / "tokenizer.json").write_text("{}")
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_seq}))
    (folder / "modules.json").write_text(
        json.dumps([{"type": f"sentence_transformers.models.{kind}"} for kind in modules])
    )
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 8, f"pooling_mode_{pooling}_token{'s' if pooling != 'cls' else ''}": True})
    )
    return folder


@pytest.mark.parametrize(
    "modules, pooling, ready",
    [
        (("Transformer", "Pooling", "Normalize"), "mean", True),
        (("Transformer", "Pooling"), "cls", True),
        (("Transformer", "Pooling", "Dense", "Normalize"), "mean", False),  # a projection ONNX here does not run
        (("Transformer", "Pooling"), "max", False),
    ],
)
def test_which_folders_the_onnx_runtime_takes(tmp_path, modules, pooling, ready):
    folder = ModelFolder(make_folder(tmp_path, modules, pooling), "m")
    assert folder.pooling == pooling and folder.onnx_ready is ready and folder.dimension == 8


def test_max_seq_length_is_capped_by_positions(tmp_path):
    assert ModelFolder(make_folder(tmp_path, max_seq=4096), "m").max_seq_length == 512


def test_runtime_choice(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_EMBED_MODEL", str(make_folder(tmp_path)))
    assert isinstance(load_embedder(Settings.from_env()), OnnxEmbedder)
    monkeypatch.setenv("QA_EMBED_RUNTIME", "torch")
    assert isinstance(load_embedder(Settings.from_env()), SentenceTransformerEmbedder)
    monkeypatch.setenv("QA_EMBED_RUNTIME", "tensorflow")
    with pytest.raises(QAError, match="QA_EMBED_RUNTIME=tensorflow"):
        Settings.from_env()


def test_folder_onnx_cannot_run_keeps_sentence_transformers(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_EMBED_MODEL", str(make_folder(tmp_path, ("Transformer", "Pooling", "Dense"))))
    assert isinstance(load_embedder(Settings.from_env()), SentenceTransformerEmbedder)


def test_bad_runtime_is_one_line_error(monkeypatch):
    monkeypatch.setenv("QA_EMBED_RUNTIME", "gpu")
    result = CliRunner().invoke(main, ["search", "anything"])
    assert result.exit_code == 1 and "QA_EMBED_RUNTIME=gpu" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_mean_pooling_ignores_padding_and_normalizes():
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]], [[0.0, 2.0], [9.0, 9.0], [9.0, 9.0]]])
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    np.testing.assert_allclose(pool(hidden, mask, "mean"), [[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(pool(hidden, mask, "cls"), [[1.0, 0.0], [0.0, 1.0]])


def test_physical_cores_is_within_what_the_process_may_use():
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert 1 <= physical_cores() <= usable


def test_a_failed_export_is_one_clear_error_and_leaves_no_file(tmp_path, monkeypatch):
    import qa.onnx_embed as onnx_embed

    def broken_export(folder, target):
        raise RuntimeError("Unsupported: aten::weird_op\ntrace follows")

    monkeypatch.setattr(onnx_embed, "export_onnx", broken_export)
    embedder = OnnxEmbedder(ModelFolder(make_folder(tmp_path), "m"), tmp_path / "cache", notify=lambda message: None)
    with pytest.raises(QAError, match=r"aten::weird_op\); set QA_EMBED_RUNTIME=torch"):
        embedder.embed(["text"])
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_a_model_that_does_not_survive_int8_is_indexed_in_fp32(tmp_path, monkeypatch):
    import qa.onnx_embed as onnx_embed

    notes = []
    embedder = OnnxEmbedder(ModelFolder(make_folder(tmp_path), "m"), tmp_path / "cache", notify=notes.append)
    embedder.model_file.parent.mkdir()
    embedder.model_file.write_bytes(b"stand-in")
    monkeypatch.setattr(onnx_embed, "_open_session", lambda path, *args: f"session:{path.name}")

    def lossy(folder, source, target):
        raise QAError("the int8 embedding model differs from fp32 (cosine 0.9100 on sample texts)")

    monkeypatch.setattr(onnx_embed, "quantize_int8", lossy)
    assert embedder.passage_session == f"session:{embedder.model_file.name}"
    assert any("indexing with the fp32 model instead" in note for note in notes)
