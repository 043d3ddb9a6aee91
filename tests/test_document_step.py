import numpy as np

from govtag.inference.document_step import Smoothing, apply, documents, fit, smooth


def _probs(rows):
    return np.array(rows, dtype=float)


def test_an_unsure_unit_reads_its_neighbours_and_a_sure_one_does_not():
    p = _probs([[0.9, 0.1], [0.45, 0.55], [0.9, 0.1], [0.05, 0.95]])
    out = smooth(p, Smoothing(window=1, weight=0.5, threshold=0.8))
    assert out[1].argmax() == 0  # unsure, between two units sure of class 0
    assert np.allclose(out[[0, 2, 3]], p[[0, 2, 3]])  # sure units are left as they are
    assert np.allclose(out.sum(1), 1)
    assert np.allclose(smooth(p, Smoothing()), p)  # off


def test_documents_are_read_in_seq_order_and_never_mixed():
    units = [{"doc_id": "b", "seq": 1}, {"doc_id": "a", "seq": 1}, {"doc_id": "a", "seq": 0}, {"doc_id": "b", "seq": 0}]
    assert [list(rows) for rows in documents(units)] == [[3, 0], [2, 1]]


def test_a_documents_scores_do_not_depend_on_the_other_documents_tagged_with_it():
    rng = np.random.default_rng(0)
    units = [{"doc_id": d, "seq": i} for d in ("a", "b", "c") for i in range(8)]
    probs = {"domain": rng.dirichlet(np.ones(6), len(units)), "type": rng.dirichlet(np.ones(4), len(units))}
    settings = {"domain": Smoothing(2, 0.5, 0.9), "type": Smoothing(1, 0.35, 0.95)}
    together = apply(probs, units, settings)
    alone = apply({t: p[:8] for t, p in probs.items()}, units[:8], settings)
    shuffled = np.random.default_rng(1).permutation(len(units))
    mixed = apply({t: p[shuffled] for t, p in probs.items()}, [units[i] for i in shuffled], settings)
    for t in probs:
        assert np.allclose(together[t][:8], alone[t])
        assert np.allclose(mixed[t][np.argsort(shuffled)], together[t])


def test_fit_finds_smoothing_where_neighbours_help_and_stays_off_where_they_do_not():
    rng = np.random.default_rng(0)
    gold = np.repeat(np.arange(4), 10)  # runs of ten units of one class, as parts of a report
    noisy = np.full((40, 4), 0.1)
    noisy[np.arange(40), gold] = 0.7
    flipped = rng.choice(40, 8, replace=False)  # a few units unsure and wrong
    noisy[flipped] = 0.1
    noisy[flipped, (gold[flipped] + 1) % 4] = 0.4
    noisy[flipped, gold[flipped]] = 0.35
    noisy /= noisy.sum(1, keepdims=True)
    units = [{"doc_id": "d", "seq": i} for i in range(40)]
    s = fit(noisy, gold, units)
    assert not s.off and (smooth(noisy, s).argmax(1) == gold).mean() > (noisy.argmax(1) == gold).mean()
    right = np.eye(4)[gold] * 0.9 + 0.025
    assert fit(right, gold, units).off  # nothing to gain: no smoothing


def test_near_ties_of_either_task():
    from govtag.inference.document_step import near_ties

    probs = {"domain": _probs([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4]]), "type": _probs([[1, 0], [0.55, 0.45], [1, 0]])}
    assert near_ties(probs, 0.15).tolist() == [True, True, False]
