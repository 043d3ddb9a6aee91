"""Which int8 scores are computed again in fp32 (inference/recheck.py)."""

import numpy as np

from govtag.inference.document_step import Smoothing
from govtag.inference.recheck import rows_to_recheck


def probs(domain, type_):
    return {"domain": np.array(domain, dtype=np.float32), "type": np.array(type_, dtype=np.float32)}


UNITS = [{"doc_id": "d", "seq": i} for i in range(3)]


def test_units_whose_two_best_scores_of_either_task_are_close_are_rechecked():
    p = probs([[0.9, 0.1], [0.52, 0.48], [0.8, 0.2]], [[0.7, 0.3], [0.9, 0.1], [0.45, 0.55]])
    assert rows_to_recheck(p, UNITS, margin=0.15).tolist() == [1, 2]
    assert rows_to_recheck(p, UNITS, margin=0.01).tolist() == []


def test_with_a_document_step_units_near_a_tie_once_smoothed_are_rechecked_too():
    # unit 1 is sure alone (0.7) but its neighbours pull it to a near tie once smoothed
    p = probs([[0.05, 0.95], [0.7, 0.3], [0.05, 0.95]], [[0.9, 0.1]] * 3)
    alone = rows_to_recheck(p, UNITS, margin=0.1)
    step = {"domain": Smoothing(1, 0.25, 1.01)}  # unit 1: 0.70 → about 0.47
    smoothed = rows_to_recheck(p, UNITS, margin=0.1, step=step)
    assert 1 not in alone.tolist() and 1 in smoothed.tolist()
    assert set(alone.tolist()) <= set(smoothed.tolist())
