"""Batches cut by padding cost (inference/batching.py)."""

import numpy as np

from govtag.inference.batching import cut_batches, padded_batches


def test_batches_are_cut_where_padding_costs_more_than_a_call():
    lengths = np.array([1, 1, 1, 10, 10])
    # one batch: 5 × 10 + 2 = 52; cut after the short ones: 3 × 1 + 2 + 2 × 10 + 2 = 27
    assert cut_batches(lengths, 16, 2) == [(0, 3), (3, 5)]
    assert cut_batches(lengths, 16, 100) == [(0, 5)]  # a call costs more than the padding it saves
    # at most 2 units: fewest calls, and the least padding among them (2 + 2 + 20, not 1 + 4 + 20)
    assert cut_batches(np.array([1, 1, 2, 10, 10]), 2, 100) == [(0, 2), (2, 3), (3, 5)]
    assert cut_batches(np.array([], dtype=int), 16, 24) == []


def test_padded_batches_sort_by_length_pad_on_the_right_and_cover_every_input_once():
    enc = {"input_ids": [[5, 6, 7], [8], [9, 10], [11]], "attention_mask": [[1, 1, 1], [1], [1, 1], [1]]}
    batches = list(padded_batches(enc, pad_id=0, max_units=2, call_tokens=10))
    seen = np.concatenate([idx for idx, _ in batches])
    assert sorted(seen.tolist()) == [0, 1, 2, 3]
    assert [idx.tolist() for idx, _ in batches] == [[1, 3], [2, 0]]  # shortest first, ties in input order
    idx, batch = batches[1]
    assert batch["input_ids"].tolist() == [[9, 10, 0], [5, 6, 7]]
    assert batch["attention_mask"].tolist() == [[1, 1, 0], [1, 1, 1]]
    assert batch["input_ids"].dtype == np.int64
    assert list(padded_batches({"input_ids": [[1, 2]]}, pad_id=3, max_units=4, call_tokens=0))[0][1][
        "input_ids"
    ].tolist() == [[1, 2]]
