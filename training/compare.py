"""`govtag compare OLD NEW`: both models on the same gold units, paired bootstrap, changed units, promotion.

The bootstrap resamples documents with replacement (1000 times, fixed seed), each drawn document
bringing all its units: units of one report are not independent, and resampling them one by one would
give too narrow an interval. OLD and NEW are scored on the same resample each time, so the 95% interval
is that of the paired difference NEW − OLD.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from labels.schema import TASKS, Schema

RESAMPLES = 1000
SEED = 0
METRICS = ("domain_accuracy", "domain_macro_f1", "type_accuracy", "type_macro_f1", "mean_macro_f1")
RULE = ("promote NEW unless it is worse beyond noise, i.e. unless the upper bound of the 95% paired-bootstrap "
        "interval of NEW − OLD mean macro-F1 (over domain and type) is below 0")


def macro_f1(gold: np.ndarray, pred: np.ndarray, k: int, weights: np.ndarray) -> np.ndarray:
    """Macro-F1 over the classes present in gold or predictions, one value per row of unit weights."""
    f1, present = [], []
    for c in range(k):
        g, p = (gold == c).astype(float), (pred == c).astype(float)
        tp, total = weights @ (g * p), weights @ (g + p)
        f1.append(np.where(total > 0, 2 * tp / np.maximum(total, 1e-12), 0.0))
        present.append(total > 0)
    f1_, present_ = np.stack(f1, 1), np.stack(present, 1)
    return (f1_ * present_).sum(1) / np.maximum(present_.sum(1), 1)


def accuracy(gold: np.ndarray, pred: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return weights @ (gold == pred).astype(float) / weights.sum(1)


def all_metrics(gold: dict, pred: dict, sizes: dict, weights: np.ndarray) -> dict[str, np.ndarray]:
    out = {}
    for t in TASKS:
        out[f"{t}_accuracy"] = accuracy(gold[t], pred[t], weights)
        out[f"{t}_macro_f1"] = macro_f1(gold[t], pred[t], sizes[t], weights)
    out["mean_macro_f1"] = np.mean([out[f"{t}_macro_f1"] for t in TASKS], axis=0)
    return out


def paired_bootstrap(gold: dict, old: dict, new: dict, sizes: dict, resamples: int = RESAMPLES,
                     seed: int = SEED, docs: list | None = None) -> dict[str, dict]:
    """Per metric: OLD, NEW, NEW − OLD on all units, and the 95% interval of NEW − OLD over resamples.

    gold/old/new map each task to an array of class indices, one per unit; sizes to the class count;
    docs gives each unit's document (default: every unit its own)."""
    n = len(gold[TASKS[0]])
    point = np.ones((1, n))
    doc_of = np.unique(np.asarray(docs if docs is not None else np.arange(n), dtype=str), return_inverse=True)[1]
    n_docs = int(doc_of.max()) + 1 if n else 0
    drawn = np.random.default_rng(seed).multinomial(n_docs, np.full(n_docs, 1 / n_docs), size=resamples)
    weights = drawn[:, doc_of].astype(float)  # a unit counts as often as its document was drawn
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
    from .data import load_labeled, load_splits, read_units, resection, split_units

    if Path(data).is_file():
        return resection(read_units(data, schema))
    return split_units(load_labeled(data, schema), load_splits(splits))[split]


def compare_models(old_dir: str | Path, new_dir: str | Path, units: list[dict],
                   resamples: int = RESAMPLES, seed: int = SEED) -> dict:
    from inference.tagger import Tagger

    taggers = {"old": Tagger.load(old_dir), "new": Tagger.load(new_dir)}
    schema = taggers["new"].schema
    if not units:
        raise ValueError("no gold units to compare on")
    pred = {side: {t: p.argmax(-1) for t, p in tagger.probabilities(units).items()} for side, tagger in taggers.items()}
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
