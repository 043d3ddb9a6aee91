"""Classification metrics and calibration error, from label strings and probabilities; bootstrap intervals.

The bootstrap resamples documents with replacement (1000 times, fixed seed), each drawn document bringing
all its units: units of one report are not independent, and resampling them one by one would give too
narrow an interval.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from ..labels.schema import TASKS

RESAMPLES = 1000
SEED = 0


def task_metrics(gold: list[str], pred: list[str], labels: tuple[str, ...]) -> dict:
    """Accuracy, macro-F1 over the labels present in gold or predictions, and per-class P/R/F1."""
    present = [label for label in labels if label in set(gold) | set(pred)]
    p, r, f, support = precision_recall_fscore_support(gold, pred, labels=list(labels), zero_division=0)
    return {
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, labels=present, average="macro", zero_division=0)),
        "per_class": {
            label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(support[i])}
            for i, label in enumerate(labels)
        },
    }


def confusion(gold: list[str], pred: list[str], labels: tuple[str, ...]) -> list[list[int]]:
    """Rows are gold labels, columns predictions, both in schema order."""
    return confusion_matrix(gold, pred, labels=list(labels)).tolist()


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Mean |accuracy − confidence| over equal-width confidence bins, weighted by bin size."""
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, float)
    if confidence.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        in_bin = idx == b
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> list[dict]:
    """Per-bin mean confidence, accuracy and count, for the reliability plot."""
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    return [
        {
            "low": float(edges[b]),
            "high": float(edges[b + 1]),
            "count": int((idx == b).sum()),
            "confidence": float(confidence[idx == b].mean()) if (idx == b).any() else None,
            "accuracy": float(correct[idx == b].mean()) if (idx == b).any() else None,
        }
        for b in range(bins)
    ]


def document_resamples(docs: list, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """(resamples × units) weights: how often each unit's document was drawn in each resample."""
    doc_of = np.unique(np.asarray(docs, dtype=str), return_inverse=True)[1]
    n_docs = int(doc_of.max()) + 1 if len(docs) else 0
    drawn = np.random.default_rng(seed).multinomial(n_docs, np.full(n_docs, 1 / max(n_docs, 1)), size=resamples)
    return drawn[:, doc_of].astype(float)


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


def macro_f1_interval(gold: np.ndarray, pred: np.ndarray, k: int, docs: list) -> list[float]:
    """The 95% document-bootstrap interval of macro-F1 (gold and pred: class indices, k classes)."""
    low, high = np.percentile(macro_f1(gold, pred, k, document_resamples(docs)), [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


METRICS = ("domain_accuracy", "domain_macro_f1", "type_accuracy", "type_macro_f1", "mean_macro_f1")


def paired_bootstrap(
    gold: dict,
    old: dict,
    new: dict,
    sizes: dict,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    docs: list | None = None,
) -> dict[str, dict]:
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
        out[m] = {
            "old": round(float(base_old[m][0]), 4),
            "new": round(float(base_new[m][0]), 4),
            "delta": round(float(base_new[m][0] - base_old[m][0]), 4),
            "ci": [round(float(low), 4), round(float(high), 4)],
        }
    return out
