"""Temperature calibration (inference/calibration.py)."""

import numpy as np

from govtag.inference.calibration import fit_temperature, softmax


def test_temperature_scaling_softens_overconfident_logits():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3))
    logits[np.arange(300), gold] += 1.0
    logits *= 6  # overconfident
    t = fit_temperature(logits, gold)
    assert t > 2.0
    assert np.allclose(softmax(logits, t).sum(-1), 1.0)
    assert fit_temperature(logits[:0], gold[:0]) == 1.0
