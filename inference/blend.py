"""The model's scores with `model.tfidf_blend`: the encoder's log-probabilities and the TF-IDF model's, pooled
log-linearly with one weight per task, fitted on dev (docs/model.md)."""

from __future__ import annotations

import numpy as np

WEIGHTS = np.round(np.arange(0.0, 1.0, 0.1), 1)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def blend(logits: np.ndarray, tfidf_probs: np.ndarray | None, weight: float) -> np.ndarray:
    """(1 − w) · log softmax(logits) + w · log p_tfidf; with w = 0 the logits as they are (softmax gives the
    same either way)."""
    if tfidf_probs is None or not weight:
        return logits
    return (1 - weight) * log_softmax(logits) + weight * np.log(np.clip(tfidf_probs, 1e-9, None))


def fit_weight(logits: np.ndarray, tfidf_probs: np.ndarray, gold: np.ndarray) -> float:
    """The weight on the grid 0, 0.1 … 0.9 with the best macro-F1 on dev (of equals, the smallest)."""
    from sklearn.metrics import f1_score

    if len(gold) == 0:
        return 0.0
    scores = [f1_score(gold, blend(logits, tfidf_probs, w).argmax(-1), average="macro") for w in WEIGHTS]
    return float(WEIGHTS[int(np.argmax(np.round(scores, 6)))])
