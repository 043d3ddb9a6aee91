"""What the model reads (inference/model_inputs.py): the text, the title and the heading path."""

from dataclasses import replace

from govtag.inference.config import default_config
from govtag.inference.model_inputs import contextualize, encode, model_contexts, model_texts
from govtag.inference.normalize import model_form
from govtag.training.data import Collator

DEFAULT = default_config()


def test_headings_and_short_units_are_read_with_the_start_of_the_next_unit():
    units = [
        {"doc_id": "a", "seq": 0, "text": "一、主要工作", "heading": True},
        {"doc_id": "a", "seq": 1, "text": "社区层面"},
        {"doc_id": "a", "seq": 2, "text": "开展燃气安全检查120次，整改隐患45处。"},
        {"doc_id": "b", "seq": 0, "text": "居民层面"},
        {"doc_id": "a", "seq": 3, "text": "（二）强化执法"},
    ]  # a heading with nothing after it
    texts = model_texts(units, replace(DEFAULT.model, lookahead_chars=6, short_unit_chars=4))
    assert texts == [
        "一、主要工作 → 社区层面",
        "社区层面 → 开展燃气安全",
        "开展燃气安全检查120次,整改隐患45处。",
        "居民层面",
        "(二)强化执法",
    ]  # in model_form: full-width punctuation folded
    assert model_texts(units, replace(DEFAULT.model, lookahead_chars=0)) == [model_form(u["text"]) for u in units]
    assert model_texts([{"text": "短句"}], replace(DEFAULT.model, lookahead_chars=6)) == [
        "短句"
    ]  # no document order known


def test_a_separate_context_is_encoded_and_padded_apart_from_the_text(tiny_config):
    from govtag.training.backbone import load_backbone

    _, tokenizer = load_backbone(tiny_config.backbone)
    texts, sections = ["加强党建工作", "完成改造"], ["一、主要成效 > （一）党的建设", ""]
    pair = encode(tokenizer, texts, sections, 64)
    apart = encode(tokenizer, texts, sections, 64, separate=True)
    assert apart["input_ids"] == tokenizer(texts)["input_ids"]
    assert apart["context_input_ids"] == tokenizer([sections[0], ""])["input_ids"]
    assert pair["input_ids"][0] == tokenizer(texts[0], sections[0])["input_ids"]
    batch = Collator(tokenizer)([{**{k: v[i] for k, v in apart.items()}, "domain_labels": i} for i in range(2)])
    assert batch["input_ids"].shape == (2, max(len(ids) for ids in apart["input_ids"]))
    assert batch["context_input_ids"].shape == (2, len(apart["context_input_ids"][0]))
    assert batch["context_attention_mask"].tolist()[1] == [1, 1] + [0] * (batch["context_input_ids"].shape[1] - 2)
    assert batch["domain_labels"].tolist() == [0, 1]


def test_the_model_reads_the_title_and_the_heading_path_in_model_form():
    units = [
        {"text": "全年检查12次。", "section": "一、主要工作 > 安全生产方面:", "title": "某鎮2023年工作總結"},
        {"text": "新增就业。", "section": "", "title": "某镇2023年工作总结"},
        {"text": "无。", "section": "一、主要工作"},
    ]
    model = replace(DEFAULT.model, title_chars=7, section_chars=48)
    assert model_contexts(units, model) == ["某镇2023年 > 一、主要工作 > 安全生产方面:", "某镇2023年", "一、主要工作"]
    assert model_contexts(units, replace(DEFAULT.model, title_chars=0)) == [
        "一、主要工作 > 安全生产方面:",
        "",
        "一、主要工作",
    ]


def test_labeled_documents_get_their_title_and_lead_lines_as_when_tagging():
    from govtag.inference.segment import segment

    text = "某镇2023年安全生产工作总结\n一、主要工作\n消防方面:\n开展检查12次。"
    units = segment(text, "d")
    gold = [{k: u[k] for k in ("doc_id", "seq", "text", "heading")} for u in units]
    assert contextualize(gold) == [{**g, "section": u["section"], "title": u["title"]} for g, u in zip(gold, units)]
    assert units[3]["section"] == "一、主要工作 > 消防方面:" and units[3]["title"] == "某镇2023年安全生产工作总结"
