"""The document step: a unit the model is unsure of reads its neighbours in the same document.

Gated neighbour smoothing: where a unit's top probability is under `threshold`, its log-probabilities are mixed
with the mean log-probabilities of the `window` units on each side (its document's units in reading order):
(1 − weight) · log p_unit + weight · mean log p_neighbours, then normalised. One setting per task, fitted by
`fit` on the dev split, whose scores come from an encoder that never trained on it (so they are not
over-confident the way training units' scores are). A document's units are smoothed only among themselves, so
its tags never depend on which other documents were tagged with it. docs/quality.md says what it adds and what
a learned step did instead.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import numpy as np

WINDOWS = (1, 2, 3)
WEIGHTS = (0.2, 0.35, 0.5, 0.65)
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)  # 1.01: every unit


@dataclass(frozen=True)
class Smoothing:
    window: int = 0  # neighbours on each side; 0: off
    weight: float = 0.0
    threshold: float = 0.0

    @property
    def off(self) -> bool:
        return not (self.window and self.weight and self.threshold)

    def to_dict(self) -> dict:
        return asdict(self)


def _softmax_rows(logp: np.ndarray) -> np.ndarray:
    z = np.exp(logp - logp.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


def smooth(probs: np.ndarray, s: Smoothing) -> np.ndarray:
    """The probabilities (units × labels) of ONE document in reading order, smoothed."""
    n = len(probs)
    if s.off or n < 2:
        return probs
    logp = np.log(np.clip(probs, 1e-9, None))
    cumulative = np.vstack([np.zeros((1, probs.shape[1])), np.cumsum(logp, 0)])
    idx = np.arange(n)
    lo, hi = np.maximum(idx - s.window, 0), np.minimum(idx + s.window + 1, n)
    count = (hi - lo - 1)[:, None]
    neighbours = (cumulative[hi] - cumulative[lo] - logp) / np.maximum(count, 1)
    gate = probs.max(1) < s.threshold
    out = probs.copy()
    out[gate] = _softmax_rows((1 - s.weight) * logp[gate] + s.weight * neighbours[gate])
    return out


def documents(units: list[dict]) -> list[np.ndarray]:
    """Row indices of each document's units, in reading order (by seq)."""
    where: dict[str, list[int]] = {}
    for i, u in enumerate(units):
        where.setdefault(str(u.get("doc_id", "")), []).append(i)
    return [np.array(sorted(rows, key=lambda i: (units[i].get("seq", 0), i))) for rows in where.values()]


def apply(probs: dict[str, np.ndarray], units: list[dict], settings: dict[str, Smoothing]) -> dict[str, np.ndarray]:
    """Every task's probabilities (rows in the order of `units`) smoothed within each document."""
    out = {}
    for task, p in probs.items():
        s = settings.get(task, Smoothing())
        if s.off:
            out[task] = p
            continue
        out[task] = p.copy()
        for rows in documents(units):
            out[task][rows] = smooth(p[rows], s)
    return out


def near_ties(probs: dict[str, np.ndarray], margin: float) -> np.ndarray:
    """Units whose two best probabilities of either task are closer than `margin`."""
    close = np.zeros(len(next(iter(probs.values()))), dtype=bool)
    for p in probs.values():
        top = np.sort(p, axis=1)
        close |= top[:, -1] - top[:, -2] < margin
    return close


def _macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, average="macro"))


def fit(probs: np.ndarray, gold: np.ndarray, units: list[dict]) -> Smoothing:
    """The setting with the best macro-F1 of one task on (dev) units, off unless one beats no smoothing; of
    equals, the smallest change (narrowest window, least weight, lowest threshold)."""
    docs = documents(units)
    best, best_score = Smoothing(), _macro_f1(gold, probs.argmax(1))
    for window, weight, threshold in itertools.product(WINDOWS, WEIGHTS, THRESHOLDS):
        s = Smoothing(window, weight, threshold)
        pred = probs.argmax(1).copy()
        for rows in docs:
            pred[rows] = smooth(probs[rows], s).argmax(1)
        score = _macro_f1(gold, pred)
        if score > best_score + 1e-9:
            best, best_score = s, score
    return best


def from_dict(raw: dict | None) -> dict[str, Smoothing]:
    return {task: Smoothing(**values) for task, values in (raw or {}).items()}
