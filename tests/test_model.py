import os
import re
import shutil

import numpy as np
import pytest
import torch
import yaml

from inference.tagger import Tagger, cut_batches
from training.bundle import ModelDirError, load_bundle
from training.model import GovTagModel, class_weights


def test_forward_returns_logits_for_both_heads_and_a_loss(tiny_config):
    from training.backbone import load_backbone

    encoder, tokenizer = load_backbone(tiny_config.backbone)
    model = GovTagModel(encoder, 6, 4)
    batch = tokenizer(["加强党建", "完成改造"], ["一、工作", ""], padding=True, return_tensors="pt")
    out = model(**batch, domain_labels=torch.tensor([0, 2]), type_labels=torch.tensor([0, 0]))
    assert out["domain_logits"].shape == (2, 6) and out["type_logits"].shape == (2, 4)
    assert out["loss"].item() > 0
    out["loss"].backward()


def test_a_separate_context_gives_the_heads_both_vectors_and_their_product(tiny_config):
    from training.backbone import load_backbone

    encoder, tokenizer = load_backbone(tiny_config.backbone)
    model = GovTagModel(encoder, 6, 4, separate_context=True).eval()
    assert model.domain_head.in_features == 3 * encoder.config.hidden_size
    text, heading = tokenizer(["加强党建"], return_tensors="pt"), tokenizer(["一、工作"], return_tensors="pt")
    with torch.no_grad():
        out = model(**text, context_input_ids=heading["input_ids"], context_attention_mask=heading["attention_mask"])
        u, h = model.embed(**text), model.embed(heading["input_ids"], heading["attention_mask"])
    assert torch.allclose(out["domain_logits"], model.domain_head(torch.cat([u, h, u * h], -1)))


def test_distinct_headings_are_encoded_once_in_short_passes_with_the_same_vectors(tiny_config, monkeypatch):
    from training.backbone import load_backbone

    encoder, tokenizer = load_backbone(tiny_config.backbone)
    model = GovTagModel(encoder, 6, 4, separate_context=True).eval()
    paths = ["", "一、工作回顾 > (三)持续改善生态环境质量", "", "二、存在的问题", "一、工作回顾 > (三)持续改善生态环境质量",
             "三、下一步打算", "", "二、存在的问题"]
    batch = tokenizer(paths, padding=True, return_tensors="pt")
    shapes = []
    embed = model.embed
    monkeypatch.setattr(model, "embed", lambda ids, mask: shapes.append(tuple(ids.shape)) or embed(ids, mask))
    with torch.no_grad():
        distinct = model.embed_distinct(batch["input_ids"], batch["attention_mask"], rows_per_pass=2)
    assert [n for n, _ in shapes] == [2, 2]  # four distinct paths of the eight, two per pass...
    assert max(width for _, width in shapes) == batch["input_ids"].shape[1]
    assert min(width for _, width in shapes) < batch["input_ids"].shape[1] // 2  # ...each padded to its own
    with torch.no_grad():
        assert torch.allclose(distinct, embed(batch["input_ids"], batch["attention_mask"]), atol=1e-5)


def test_label_smoothing_spreads_part_of_each_target_over_all_classes(tiny_config):
    from training.backbone import load_backbone

    encoder, tokenizer = load_backbone(tiny_config.backbone)
    batch = tokenizer(["加强党建"], [""], return_tensors="pt")
    labels = dict(domain_labels=torch.tensor([1]), type_labels=torch.tensor([2]))
    plain, smoothed = GovTagModel(encoder, 6, 4).eval(), GovTagModel(encoder, 6, 4, label_smoothing=0.2).eval()
    smoothed.load_state_dict(plain.state_dict())
    with torch.no_grad():
        out, out_smoothed = plain(**batch, **labels), smoothed(**batch, **labels)
    expected = 0
    for task, k in (("domain", 6), ("type", 4)):
        log_p = torch.log_softmax(out[f"{task}_logits"][0], -1)
        target = labels[f"{task}_labels"][0]
        expected += -(0.8 * log_p[target] + 0.2 * log_p.mean())  # 0.2 of the target spread evenly over k classes
    assert out_smoothed["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert out_smoothed["loss"].item() != pytest.approx(out["loss"].item(), rel=1e-3)


def test_class_weights_favour_rare_classes_and_skip_absent_ones():
    w = class_weights([100, 25, 0], "sqrt_inverse")
    assert w[1] == pytest.approx(2 * w[0]) and w[2] == 0
    assert w[:2].mean() == pytest.approx(1.0)
    assert class_weights([1, 2], "none") is None
    with pytest.raises(ValueError):
        class_weights([1, 2], "bogus")


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
    import threading
    import time

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


def test_batches_are_cut_where_padding_costs_more_than_a_call():
    lengths = np.array([1, 1, 1, 10, 10])
    # one batch: 5 × 10 + 2 = 52; cut after the short ones: 3 × 1 + 2 + 2 × 10 + 2 = 27
    assert cut_batches(lengths, 16, 2) == [(0, 3), (3, 5)]
    assert cut_batches(lengths, 16, 100) == [(0, 5)]  # a call costs more than the padding it saves
    # at most 2 units: fewest calls, and the least padding among them (2 + 2 + 20, not 1 + 4 + 20)
    assert cut_batches(np.array([1, 1, 2, 10, 10]), 2, 100) == [(0, 2), (2, 3), (3, 5)]
    assert cut_batches(np.array([], dtype=int), 16, 24) == []


@pytest.mark.parametrize("fixture, tfidf", [("tiny_model", ()), ("tiny_separate_model", ("tfidf.json",
                                                                                          "tfidf.safetensors"))])
def test_model_directory_contents(fixture, tfidf, request):
    model_dir = request.getfixturevalue(fixture)
    for name in ("model.safetensors", "config.json", "schema.yaml", "train_config.yaml", "metrics.json",
                 "calibration.json", "README.md", "tokenizer.json", *tfidf):
        assert (model_dir / name).exists(), name
    card = (model_dir / "README.md").read_text(encoding="utf-8")
    assert "## Scores" in card and ("Blended with a TF-IDF" in card) == bool(tfidf)
    umask = os.umask(0)
    os.umask(umask)
    modes = {p.name: p.stat().st_mode & 0o777 for p in model_dir.iterdir() if p.is_file()}
    assert set(modes.values()) == {0o666 & ~umask}, modes  # readable by whoever may read new files


def test_loading_refuses_incomplete_or_mismatched_directories(tiny_model, tmp_path):
    with pytest.raises(ModelDirError, match="not found"):
        load_bundle(tmp_path / "absent")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(ModelDirError, match="missing model.safetensors"):
        load_bundle(broken)
    other = tmp_path / "other_schema"
    shutil.copytree(tiny_model, other)
    schema = yaml.safe_load((other / "schema.yaml").read_text(encoding="utf-8"))
    schema["type"] = schema["type"][:3]
    (other / "schema.yaml").write_text(yaml.safe_dump(schema, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ModelDirError, match="retrain"):
        load_bundle(other)


@pytest.mark.parametrize("name, damage, message", [
    ("calibration.json", lambda p: p.unlink(), "missing calibration.json"),
    ("calibration.json", lambda p: p.write_text("{", encoding="utf-8"), "calibration.json: not a valid JSON file"),
    ("config.json", lambda p: p.write_text('{"model_type": ', encoding="utf-8"), "config.json: not a valid JSON file"),
    ("config.json", lambda p: p.write_text("{}", encoding="utf-8"), "config.json: not a usable encoder config"),
    ("model.safetensors", lambda p: p.write_bytes(p.read_bytes()[:5000]),
     "model.safetensors: cannot read the weights, the file is truncated or corrupt"),
    ("train_config.yaml", lambda p: p.write_text("train: {epochs: one}", encoding="utf-8"),
     "train_config.yaml: train.epochs: expected int, got 'one'"),
    ("train_config.yaml", lambda p: p.write_text("train: [", encoding="utf-8"), "train_config.yaml: not valid YAML"),
])
def test_damaged_files_are_a_model_dir_error_naming_the_file(tiny_model, tmp_path, name, damage, message):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    damage(broken / name)
    with pytest.raises(ModelDirError, match=re.escape(message)):
        load_bundle(broken)


def test_a_separate_context_model_encodes_each_heading_path_once(tiny_separate_model, seed_units, monkeypatch):
    from training.data import Collator, encode, model_contexts, model_texts

    tagger = Tagger.load(tiny_separate_model)
    tagger.tfidf = None  # the encoder's logits alone
    cfg, units = tagger.cfg, seed_units[:60]
    rows = []
    embed = tagger.model.embed
    monkeypatch.setattr(tagger.model, "embed", lambda input_ids, *args, **kwargs:
                        rows.append(len(input_ids)) or embed(input_ids, *args, **kwargs))
    logits = tagger.logits(units)
    assert sum(rows) == len(units) + len(set(model_contexts(units, cfg.model)))
    enc = encode(tagger.tokenizer, model_texts(units, cfg.model), model_contexts(units, cfg.model),
                 cfg.model.max_length, separate=True)
    with torch.no_grad():  # every unit with its own heading path, as in training
        direct = tagger.model(**Collator(tagger.tokenizer)([{k: v[i] for k, v in enc.items()} for i in range(60)]))
    for task in ("domain", "type"):
        assert torch.allclose(torch.from_numpy(logits[task]), direct[f"{task}_logits"], atol=1e-5)


@pytest.mark.parametrize("content, message", [("{", "not a valid JSON file"),
                                              ('{"domain": {"windw": 1}}', "not a document step file")])
def test_a_damaged_document_step_file_is_a_model_dir_error(tiny_model, tmp_path, content, message):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    (broken / "document_step.json").write_text(content, encoding="utf-8")
    with pytest.raises(ModelDirError, match=f"document_step.json: {message}"):
        Tagger.load(broken)
