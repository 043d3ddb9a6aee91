import numpy as np

from govtag.inference.blend import blend, fit_weight, log_softmax


def test_no_weight_leaves_the_logits_as_they_are():
    logits = np.array([[1.0, 2.0, 0.5]], dtype=np.float32)
    assert blend(logits, np.array([[0.8, 0.1, 0.1]]), 0.0) is logits
    assert blend(logits, None, 0.5) is logits


def test_blend_pools_log_probabilities():
    logits, probs = np.array([[0.0, np.log(3.0)]]), np.array([[0.5, 0.5]])  # encoder: 0.25 / 0.75
    expected = 0.5 * np.log([[0.25, 0.75]]) + 0.5 * np.log([[0.5, 0.5]])
    assert np.allclose(blend(logits, probs, 0.5), expected)
    assert np.allclose(np.exp(log_softmax(logits)), [[0.25, 0.75]])
    assert np.isfinite(blend(logits, np.array([[1.0, 0.0]]), 0.5)).all()  # a probability of 0 is clipped


def test_the_weight_is_the_smallest_with_the_best_dev_macro_f1():
    gold = np.array([0, 1, 0, 1])
    right = np.eye(2)[gold] * 0.8 + 0.1
    wrong = np.log(np.eye(2)[1 - gold] * 0.8 + 0.1)
    assert fit_weight(np.log(right), 1 - right, gold) == 0.0  # the encoder is right, the TF-IDF model wrong
    # the encoder wrong but unsure (0.9 / 0.1 → logit gap 2.2), the TF-IDF model right and sure (0.999)
    sure = np.where(np.eye(2)[gold] == 1, 0.999, 0.001)
    assert fit_weight(wrong, sure, gold) == 0.3  # the first weight at which the TF-IDF model wins every unit
    assert fit_weight(np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0, dtype=int)) == 0.0  # no dev split
