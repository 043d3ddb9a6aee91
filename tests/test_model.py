import pytest
import torch

from govtag.inference.model import GovTagModel, class_weights


def test_forward_returns_logits_for_both_heads_and_a_loss(tiny_config):
    from govtag.training.backbone import load_backbone

    encoder, tokenizer = load_backbone(tiny_config.backbone)
    model = GovTagModel(encoder, 6, 4)
    batch = tokenizer(["加强党建", "完成改造"], ["一、工作", ""], padding=True, return_tensors="pt")
    out = model(**batch, domain_labels=torch.tensor([0, 2]), type_labels=torch.tensor([0, 0]))
    assert out["domain_logits"].shape == (2, 6) and out["type_logits"].shape == (2, 4)
    assert out["loss"].item() > 0
    out["loss"].backward()


def test_a_separate_context_gives_the_heads_both_vectors_and_their_product(tiny_config):
    from govtag.training.backbone import load_backbone

    encoder, tokenizer = load_backbone(tiny_config.backbone)
    model = GovTagModel(encoder, 6, 4, separate_context=True).eval()
    assert model.domain_head.in_features == 3 * encoder.config.hidden_size
    text, heading = tokenizer(["加强党建"], return_tensors="pt"), tokenizer(["一、工作"], return_tensors="pt")
    with torch.no_grad():
        out = model(**text, context_input_ids=heading["input_ids"], context_attention_mask=heading["attention_mask"])
        u, h = model.embed(**text), model.embed(heading["input_ids"], heading["attention_mask"])
    assert torch.allclose(out["domain_logits"], model.domain_head(torch.cat([u, h, u * h], -1)))


def test_distinct_headings_are_encoded_once_in_short_passes_with_the_same_vectors(tiny_config, monkeypatch):
    from govtag.training.backbone import load_backbone

    encoder, tokenizer = load_backbone(tiny_config.backbone)
    model = GovTagModel(encoder, 6, 4, separate_context=True).eval()
    paths = [
        "",
        "一、工作回顾 > (三)持续改善生态环境质量",
        "",
        "二、存在的问题",
        "一、工作回顾 > (三)持续改善生态环境质量",
        "三、下一步打算",
        "",
        "二、存在的问题",
    ]
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
    from govtag.training.backbone import load_backbone

    encoder, tokenizer = load_backbone(tiny_config.backbone)
    batch = tokenizer(["加强党建"], [""], return_tensors="pt")
    labels = dict(domain_labels=torch.tensor([1]), type_labels=torch.tensor([2]))
    plain, smoothed = GovTagModel(encoder, 6, 4).eval(), GovTagModel(encoder, 6, 4, label_smoothing=0.2).eval()
    smoothed.load_state_dict(plain.state_dict())
    with torch.no_grad():
        out, out_smoothed = plain(**batch, **labels), smoothed(**batch, **labels)
    expected = 0
    for task in ("domain", "type"):
        log_p = torch.log_softmax(out[f"{task}_logits"][0], -1)
        target = labels[f"{task}_labels"][0]
        expected += -(0.8 * log_p[target] + 0.2 * log_p.mean())  # 0.2 of the target spread evenly over k classes
    assert out_smoothed["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert out_smoothed["loss"].item() != pytest.approx(out["loss"].item(), rel=1e-3)


def test_class_weights_favour_rare_classes_and_skip_absent_ones():
    w = class_weights([100, 25, 0], "sqrt_inverse")
    assert w[1] == pytest.approx(2 * w[0]) and w[2] == 0
    assert w[:2].mean() == pytest.approx(1.0)
    assert class_weights([1, 2], "none") is None  # the other schemes are refused when a config is read
