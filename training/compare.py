"""`govtag compare OLD NEW`: both models on the same gold units, paired bootstrap, changed units, promotion.

The bootstrap resamples whole documents (`metrics.paired_bootstrap`). OLD and NEW are scored on the same
resample each time, so the 95% interval is that of the paired difference NEW − OLD.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..inference.loading import load_tagger
from ..inference.model_inputs import contextualize
from ..labels.corpus import load_labeled, load_splits, read_units, split_units
from ..labels.schema import TASKS, Schema
from .metrics import RESAMPLES, SEED, paired_bootstrap
from .registry import load_registry, name_of, register_bundle, save_registry, set_default

RULE = (
    "promote NEW unless it is worse beyond noise, i.e. unless the upper bound of the 95% paired-bootstrap "
    "interval of NEW − OLD mean macro-F1 (over domain and type) is below 0"
)


MIN_DOCUMENTS = 5  # fewer, and the resamples of whole documents say little about noise


def decide(metrics: dict, documents: int | None = None) -> tuple[bool, str]:
    """The promotion rule (RULE) and its explanation."""
    m = metrics["mean_macro_f1"]
    interval = f"mean macro-F1 {m['old']:.3f} → {m['new']:.3f} (Δ {m['delta']:+.3f}, 95% CI [{m['ci'][0]:+.3f}, {m['ci'][1]:+.3f}])"
    caveat = (
        f" (only {documents} document(s): the interval is unreliable; compare on more)"
        if documents is not None and documents < MIN_DOCUMENTS
        else ""
    )
    if m["ci"][1] < 0:
        return False, f"refused: NEW is worse beyond noise, {interval}: the whole interval is below 0{caveat}"
    where = "the whole interval is above 0" if m["ci"][0] > 0 else "the interval reaches 0 or above"
    return True, f"promote: NEW is not worse beyond noise, {interval}: {where}{caveat}"


def changed_units(units: list[dict], old: dict, new: dict, schema: Schema) -> list[dict]:
    """Units whose prediction changed, with gold, OLD and NEW labels and whether NEW fixed or broke them."""
    rows = []
    for i, u in enumerate(units):
        if all(old[t][i] == new[t][i] for t in TASKS):
            continue
        labels = {side: {t: schema.labels(t)[p[t][i]] for t in TASKS} for side, p in (("old", old), ("new", new))}
        right = {side: sum(labels[side][t] == u[t] for t in TASKS) for side in labels}
        effect = "fixed" if right["new"] > right["old"] else "broken" if right["new"] < right["old"] else "changed"
        rows.append(
            {
                "doc_id": u["doc_id"],
                "seq": u["seq"],
                "text": u["text"],
                "effect": effect,
                "gold": {t: u[t] for t in TASKS},
                **labels,
            }
        )
    return rows


def gold_units(data: str | Path, splits: str | Path, split: str, schema: Schema) -> list[dict]:
    """A labeled JSONL file as is, or one split of a labeled data directory."""
    if Path(data).is_file():
        return contextualize(read_units(data, schema))
    return split_units(contextualize(load_labeled(data, schema)), load_splits(splits))[split]


def compare_models(
    old_dir: str | Path, new_dir: str | Path, units: list[dict], resamples: int = RESAMPLES, seed: int = SEED
) -> dict:
    taggers = {"old": load_tagger(old_dir)[0], "new": load_tagger(new_dir)[0]}  # on the path `govtag tag` takes
    schema = taggers["new"].schema
    if not units:
        raise ValueError("no gold units to compare on")
    pred = {
        side: {t: p.argmax(-1) for t, p in tagger.document_probabilities(units).items()}
        for side, tagger in taggers.items()
    }
    gold = {t: np.array([schema.labels(t).index(u[t]) for u in units]) for t in TASKS}
    sizes = {t: len(schema.labels(t)) for t in TASKS}
    metrics = paired_bootstrap(gold, pred["old"], pred["new"], sizes, resamples, seed, [u["doc_id"] for u in units])
    promote, reason = decide(metrics, len({u["doc_id"] for u in units}))
    return {
        "old": str(old_dir),
        "new": str(new_dir),
        "n": len(units),
        "resamples": resamples,
        "seed": seed,
        "metrics": metrics,
        "rule": RULE,
        "promote": promote,
        "reason": reason,
        "changed": changed_units(units, pred["old"], pred["new"], schema),
    }


def promote(result: dict) -> str:
    """Register NEW if needed (parent: OLD), record the comparison on it and make it the default."""
    name = name_of(result["new"]) or register_bundle(result["new"], parent=name_of(result["old"]))
    registry = load_registry()
    registry["models"][name]["compared"] = {
        "against": name_of(result["old"]) or result["old"],
        "n": result["n"],
        "mean_macro_f1": result["metrics"]["mean_macro_f1"],
        "reason": result["reason"],
    }
    save_registry(registry)
    set_default(name)
    return name
