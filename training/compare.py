"""`govtag compare OLD NEW`: both models on the same gold units, paired bootstrap, changed units, promotion.

The bootstrap resamples whole documents (`metrics.document_resamples`). OLD and NEW are scored on the same
resample each time, so the 95% interval is that of the paired difference NEW − OLD.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from labels.schema import TASKS, Schema

from .metrics import RESAMPLES, SEED, all_metrics, document_resamples

METRICS = ("domain_accuracy", "domain_macro_f1", "type_accuracy", "type_macro_f1", "mean_macro_f1")
RULE = ("promote NEW unless it is worse beyond noise, i.e. unless the upper bound of the 95% paired-bootstrap "
        "interval of NEW − OLD mean macro-F1 (over domain and type) is below 0")


def paired_bootstrap(gold: dict, old: dict, new: dict, sizes: dict, resamples: int = RESAMPLES,
                     seed: int = SEED, docs: list | None = None) -> dict[str, dict]:
    """Per metric: OLD, NEW, NEW − OLD on all units, and the 95% interval of NEW − OLD over resamples.

    gold/old/new map each task to an array of class indices, one per unit; sizes to the class count;
    docs gives each unit's document (default: every unit its own)."""
    n = len(gold[TASKS[0]])
    point = np.ones((1, n))
    weights = document_resamples(docs if docs is not None else list(range(n)), resamples, seed)
    base_old, base_new = all_metrics(gold, old, sizes, point), all_metrics(gold, new, sizes, point)
    boot_old, boot_new = all_metrics(gold, old, sizes, weights), all_metrics(gold, new, sizes, weights)
    out = {}
    for m in METRICS:
        low, high = np.percentile(boot_new[m] - boot_old[m], [2.5, 97.5])
        out[m] = {"old": round(float(base_old[m][0]), 4), "new": round(float(base_new[m][0]), 4),
                  "delta": round(float(base_new[m][0] - base_old[m][0]), 4),
                  "ci": [round(float(low), 4), round(float(high), 4)]}
    return out


MIN_DOCUMENTS = 5  # fewer, and the resamples of whole documents say little about noise


def decide(metrics: dict, documents: int | None = None) -> tuple[bool, str]:
    """The promotion rule (RULE) and its explanation."""
    m = metrics["mean_macro_f1"]
    interval = f"mean macro-F1 {m['old']:.3f} → {m['new']:.3f} (Δ {m['delta']:+.3f}, 95% CI [{m['ci'][0]:+.3f}, {m['ci'][1]:+.3f}])"
    caveat = (f" (only {documents} document(s): the interval is unreliable; compare on more)"
              if documents is not None and documents < MIN_DOCUMENTS else "")
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
        rows.append({"doc_id": u["doc_id"], "seq": u["seq"], "text": u["text"], "effect": effect,
                     "gold": {t: u[t] for t in TASKS}, **labels})
    return rows


def gold_units(data: str | Path, splits: str | Path, split: str, schema: Schema) -> list[dict]:
    """A labeled JSONL file as is, or one split of a labeled data directory."""
    from .data import load_labeled, load_splits, read_units, contextualize, split_units

    if Path(data).is_file():
        return contextualize(read_units(data, schema))
    return split_units(load_labeled(data, schema), load_splits(splits))[split]


def compare_models(old_dir: str | Path, new_dir: str | Path, units: list[dict],
                   resamples: int = RESAMPLES, seed: int = SEED) -> dict:
    from inference.tagger import Tagger

    taggers = {"old": Tagger.load(old_dir), "new": Tagger.load(new_dir)}
    schema = taggers["new"].schema
    if not units:
        raise ValueError("no gold units to compare on")
    pred = {side: {t: p.argmax(-1) for t, p in tagger.document_probabilities(units).items()}
            for side, tagger in taggers.items()}
    gold = {t: np.array([schema.labels(t).index(u[t]) for u in units]) for t in TASKS}
    sizes = {t: len(schema.labels(t)) for t in TASKS}
    metrics = paired_bootstrap(gold, pred["old"], pred["new"], sizes, resamples, seed, [u["doc_id"] for u in units])
    promote, reason = decide(metrics, len({u["doc_id"] for u in units}))
    return {"old": str(old_dir), "new": str(new_dir), "n": len(units), "resamples": resamples, "seed": seed,
            "metrics": metrics, "rule": RULE, "promote": promote, "reason": reason,
            "changed": changed_units(units, pred["old"], pred["new"], schema)}


def promote(result: dict) -> str:
    """Register NEW if needed (parent: OLD), record the comparison on it and make it the default."""
    from .registry import load_registry, name_of, register_bundle, save_registry, set_default

    name = name_of(result["new"]) or register_bundle(result["new"], parent=name_of(result["old"]))
    registry = load_registry()
    registry["models"][name]["compared"] = {
        "against": name_of(result["old"]) or result["old"], "n": result["n"],
        "mean_macro_f1": result["metrics"]["mean_macro_f1"], "reason": result["reason"]}
    save_registry(registry)
    set_default(name)
    return name
