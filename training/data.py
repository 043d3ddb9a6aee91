"""Training data: the labeled units of a config's data and splits, blanked context, batches for the Trainer."""

from __future__ import annotations

import numpy as np

from ..inference.model_inputs import CONTEXT, contextualize, encode, model_contexts, model_texts
from ..labels.corpus import load_labeled, load_splits, split_units
from ..labels.schema import TASKS, Schema


def labeled_splits(cfg, schema: Schema) -> dict[str, list[dict]]:
    """The train, dev and test units of a config's data (`cfg.data`), with their context as when tagging."""
    units = contextualize(load_labeled(cfg.resolve(cfg.data.dir), schema))
    return split_units(units, load_splits(cfg.resolve(cfg.data.splits)))


def drop_context(units: list[dict], share: float, seed: int) -> list[dict]:
    """Copies of the units with a fixed random `share` of heading paths blanked, as units of an excerpt copied from
    a web page have none, and, drawn apart, the same share of titles; the labels stay."""
    if share <= 0:
        return units
    rng = np.random.default_rng(seed)
    blank = {key: rng.random(len(units)) < share for key in ("section", "title")}
    return [{**u, **{key: "" for key in blank if blank[key][i]}} for i, u in enumerate(units)]


class Collator:
    """Pads a batch of encoded units: the unit's ids and, read separately, its heading path's."""

    def __init__(self, tokenizer):
        from transformers import DataCollatorWithPadding

        self.pad = DataCollatorWithPadding(tokenizer)

    def __call__(self, features: list[dict]) -> dict:
        batch = self.pad([{k: v for k, v in f.items() if not k.startswith(CONTEXT)} for f in features])
        heading = [{k[len(CONTEXT) :]: v for k, v in f.items() if k.startswith(CONTEXT)} for f in features]
        if heading[0]:
            batch.update({CONTEXT + k: v for k, v in self.pad(heading).items()})
        return batch


def to_dataset(units: list[dict], tokenizer, schema: Schema, model):
    """A `datasets.Dataset` of token ids and label ids, ready for the Trainer (`model`: a ModelConfig)."""
    from datasets import Dataset

    index = {task: {label: i for i, label in enumerate(schema.labels(task))} for task in TASKS}
    ds = Dataset.from_dict(
        {
            "text": model_texts(units, model),
            "context": model_contexts(units, model),
            "domain_labels": [index["domain"][u["domain"]] for u in units],
            "type_labels": [index["type"][u["type"]] for u in units],
        }
    )
    return ds.map(
        lambda b: encode(tokenizer, b["text"], b["context"], model.max_length, model.separate_context),
        batched=True,
        remove_columns=["text", "context"],
    )
