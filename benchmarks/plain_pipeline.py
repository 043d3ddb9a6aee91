"""The plain `transformers` code the speed benchmarks measure govtag against.

The model has two heads, so it cannot be wrapped as a text-classification pipeline; the nearest plain
code is a small `transformers.Pipeline` subclass (tokenize the unit with its heading context → encoder →
pooling → both heads; with a separate context, the encoder reads the text and the heading path in turn),
called one unit at a time. "feature-extraction" would not do: it cannot take the
(text, heading context) pair the model is trained on. A model with a TF-IDF part (`model.tfidf_blend`) has
its scores blended in the pipeline's postprocessing, as govtag does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from transformers import Pipeline

from govtag.inference.baseline import Baseline
from govtag.inference.calibration import softmax
from govtag.inference.config import Config
from govtag.inference.document_step import apply
from govtag.inference.model import GovTagModel
from govtag.inference.model_inputs import encode, model_contexts, model_texts
from govtag.labels.schema import TASKS


def plain_pipeline(
    model: GovTagModel,
    tokenizer,
    cfg: Config,
    device: str = "cpu",
    schema=None,
    tfidf: Baseline | None = None,
    temperature: dict | None = None,
    document_step: dict | None = None,
) -> Callable[[list[dict]], list]:
    """A function units → [(domain index, type index)], running a `transformers.Pipeline` once per unit on the
    text the model reads (a heading with the start of the next unit: `model_texts`); with `document_step`, the
    units' scores (calibrated by `temperature`) are then smoothed within each document."""

    class GovTagPipeline(Pipeline):
        def _sanitize_parameters(self, **kwargs):
            return {}, {}, {}

        def preprocess(self, unit: dict):
            enc = encode(
                self.tokenizer,
                [unit["model_text"]],
                [unit["model_context"]],
                cfg.model.max_length,
                cfg.model.separate_context,
            )
            return {"unit": unit, **{k: torch.tensor(v) for k, v in enc.items()}}

        def _forward(self, inputs):
            return {"unit": inputs.pop("unit"), **model(**inputs)}

        def postprocess(self, outputs):
            logits = {t: outputs[f"{t}_logits"].float().numpy() for t in TASKS}
            if tfidf:
                logits = tfidf.blend(logits, tfidf.probabilities([outputs["unit"]], schema))
            return logits

    model.eval().to(device)
    pipe = GovTagPipeline(model=model.encoder, tokenizer=tokenizer, device=torch.device(device))

    def labels(units: list[dict]) -> list[tuple[int, int]]:
        rows = [
            pipe({**u, "model_text": text, "model_context": context})
            for u, text, context in zip(units, model_texts(units, cfg.model), model_contexts(units, cfg.model))
        ]
        probs = {t: softmax(np.concatenate([r[t] for r in rows]), (temperature or {}).get(t, 1.0)) for t in TASKS}
        if document_step:
            probs = apply(probs, units, document_step)
        return list(zip(*(probs[t].argmax(1).tolist() for t in TASKS)))

    return labels
