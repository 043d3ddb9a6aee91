"""The torch backend (inference/backends.py); the ONNX one is tested with the export (test_onnx_export.py)."""

import numpy as np
import pytest
import torch

from govtag.inference.backends import TorchBackend
from govtag.inference.bundle import load_bundle
from govtag.inference.tagger import Tagger
from govtag.labels.schema import TASKS


def test_torch_backend_embeds_numpy_batches_and_returns_the_heads_logits(tiny_model):
    model = load_bundle(tiny_model)[0]
    backend = TorchBackend(model, torch.device("cpu"), tiny_model / "model.safetensors")
    assert (backend.name, backend.quantized, backend.parallel_batches) == ("torch", False, False)
    batch = {
        "input_ids": np.array([[2, 50, 60, 3], [2, 70, 3, 0]]),
        "attention_mask": np.array([[1, 1, 1, 1], [1, 1, 1, 0]]),
    }
    vectors = backend.embed(batch)
    with torch.no_grad():
        direct = model.embed(torch.from_numpy(batch["input_ids"]), torch.from_numpy(batch["attention_mask"]))
    assert torch.equal(vectors, direct)
    assert torch.equal(backend.concat([vectors[:1], vectors[1:]], np.array([1, 0])), direct[[1, 0]])
    logits = backend.heads(vectors, None)
    assert set(logits) == set(TASKS) and all(isinstance(v, np.ndarray) and len(v) == 2 for v in logits.values())


def test_a_tagger_runs_whichever_backend_it_is_given(tiny_model, seed_units):
    tagger = Tagger.load(tiny_model, backend="torch")
    assert isinstance(tagger.backend, TorchBackend) and tagger.backend.weights == tiny_model / "model.safetensors"
    calls = []

    class Counting(TorchBackend):
        def embed(self, batch, exact=False):
            calls.append(len(batch["input_ids"]))
            return super().embed(batch, exact)

    before = tagger.logits(seed_units[:20])
    tagger.backend = Counting(tagger.model, torch.device("cpu"))
    after = tagger.logits(seed_units[:20])
    assert sum(calls) >= 20
    for task in TASKS:
        np.testing.assert_allclose(before[task], after[task], atol=1e-6)


def test_an_unknown_backend_is_refused(tiny_model):
    with pytest.raises(ValueError, match="backend must be torch or onnx"):
        Tagger.load(tiny_model, backend="tpu")
