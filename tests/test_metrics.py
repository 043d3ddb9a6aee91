import numpy as np
import pytest

from govtag.training.metrics import confusion, expected_calibration_error, macro_f1_interval, reliability, task_metrics

LABELS = ("a", "b", "c")
GOLD = ["a", "a", "a", "b", "b", "c"]
PRED = ["a", "a", "b", "b", "c", "c"]


def test_task_metrics_match_hand_computed_values():
    m = task_metrics(GOLD, PRED, LABELS)
    assert m["accuracy"] == pytest.approx(4 / 6)
    # a: P=2/2 R=2/3 F1=0.8; b: P=1/2 R=1/2 F1=0.5; c: P=1/2 R=1/1 F1=2/3
    assert m["per_class"]["a"] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    assert m["per_class"]["b"]["f1"] == pytest.approx(0.5)
    assert m["per_class"]["c"]["f1"] == pytest.approx(2 / 3)
    assert m["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_macro_f1_ignores_labels_absent_from_gold_and_predictions():
    m = task_metrics(["a", "b"], ["a", "b"], LABELS)
    assert m["macro_f1"] == 1.0
    assert m["per_class"]["c"]["support"] == 0


def test_confusion_rows_are_gold_in_schema_order():
    assert confusion(GOLD, PRED, LABELS) == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_expected_calibration_error_by_hand():
    # bin (0.8, 0.9]: conf 0.85, 0.85 → acc 0.5 (gap 0.35); bin (0.9, 1.0]: conf 1.0, acc 1.0 (gap 0)
    conf = np.array([0.85, 0.85, 1.0, 1.0])
    correct = np.array([1, 0, 1, 1])
    assert expected_calibration_error(conf, correct) == pytest.approx(0.5 * 0.35)
    bins = reliability(conf, correct)
    assert sum(b["count"] for b in bins) == 4 and bins[8]["accuracy"] == 0.5


def test_macro_f1_interval_resamples_whole_documents():
    # A is all right, B all wrong: a resample of two documents is AA (F1 1), AB (0.5) or BB (0),
    # drawn with chances 1/4, 1/2, 1/4, so the 95% interval runs from 0 to 1.
    gold, pred = np.array([0, 1, 0, 1]), np.array([0, 1, 1, 0])
    assert macro_f1_interval(gold, pred, 2, ["A", "A", "B", "B"]) == [0.0, 1.0]
    # One document: every resample is that document, so the interval is the point.
    assert macro_f1_interval(gold, pred, 2, ["A"] * 4) == [0.5, 0.5]
    # Each unit its own document: AB-style mixing, the interval is narrower than 0..1 but holds 0.5.
    low, high = macro_f1_interval(np.tile(gold, 25), np.tile(pred, 25), 2, list(range(100)))
    assert 0 < low < 0.5 < high < 1
