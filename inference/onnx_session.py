"""ONNX Runtime sessions on an exported model directory (`onnx_export`): the encoder (int8, or fp32) and the
heads, run on the padded batches `Tagger` feeds them."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

ONNX_DIR = "onnx"
FP32, INT8, HEADS = "model.onnx", "model.int8.onnx", "heads.onnx"
SOURCE = "source.json"  # the weights an export was made from (onnx_export.export_is_current)
EMBEDDING = "embedding"  # the encoder's output
TEXT_VECTOR, CONTEXT_VECTOR = "features", "context"  # the heads' inputs
OUTPUTS = ("domain_logits", "type_logits")


class OnnxModelMissing(FileNotFoundError):
    pass


def physical_cores() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


class OnnxSession:
    """ONNX Runtime sessions on MODEL/onnx/model.int8.onnx (or on the fp32 file when there is no int8
    one, `export-onnx --no-quantize`, or with `fp32=True`) and on the heads."""

    def __init__(self, model_dir: str | Path, fp32: bool | None = None, threads: int = 0):
        import onnxruntime as ort

        folder = Path(model_dir) / ONNX_DIR
        if fp32 is None:
            fp32 = not (folder / INT8).exists()
        self.path = folder / (FP32 if fp32 else INT8)
        for path in (self.path, folder / HEADS, folder / FP32):  # fp32 also re-checks the int8 near ties
            if not path.exists():
                raise OnnxModelMissing(
                    f"{path}: no ONNX export of this model; run `govtag export-onnx --model {model_dir}` first"
                )
        self.options = ort.SessionOptions()
        self.options.intra_op_num_threads = threads or physical_cores()
        self.options.inter_op_num_threads = 1
        self.options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.encoder = self._open(self.path)
        self.head = self._open(folder / HEADS)
        if [o.name for o in self.encoder.get_outputs()] != [EMBEDDING]:
            raise OnnxModelMissing(
                f"{self.path}: exported by an earlier govtag (logits, not vectors); "
                f"run `govtag export-onnx --model {model_dir}` again"
            )
        self.inputs = [i.name for i in self.encoder.get_inputs()]
        self._exact = None if self.quantized else self.encoder  # the fp32 encoder, opened on first use
        self._opening = threading.Lock()

    @property
    def quantized(self) -> bool:
        return self.path.name == INT8

    def _open(self, path: Path):
        import onnxruntime as ort

        return ort.InferenceSession(str(path), self.options, providers=["CPUExecutionProvider"])

    def embed(self, batch, exact: bool = False) -> np.ndarray:
        """Vectors for a padded batch (a mapping of torch tensors or numpy arrays), from the fp32 encoder if
        `exact`; missing segment ids (a heading path read apart has none) are zeros."""
        if exact and self._exact is None:
            with self._opening:
                self._exact = self._exact or self._open(self.path.with_name(FP32))
        ids = np.asarray(batch["input_ids"], dtype=np.int64)
        feed = {
            name: np.asarray(batch[name], dtype=np.int64) if name in batch else np.zeros_like(ids)
            for name in self.inputs
        }
        return (self._exact if exact else self.encoder).run([EMBEDDING], feed)[0]

    def heads(self, features: np.ndarray, context: np.ndarray | None = None) -> dict[str, np.ndarray]:
        feed = {TEXT_VECTOR: features, **({CONTEXT_VECTOR: context} if context is not None else {})}
        logits = self.head.run(list(OUTPUTS), {k: np.asarray(v, dtype=np.float32) for k, v in feed.items()})
        return {name.removesuffix("_logits"): values for name, values in zip(OUTPUTS, logits)}
