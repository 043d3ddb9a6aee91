"""The Tagger (inference/tagger.py): predictions, batching and documents tagged at once."""

import threading
import time

import numpy as np
import pytest
import torch

from govtag.inference.tagger import Tagger


def test_save_load_gives_the_same_predictions(tiny_model, seed_units):
    units = seed_units[:40]
    first = Tagger.load(tiny_model).predict(units, with_probs=True)
    second = Tagger.load(tiny_model).predict(units, with_probs=True)
    assert first == second
    assert {"domain", "type", "domain_score", "type_score", "domain_probs", "review"} <= set(first[0])
    assert sum(first[0]["type_probs"].values()) == pytest.approx(1.0, abs=1e-3)


def test_batching_and_length_sorting_do_not_change_predictions(tiny_model, seed_units):
    units = seed_units[:50]
    one_by_one = Tagger.load(tiny_model, batch_size=1).probabilities(units)
    batched = Tagger.load(tiny_model, batch_size=16).probabilities(units)
    for task in one_by_one:
        assert torch.allclose(torch.tensor(one_by_one[task]), torch.tensor(batched[task]), atol=1e-4)


def test_documents_tagged_at_once_come_back_in_order_and_the_same(tiny_model, seed_units):
    docs = [[u for u in seed_units if u["doc_id"] == d] for d in dict.fromkeys(u["doc_id"] for u in seed_units)]
    alone = Tagger.load(tiny_model, workers=1)
    together = Tagger.load(tiny_model, threads=2, workers=2)
    assert (alone.workers, together.workers, together.threads) == (1, 2, 1)
    assert list(together.map_documents(alone.predict, docs)) == [alone.predict(d) for d in docs]
    assert list(together.map_documents(together.predict, docs)) == [alone.predict(d) for d in docs]
    mixed = [u for pair in zip(seed_units[:30], seed_units[-30:]) for u in pair]  # two documents, interleaved
    by_document = together.document_probabilities(mixed)
    for task, p in alone.probabilities(mixed).items():
        assert np.allclose(p, by_document[task], atol=1e-5)


def test_map_documents_holds_few_documents_and_stops_at_an_error(tiny_model):
    tagger = Tagger.load(tiny_model, threads=2, workers=2)
    started, lock = [], threading.Lock()

    def tag(n):
        with lock:
            started.append(n)
        time.sleep(0.01 * (n % 3))
        if n == 5:
            raise KeyError(n)
        return n * n

    results = tagger.map_documents(tag, iter(range(100)))
    assert [next(results) for _ in range(3)] == [0, 1, 4]
    assert max(started) <= 2 + tagger.workers  # read ahead: at most `workers` beyond the one handed back
    with pytest.raises(KeyError):
        list(results)
    assert max(started) < 10  # no document submitted after the failure was seen


def test_a_separate_context_model_encodes_each_heading_path_once(tiny_separate_model, seed_units, monkeypatch):
    from govtag.inference.model_inputs import encode, model_contexts, model_texts
    from govtag.training.data import Collator

    tagger = Tagger.load(tiny_separate_model, backend="torch")
    tagger.tfidf = None  # the encoder's logits alone
    cfg, units = tagger.cfg, seed_units[:60]
    rows = []
    embed = tagger.model.embed
    monkeypatch.setattr(
        tagger.model,
        "embed",
        lambda input_ids, *args, **kwargs: rows.append(len(input_ids)) or embed(input_ids, *args, **kwargs),
    )
    logits = tagger.logits(units)
    assert sum(rows) == len(units) + len(set(model_contexts(units, cfg.model)))
    enc = encode(
        tagger.tokenizer,
        model_texts(units, cfg.model),
        model_contexts(units, cfg.model),
        cfg.model.max_length,
        separate=True,
    )
    with torch.no_grad():  # every unit with its own heading path, as in training
        direct = tagger.model(**Collator(tagger.tokenizer)([{k: v[i] for k, v in enc.items()} for i in range(60)]))
    for task in ("domain", "type"):
        assert torch.allclose(torch.from_numpy(logits[task]), direct[f"{task}_logits"], atol=1e-5)
