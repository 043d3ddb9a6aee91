"""ONNX Runtime export of a model directory, with int8 dynamic quantization (onnx_session.py runs it).

`export_onnx` writes MODEL/onnx/model.onnx (fp32 encoder and pooling: token ids → one vector per input,
dynamic batch and sequence), MODEL/onnx/model.int8.onnx (the same with int8 weights per output channel,
activations quantized on the fly) and MODEL/onnx/heads.onnx (the two heads: vectors → logits, fp32).
The encoder and the heads are apart because a model with a separate context (`model.context: separate`)
encodes each heading path once and gives its vector to the heads of every unit under it.
Measured choices (e5-small, argmax agreement with PyTorch; docs/speed.md):
- weights in the reduced 7-bit range: on CPUs without VNNI the u8×s8 kernels saturate with full-range
  weights (a quarter of the tiny test model's predictions flipped);
- per-channel scales: half the logit error of per-tensor ones;
- the inputs of the feed-forward output projections (GELU activations with outlier channels) are badly
  served by one uint8 scale per tensor: `tag.onnx_smoothing` > 0 moves their range into the weights
  (SmoothQuant) so that these projections run int8 too, faster; 0 leaves them fp32.
`OnnxSession` (onnx_session.py) runs either on the tokenizer's padded batches, the way `Tagger` feeds them; with the int8
file it also opens the fp32 one when asked for exact vectors (`Tagger` re-checks near ties with them).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import warnings
from pathlib import Path

import numpy as np

from ..labels.atomic import atomic_path, atomic_write
from ..labels.corpus import read_units
from .bundle import WEIGHTS, load_bundle
from .config import PACKAGE_ROOT
from .onnx_session import CONTEXT_VECTOR, EMBEDDING, FP32, HEADS, INT8, ONNX_DIR, OUTPUTS, SOURCE, TEXT_VECTOR
from .tagger import Tagger
from .user_cache import cache_root

OPSET = 17
CALIBRATION = PACKAGE_ROOT / "labels" / "data" / "seeds.jsonl"  # units whose activations set the smoothing


def _modules(model) -> tuple[torch.nn.Module, torch.nn.Module]:  # noqa: F821 (torch is imported lazily)
    """The encoder with pooling, and the heads returning a tuple of logits, as modules the tracer takes."""
    import torch

    class Embed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            return self.model.embed(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)

    class Heads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, features, context=None):
            out = self.model.classify(features, context)
            return tuple(out[name] for name in OUTPUTS)

    return Embed().eval(), Heads().eval()


def _sample_batch(tokenizer, encoder_config) -> dict:
    """Two inputs of different lengths, so the traced graph contains the padding mask path."""
    batch = tokenizer(
        ["一、经济运行稳中向好", "二是加强安全生产监管，全年未发生较大事故。"], padding=True, return_tensors="pt"
    )
    if getattr(encoder_config, "type_vocab_size", 2) < 2:
        batch.pop("token_type_ids", None)  # the model ignores it; keep it out of the graph
    return {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in batch}


def _ffn_outputs(graph) -> dict[str, int]:
    """The MatMuls of the feed-forward output projections (encoder.layer.N.output.dense) → N."""
    return {
        n.name: int(re.search(r"layer\.(\d+)/", n.name).group(1))
        for n in graph.node
        if n.op_type == "MatMul" and "/output/dense/" in n.name and "/attention/" not in n.name
    }


def ffn_input_maxima(model, tokenizer, cfg, schema, units: list[dict]) -> dict[int, np.ndarray]:
    """Per encoder layer N, the largest |value| of each input channel of encoder.layer.N.output.dense while
    the torch model tags `units` (one at a time: no padding among the values)."""
    maxima = {}

    def keep(n):
        def hook(module, args):
            seen = args[0].detach().abs().amax(dim=(0, 1)).float().numpy()
            maxima[n] = np.maximum(maxima.get(n, seen), seen)

        return hook

    layers = model.encoder.encoder.layer
    hooks = [layer.output.dense.register_forward_pre_hook(keep(n)) for n, layer in enumerate(layers)]
    try:
        Tagger(model, tokenizer, cfg, schema, batch_size=1, backend="torch", device="cpu", workers=1).logits(units)
    finally:
        for hook in hooks:
            hook.remove()
    return maxima


def smooth_ffn_outputs(graph, maxima: dict[int, np.ndarray], alpha: float) -> None:
    """SmoothQuant (Xiao et al., 2023), in place: the input channel j of each feed-forward output projection
    is divided by s_j = max|x_j|^alpha / max|W_j|^(1 - alpha) (a Mul before the MatMul) and row j of its
    weight multiplied by s_j: the same function, with activations one int8 scale per tensor serves."""
    from onnx import helper, numpy_helper

    weights = {w.name: w for w in graph.initializer}
    ffn = _ffn_outputs(graph)
    nodes = []
    for node in graph.node:
        if node.name in ffn:
            w = numpy_helper.to_array(weights[node.input[1]])  # (in, out): x @ w
            s = (
                np.maximum(maxima[ffn[node.name]], 1e-5) ** alpha
                / np.maximum(np.abs(w).max(axis=1), 1e-5) ** (1 - alpha)
            ).astype(np.float32)
            weights[node.input[1]].CopyFrom(numpy_helper.from_array(w * s[:, None], node.input[1]))
            scale, smoothed = node.name + "/smoothing", node.name + "/smoothed_input"
            graph.initializer.append(numpy_helper.from_array(1 / s, scale))
            nodes.append(helper.make_node("Mul", [node.input[0], scale], [smoothed], name=node.name + "/Smooth"))
            node.input[0] = smoothed
        nodes.append(node)
    graph.ClearField("node")
    graph.node.extend(nodes)


def export_onnx(model_dir: str | Path, quantize: bool = True, smoothing: float | None = None) -> dict[str, Path]:
    """Export the model directory's model to ONNX (and int8); return {"fp32", "heads", "int8": path}.
    `smoothing` replaces the model's tag.onnx_smoothing."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model, tokenizer, cfg, schema = load_bundle(model_dir)
    smoothing = cfg.tag.onnx_smoothing if smoothing is None else smoothing
    out = Path(model_dir) / ONNX_DIR
    out.mkdir(exist_ok=True)
    embed, heads = _modules(model)
    batch = _sample_batch(tokenizer, model.encoder.config)
    with torch.no_grad():
        features = model.embed(**batch)
    head_inputs = {TEXT_VECTOR: features, **({CONTEXT_VECTOR: features} if model.separate_context else {})}
    paths = {"fp32": out / FP32, "heads": out / HEADS}
    exports = [
        (embed, tuple(batch.values()), paths["fp32"], {k: {0: "batch", 1: "sequence"} for k in batch}, [EMBEDDING]),
        (heads, tuple(head_inputs.values()), paths["heads"], {k: {0: "batch"} for k in head_inputs}, list(OUTPUTS)),
    ]
    for module, args, path, inputs, outputs in exports:
        axes = {**inputs, **{k: {0: "batch"} for k in outputs}}
        with atomic_path(path) as tmp, warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow on shapes
            # TorchScript exporter: the dynamo one needs onnxscript, which is not a dependency
            torch.onnx.export(
                module,
                args,
                str(tmp),
                dynamo=False,
                input_names=list(inputs),
                output_names=outputs,
                dynamic_axes=axes,
                opset_version=OPSET,
                do_constant_folding=True,
            )
    if not quantize:
        (out / INT8).unlink(missing_ok=True)  # an int8 file of an earlier export would be run instead
        write_source(model_dir)
        return paths
    paths["int8"] = out / INT8
    fp32 = onnx.load(str(paths["fp32"]))
    ffn = list(_ffn_outputs(fp32.graph))  # none in encoders not laid out like BERT: nothing to smooth or keep
    if smoothing and ffn:
        maxima = ffn_input_maxima(model, tokenizer, cfg, schema, read_units(CALIBRATION))
        smooth_ffn_outputs(fp32.graph, maxima, smoothing)
    logging.disable(logging.WARNING)  # "consider pre-processing": measured, it changes neither accuracy nor speed
    try:
        with atomic_path(paths["int8"]) as tmp:
            quantize_dynamic(
                fp32,
                tmp,
                weight_type=QuantType.QInt8,
                per_channel=True,
                reduce_range=True,
                nodes_to_exclude=[] if smoothing else ffn,
            )
    finally:
        logging.disable(logging.NOTSET)
    write_source(model_dir)
    return paths


def weights_stamp(model_dir: str | Path) -> list[int]:
    """Size and modification time of the weights: an export made from other weights is stale."""
    stat = (Path(model_dir) / WEIGHTS).stat()
    return [stat.st_size, stat.st_mtime_ns]


def weights_digest(model_dir: str | Path) -> str:
    """SHA-256 of the weights, read when the stamp differs: a model directory copied without its files' times
    (cp -r, a download) holds the same weights and keeps its export."""
    digest = hashlib.sha256()
    with open(Path(model_dir) / WEIGHTS, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_source(model_dir: str | Path, digest: str | None = None) -> None:
    """Record the weights the export was made from (`digest`: their SHA-256 when already read)."""
    with atomic_write(Path(model_dir) / ONNX_DIR / SOURCE) as f:
        json.dump({"weights": weights_stamp(model_dir), "sha256": digest or weights_digest(model_dir)}, f)


def export_is_current(model_dir: str | Path) -> bool:
    """Whether MODEL/onnx holds an export of the model's present weights (an export without its source
    record, from an earlier govtag, counts as current)."""
    folder = Path(model_dir) / ONNX_DIR
    if not all((folder / name).exists() for name in (FP32, HEADS)):
        return False
    try:
        source = json.loads((folder / SOURCE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    if not isinstance(source, dict):
        return False
    stamp = weights_stamp(model_dir)
    if source.get("weights") == stamp:
        return True
    if not source.get("sha256"):
        return False
    key = str(Path(model_dir).resolve())
    if _checked_exports().get(key) == {"weights": stamp, "sha256": source["sha256"]}:
        return True  # a read-only model directory whose weights were found to be the export's before
    if source["sha256"] != weights_digest(model_dir):
        return False
    try:  # the same weights under new file times: record them, so later loads skip the digest
        write_source(model_dir, source["sha256"])
    except OSError:  # a read-only model directory: remember it in the user's cache instead
        _record_checked_export(key, {"weights": stamp, "sha256": source["sha256"]})
    return True


CHECKED_EXPORTS = "checked-exports.json"  # in the user's cache: read-only model directories checked before


def _checked_exports() -> dict:
    try:
        records = json.loads((cache_root() / CHECKED_EXPORTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def _record_checked_export(key: str, record: dict) -> None:
    """Best effort: a cache that cannot be written only costs the digest again next time."""
    records = {**_checked_exports(), key: record}
    try:
        cache_root().mkdir(parents=True, exist_ok=True)
        with atomic_write(cache_root() / CHECKED_EXPORTS) as f:
            json.dump(records, f, ensure_ascii=False)
    except OSError:
        pass
