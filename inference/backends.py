"""The two ways to run a model's encoder and heads behind one small interface: `embed` a padded batch into
vectors, `heads` vectors into logits. The Tagger does the rest (batching, blend, re-check, calibration)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from ..labels.schema import TASKS
from .onnx_session import OnnxSession


class TorchBackend:
    """The model's torch weights, on CPU or a GPU (bf16/fp16 autocast there)."""

    name = "torch"
    quantized = False  # nothing to re-check
    parallel_batches = False  # torch runs a batch on all its threads itself

    def __init__(self, model, device: torch.device, weights: Path | None = None):
        self.model, self.device, self.weights = model, device, weights
        self.model.eval().to(device)

    def autocast(self):
        """bf16 on GPUs that have it (Ampere and later), fp16 on older ones; fp32 on CPU."""
        if self.device.type != "cuda":
            return nullcontext()
        return torch.autocast("cuda", dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)

    def embed(self, batch: dict[str, np.ndarray], exact: bool = False) -> torch.Tensor:
        """Pooled vectors, left on the device: no wait for the GPU between batches."""
        with torch.inference_mode(), self.autocast():
            return self.model.embed(**{k: torch.from_numpy(v).to(self.device) for k, v in batch.items()})

    def concat(self, parts: list, order: np.ndarray):
        return torch.cat(parts)[order]

    def heads(self, own, context) -> dict[str, np.ndarray]:
        with torch.inference_mode(), self.autocast():
            result = self.model.classify(own, context)
            return {t: result[f"{t}_logits"].float().cpu().numpy() for t in TASKS}


class OnnxBackend:
    """The exported ONNX encoder (int8 when there is one; fp32 for `exact`) and heads, on CPU."""

    name = "onnx"
    parallel_batches = True  # ONNX Runtime releases the GIL: batches can run on the workers' threads at once

    def __init__(self, session: OnnxSession):
        self.session = session

    @property
    def quantized(self) -> bool:
        return self.session.quantized

    @property
    def weights(self) -> Path:
        return self.session.path

    def embed(self, batch: dict[str, np.ndarray], exact: bool = False) -> np.ndarray:
        return self.session.embed(batch, exact=exact)

    def concat(self, parts: list, order: np.ndarray) -> np.ndarray:
        return np.concatenate(parts)[order]

    def heads(self, own, context) -> dict[str, np.ndarray]:
        return self.session.heads(own, context)
