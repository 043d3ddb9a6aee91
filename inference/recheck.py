"""Which int8 scores to compute again in fp32: int8 flips a small share of the labels, most of them near ties
(docs/speed.md)."""

from __future__ import annotations

import numpy as np

from . import document_step


def rows_to_recheck(
    probs: dict[str, np.ndarray], units: list[dict], margin: float, step: dict | None = None
) -> np.ndarray:
    """Indices of the units whose two best scores of a task are closer than `margin`; with a document step
    (task → `Smoothing`), also those that are near ties once smoothed (their neighbours keep their int8
    scores: re-checking them too agreed hardly better and cost more, docs/speed.md)."""
    redo = document_step.near_ties(probs, margin)
    if step:
        redo |= document_step.near_ties(document_step.apply(probs, units, step), margin)
    return np.flatnonzero(redo)
