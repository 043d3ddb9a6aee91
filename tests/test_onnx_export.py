import json
import os
import re
import shutil

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from govtag.cli import app
from govtag.inference import onnx_export
from govtag.inference.backends import OnnxBackend
from govtag.inference.calibration import softmax
from govtag.inference.onnx_export import (
    export_is_current,
    export_onnx,
    ffn_input_maxima,
    smooth_ffn_outputs,
    weights_stamp,
)
from govtag.inference.onnx_session import OnnxModelMissing, OnnxSession
from govtag.inference.pipeline import tag_paths
from govtag.inference.tagger import Tagger
from govtag.labels.schema import TASKS
from tests.conftest import REPO


@pytest.fixture(scope="module")
def exported(tiny_model, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("onnx") / "tiny"
    shutil.copytree(tiny_model, model_dir)
    result = CliRunner().invoke(app, ["export-onnx", "--model", str(model_dir)])
    assert result.exit_code == 0, result.output
    assert "int8:" in result.output
    return model_dir


@pytest.fixture(scope="module")
def torch_logits(exported, seed_units):
    return Tagger.load(exported, batch_size=16).logits(seed_units)


def onnx_logits(model_dir, units, fp32: bool, recheck_margin: float = 0.0) -> dict[str, np.ndarray]:
    # batch 16: many batch and sequence shapes
    tagger = Tagger.load(model_dir, backend="onnx", batch_size=16, recheck_margin=recheck_margin)
    tagger.backend = OnnxBackend(OnnxSession(model_dir, fp32=fp32))
    return tagger.logits(units)


def test_export_writes_its_files_atomically(exported):
    assert sorted(p.name for p in (exported / "onnx").iterdir()) == [
        "heads.onnx",
        "model.int8.onnx",
        "model.onnx",
        "source.json",
    ]
    umask = os.umask(0)
    os.umask(umask)
    assert {p.stat().st_mode & 0o777 for p in (exported / "onnx").iterdir()} == {0o666 & ~umask}  # not private
    session = OnnxSession(exported)
    assert session.path.name == "model.int8.onnx"
    assert session.inputs == ["input_ids", "attention_mask", "token_type_ids"]  # BERT uses segment ids
    ops = {n.name: n.op_type for n in onnx.load(str(session.path)).graph.node}
    assert "MatMulInteger" in ops.values()
    assert ops["/encoder/encoder/layer.0/output/dense/MatMul"] == "MatMul"  # feed-forward output kept fp32


def test_smoothing_keeps_the_function_and_quantizes_the_feed_forward_outputs(
    exported, seed_units, torch_logits, tmp_path
):
    from govtag.inference.bundle import load_bundle

    model, tokenizer, cfg, schema = load_bundle(exported)
    maxima = ffn_input_maxima(model, tokenizer, cfg, schema, seed_units)
    assert sorted(maxima) == [0, 1] and all(m.shape == (64,) and (m > 0).all() for m in maxima.values())
    graph = onnx.load(str(exported / "onnx" / "model.onnx"))
    smooth_ffn_outputs(graph.graph, maxima, 0.8)
    batch = tokenizer(
        ["一、经济运行稳中向好", "二是加强安全生产监管，全年未发生较大事故。"], padding=True, return_tensors="np"
    )
    plain, smoothed = (
        ort.InferenceSession(m, providers=["CPUExecutionProvider"]).run(None, dict(batch))[0]
        for m in (str(exported / "onnx" / "model.onnx"), graph.SerializeToString())
    )
    np.testing.assert_allclose(smoothed, plain, atol=1e-5)

    model_dir = tmp_path / "smoothed"
    shutil.copytree(exported, model_dir)
    result = CliRunner().invoke(app, ["export-onnx", "--model", str(model_dir), "--smoothing", "0.8"])
    assert result.exit_code == 0, result.output
    ops = {n.name: n.op_type for n in onnx.load(str(model_dir / "onnx" / "model.int8.onnx")).graph.node}
    assert ops["/encoder/encoder/layer.0/output/dense/MatMul/Smooth"] == "Mul"
    assert "/encoder/encoder/layer.0/output/dense/MatMul" not in ops  # quantized (renamed) now
    logits = onnx_logits(model_dir, seed_units, fp32=False)
    for task in ("domain", "type"):
        assert (logits[task].argmax(1) == torch_logits[task].argmax(1)).mean() >= 0.95


def test_fp32_onnx_equals_pytorch(exported, seed_units, torch_logits):
    logits = onnx_logits(exported, seed_units, fp32=True)
    for task in ("domain", "type"):
        np.testing.assert_allclose(logits[task], torch_logits[task], atol=1e-4)


def test_int8_agrees_with_pytorch_on_the_argmax(exported, seed_units, torch_logits):
    logits = onnx_logits(exported, seed_units, fp32=False)
    for task in ("domain", "type"):
        agreement = (logits[task].argmax(1) == torch_logits[task].argmax(1)).mean()
        assert agreement >= 0.95, (task, agreement)


def test_int8_near_ties_are_tagged_again_with_the_fp32_encoder(exported, seed_units):
    int8, fp32 = (onnx_logits(exported, seed_units, fp32=fp32) for fp32 in (False, True))
    tagger = Tagger.load(exported, backend="onnx")
    gaps = np.min(
        [np.diff(np.sort(softmax(int8[t], tagger.temperature[t]), axis=1)[:, -2:], axis=1)[:, 0] for t in TASKS], axis=0
    )
    margin = float(np.median(gaps))
    close = gaps < margin
    mixed = onnx_logits(exported, seed_units, fp32=False, recheck_margin=margin)
    for t in TASKS:
        np.testing.assert_allclose(mixed[t][close], fp32[t][close], atol=1e-4)
        np.testing.assert_array_equal(mixed[t][~close], int8[t][~close])
    assert 0 < close.sum() < len(close) and not np.allclose(int8["domain"][close], fp32["domain"][close])


def test_resume_refuses_another_recheck_margin(exported, tmp_path):
    first = [
        "tag",
        str(REPO / "examples" / "000_4b54a07587a75276.txt"),
        "-m",
        str(exported),
        "--backend",
        "onnx",
        "-o",
        str(tmp_path),
    ]
    assert CliRunner().invoke(app, first).exit_code == 0
    result = CliRunner().invoke(app, [*first, "--resume", "--recheck-margin", "0"])
    assert result.exit_code == 2 and "int8 re-check margin 0.15" in result.output, result.output


def test_onnx_backend_end_to_end(exported, seed_units, torch_logits, tmp_path):
    tagger = Tagger.load(exported, backend="onnx")
    summary = tag_paths([REPO / "examples"], tagger, tmp_path, formats=("jsonl",))
    rows = [json.loads(line) for line in (tmp_path / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    assert summary.units == len(rows) == len(seed_units)
    assert {r["domain"] for r in rows} <= set(tagger.schema.domain)
    assert json.loads((tmp_path / ".parts" / "manifest.json").read_text(encoding="utf-8"))["backend"] == "onnx"


def test_a_model_without_an_export_is_exported_on_first_use_and_said(tiny_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    shutil.rmtree(model / "onnx")
    with pytest.raises(OnnxModelMissing, match=re.escape(f"govtag export-onnx --model {model}")):
        Tagger.load(model, backend="onnx")  # the library's Tagger runs what is there; `govtag tag` exports
    report = str(REPO / "examples" / "000_4b54a07587a75276.txt")
    first = CliRunner().invoke(app, ["tag", report, "-m", str(model), "-o", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    assert f"exported {model} to ONNX (on first use" in first.output
    assert (model / "onnx" / "model.int8.onnx").exists() and not (model / ".govtag.lock").exists()
    again = CliRunner().invoke(app, ["tag", report, "-m", str(model), "-o", str(tmp_path / "b")])
    assert again.exit_code == 0 and "exported" not in again.output
    assert (tmp_path / "a" / "units.jsonl").read_bytes() == (tmp_path / "b" / "units.jsonl").read_bytes()
    weights = model / "model.safetensors"  # the same weights under other file times (cp -r): the export stays
    os.utime(weights, ns=(1, 1))
    copied = CliRunner().invoke(app, ["tag", report, "-m", str(model), "-o", str(tmp_path / "c0")])
    assert copied.exit_code == 0 and "exported" not in copied.output
    source = json.loads((model / "onnx" / "source.json").read_text(encoding="utf-8"))
    assert source["weights"] == weights_stamp(model)  # the new times recorded: the next load reads no digest
    tensors = load_file(weights)  # other weights (a model retrained in place): the export is made again
    name = next(iter(tensors))
    tensors[name] = tensors[name] + 0.01
    save_file(tensors, weights)
    third = CliRunner().invoke(app, ["tag", report, "-m", str(model), "-o", str(tmp_path / "c")])
    assert third.exit_code == 0 and "its export was made from other weights" in third.output
    torch_run = CliRunner().invoke(
        app, ["tag", report, "-m", str(model), "--backend", "torch", "-o", str(tmp_path / "d")]
    )
    assert torch_run.exit_code == 0 and "exported" not in torch_run.output


def test_a_read_only_copy_is_checked_once_and_remembered_in_the_users_cache(exported, tmp_path, monkeypatch):
    model = tmp_path / "model"
    shutil.copytree(exported, model)
    os.utime(model / "model.safetensors", ns=(1, 1))  # copied without its files' times
    monkeypatch.setenv("GOVTAG_CACHE", str(tmp_path / "cache"))

    def read_only(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(onnx_export, "write_source", read_only)
    digests = []
    digest = onnx_export.weights_digest
    monkeypatch.setattr(onnx_export, "weights_digest", lambda d: digests.append(d) or digest(d))
    assert export_is_current(model) and export_is_current(model)
    assert len(digests) == 1  # the second load trusts the record, reads no 240 MB digest
    assert (tmp_path / "cache" / "checked-exports.json").exists()
    os.utime(model / "model.safetensors", ns=(2, 2))  # touched again: checked again
    assert export_is_current(model) and len(digests) == 2
    tensors = load_file(model / "model.safetensors")  # other weights (retrained in place): not current
    name = next(iter(tensors))
    tensors[name] = tensors[name] + 0.01
    save_file(tensors, model / "model.safetensors")
    assert not export_is_current(model)


def test_onnx_tagger_does_not_load_the_torch_weights(exported):
    assert Tagger.load(exported, backend="onnx").model is None


def test_fp32_only_export_replaces_a_stale_int8_file_and_is_used(exported, seed_units, torch_logits, tmp_path):
    model_dir = tmp_path / "fp32"
    shutil.copytree(exported, model_dir)
    result = CliRunner().invoke(app, ["export-onnx", "--model", str(model_dir), "--no-quantize"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (model_dir / "onnx").iterdir()) == ["heads.onnx", "model.onnx", "source.json"]
    assert f"removed {model_dir / 'onnx' / 'model.int8.onnx'}: it is from an earlier export" in result.output
    tagger = Tagger.load(model_dir, backend="onnx", batch_size=16)
    assert tagger.backend.weights.name == "model.onnx"
    np.testing.assert_allclose(tagger.logits(seed_units)["type"], torch_logits["type"], atol=1e-4)


def test_a_separate_context_model_runs_the_same_on_onnx(tiny_separate_model, seed_units, tmp_path):
    model_dir = tmp_path / "separate"
    shutil.copytree(tiny_separate_model, model_dir)
    export_onnx(model_dir, quantize=False)
    expected = Tagger.load(model_dir).logits(seed_units)
    logits = Tagger.load(model_dir, backend="onnx", batch_size=16).logits(seed_units)
    for task in ("domain", "type"):
        np.testing.assert_allclose(logits[task], expected[task], atol=1e-4)


def test_an_export_of_an_earlier_layout_asks_for_a_new_one(exported, tmp_path):
    model_dir = tmp_path / "old"
    shutil.copytree(exported, model_dir)
    ids = onnx.helper.make_tensor_value_info("input_ids", onnx.TensorProto.INT64, ["batch", "sequence"])
    logits = onnx.helper.make_tensor_value_info("domain_logits", onnx.TensorProto.INT64, ["batch", "sequence"])
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["input_ids"], ["domain_logits"])], "old", [ids], [logits]
    )
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, str(model_dir / "onnx" / "model.int8.onnx"))
    with pytest.raises(OnnxModelMissing, match="earlier govtag .* export-onnx"):
        OnnxSession(model_dir)


def test_with_a_document_step_units_that_are_near_ties_once_smoothed_are_tagged_again(exported, seed_units):
    from govtag.inference.document_step import Smoothing, apply, near_ties

    step = {"domain": Smoothing(1, 0.5, 1.01), "type": Smoothing(2, 0.5, 1.01)}

    def tagger(fp32: bool, margin: float) -> Tagger:
        tagger = Tagger.load(exported, backend="onnx", batch_size=16, recheck_margin=margin)
        tagger.backend, tagger.document_step = OnnxBackend(OnnxSession(exported, fp32=fp32)), step
        return tagger

    exact, int8 = tagger(True, 0.0).logits(seed_units), tagger(False, 0.0).logits(seed_units)
    probs = tagger(False, 0.0).calibrated(int8)
    smoothed = apply(probs, seed_units, step)
    gaps = np.min([np.diff(np.sort(smoothed[t], axis=1)[:, -2:], axis=1)[:, 0] for t in TASKS], axis=0)
    margin = float(np.quantile(gaps, 0.2))  # the tiny model is unsure of everything
    close, before = near_ties(smoothed, margin), near_ties(probs, margin)
    assert (close & ~before).any()  # units the smoothing brings near a tie
    mixed = tagger(False, margin).logits(seed_units)
    for t in TASKS:
        np.testing.assert_allclose(mixed[t][close | before], exact[t][close | before], atol=1e-4)
        np.testing.assert_array_equal(mixed[t][~(close | before)], int8[t][~(close | before)])
