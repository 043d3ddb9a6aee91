import json
from collections import Counter
from pathlib import Path

import pytest

from inference.normalize import model_form
from labels.schema import load_schema
from training.config import ModelConfig, load_config
from training.data import (Collator, DataError, contextualize, drop_context, encode, hashed_split, load_labeled,
                           load_splits, model_contexts, model_texts, read_units, split_units, update_splits)

REPO = Path(__file__).resolve().parent.parent
SCHEMA = load_schema()
CFG = load_config()


@pytest.fixture(scope="module")
def corpus():
    units = load_labeled(CFG.resolve(CFG.data.dir), SCHEMA)
    return units, split_units(units, load_splits(CFG.resolve(CFG.data.splits)))


def test_every_document_is_in_exactly_one_split(corpus):
    units, splits = corpus
    seen = {}
    for split, rows in splits.items():
        for u in rows:
            assert seen.setdefault(u["doc_id"], split) == split
    assert set(seen) == {u["doc_id"] for u in units}


def test_every_label_occurs_in_dev_and_test(corpus):
    _, splits = corpus
    for split in ("dev", "test"):
        for task in ("domain", "type"):
            assert set(SCHEMA.labels(task)) <= {u[task] for u in splits[split]}, (split, task)


def test_training_split_covers_every_domain_type_cell(corpus):
    """At least 60 training units in every cell the guidelines allow (type other implies domain 其他)."""
    _, splits = corpus
    cells = Counter((u["domain"], u["type"]) for u in splits["train"])
    for d in SCHEMA.domain:
        for t in SCHEMA.type:
            if t == "other" and d != SCHEMA.other_domain:
                assert cells[(d, t)] == 0, (d, t)
            else:
                assert cells[(d, t)] >= 60, (d, t, cells[(d, t)])


def test_every_unit_names_its_source(corpus):
    units, _ = corpus
    assert {u.get("source") for u in units} <= {"seed", "written", "imported"}


def test_splits_file_refuses_a_document_in_two_splits(tmp_path):
    path = tmp_path / "splits.yaml"
    path.write_text("train: [a]\ntest: [a]\n", encoding="utf-8")
    with pytest.raises(DataError, match="both train and test"):
        load_splits(path)


def test_update_splits_keeps_existing_assignments(tmp_path):
    path = tmp_path / "splits.yaml"
    path.write_text("test: [a]\n", encoding="utf-8")
    splits = update_splits(path, ["a", "b", "c"])
    assert splits["a"] == "test" and splits["b"] == hashed_split("b")
    assert load_splits(path) == splits


def test_an_imported_correction_replaces_the_unit_it_corrects(tmp_path):
    row = {"doc_id": "d", "seq": 0, "text": "开展消防演练3次。", "domain": "民生", "type": "achievement",
           "source": "written"}
    (tmp_path / "a.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    fixed = {**row, "domain": "安全", "source": "imported"}
    (tmp_path / "imported").mkdir()
    (tmp_path / "imported" / "b.jsonl").write_text(json.dumps(fixed, ensure_ascii=False) + "\n", encoding="utf-8")
    [unit] = load_labeled(tmp_path, SCHEMA)
    assert unit["domain"] == "安全" and unit["source"] == "imported"


@pytest.mark.parametrize("line,message", [
    ("{not json", "not valid JSON"),
    ('{"doc_id": "d", "seq": 0, "text": "x", "domain": "经济"}', "missing field"),
    ('{"doc_id": "d", "seq": 0, "text": "x", "domain": "经济", "type": "future"}', "unknown type label"),
    ('{"doc_id": "d", "seq": 0, "text": " ", "domain": "经济", "type": "plan"}', "empty text"),
])
def test_malformed_lines_are_reported_with_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"doc_id": "d", "seq": 0, "text": "ok", "domain": "经济", "type": "plan"}\n' + line + "\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=f"bad.jsonl:2: .*{message}"):
        read_units(path, SCHEMA)


def test_drop_context_blanks_a_fixed_share_and_keeps_labels():
    units = [{"doc_id": "d", "seq": i, "text": f"句{i}", "section": "一、工作成效", "title": "某镇工作总结",
              "domain": "经济", "type": "achievement"} for i in range(1000)]
    dropped = drop_context(units, 0.3, seed=7)
    blank = [u for u in dropped if u["section"] == ""]
    assert 250 < len(blank) < 350
    untitled = [u for u in dropped if u["title"] == ""]
    assert 250 < len(untitled) < 350 and 50 < sum(u["section"] == u["title"] == "" for u in dropped) < 150  # apart
    assert dropped == drop_context(units, 0.3, seed=7)
    assert all(u["section"] == "一、工作成效" for u in units)  # the input is not changed
    assert [(u["text"], u["domain"], u["type"]) for u in dropped] == [(u["text"], u["domain"], u["type"]) for u in units]
    assert drop_context(units, 0.0, seed=7) is units


def test_headings_and_short_units_are_read_with_the_start_of_the_next_unit():
    units = [{"doc_id": "a", "seq": 0, "text": "一、主要工作", "heading": True},
             {"doc_id": "a", "seq": 1, "text": "社区层面"},
             {"doc_id": "a", "seq": 2, "text": "开展燃气安全检查120次，整改隐患45处。"},
             {"doc_id": "b", "seq": 0, "text": "居民层面"},
             {"doc_id": "a", "seq": 3, "text": "（二）强化执法"}]  # a heading with nothing after it
    texts = model_texts(units, ModelConfig(lookahead_chars=6, short_unit_chars=4))
    assert texts == ["一、主要工作 → 社区层面", "社区层面 → 开展燃气安全", "开展燃气安全检查120次,整改隐患45处。",
                     "居民层面", "(二)强化执法"]  # in model_form: full-width punctuation folded
    assert model_texts(units, ModelConfig(lookahead_chars=0)) == [model_form(u["text"]) for u in units]
    assert model_texts([{"text": "短句"}], ModelConfig(lookahead_chars=6)) == ["短句"]  # no document order known


def test_a_separate_context_is_encoded_and_padded_apart_from_the_text(tiny_config):
    from training.backbone import load_backbone

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


def test_data_split_and_stats_commands_take_data_and_splits(tmp_path):
    from typer.testing import CliRunner

    from inference.cli import app

    data = tmp_path / "data"
    data.mkdir()
    rows = [{"doc_id": doc, "seq": 0, "text": f"{doc}全年新增就业1200人。", "domain": "民生", "type": "achievement"}
            for doc in ("x1", "x2")]
    (data / "mine.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    splits = tmp_path / "splits.yaml"
    args = ["--data", str(data), "--splits", str(splits)]
    result = CliRunner().invoke(app, ["data", "stats", *args])
    assert result.exit_code == 0
    assert "### not in the splits file yet (`govtag data split` adds them): 2 units" in result.output
    result = CliRunner().invoke(app, ["data", "split", *args])
    assert result.exit_code == 0 and f"{splits}: 2 new document(s), 2 in all" in result.output
    assert load_splits(splits) == {"x1": hashed_split("x1"), "x2": hashed_split("x2")}
    result = CliRunner().invoke(app, ["data", "stats", *args])
    assert result.exit_code == 0 and "| unknown | 2 | 2 |" in result.output and "not in the splits" not in result.output


def test_the_model_reads_the_title_and_the_heading_path_in_model_form():
    units = [{"text": "全年检查12次。", "section": "一、主要工作 > 安全生产方面:", "title": "某鎮2023年工作總結"},
             {"text": "新增就业。", "section": "", "title": "某镇2023年工作总结"}, {"text": "无。", "section": "一、主要工作"}]
    model = ModelConfig(title_chars=7, section_chars=48)
    assert model_contexts(units, model) == ["某镇2023年 > 一、主要工作 > 安全生产方面:", "某镇2023年", "一、主要工作"]
    assert model_contexts(units, ModelConfig(title_chars=0)) == ["一、主要工作 > 安全生产方面:", "", "一、主要工作"]


def test_labeled_documents_get_their_title_and_lead_lines_as_when_tagging():
    from inference.segment import segment

    text = "某镇2023年安全生产工作总结\n一、主要工作\n消防方面:\n开展检查12次。"
    units = segment(text, "d")
    gold = [{k: u[k] for k in ("doc_id", "seq", "text", "heading")} for u in units]
    assert contextualize(gold) == [{**g, "section": u["section"], "title": u["title"]} for g, u in zip(gold, units)]
    assert units[3]["section"] == "一、主要工作 > 消防方面:" and units[3]["title"] == "某镇2023年安全生产工作总结"


def test_every_labeled_document_carries_a_genre():
    units = load_labeled(REPO / "labels" / "data", load_schema())
    assert not [u["doc_id"] for u in units if not u.get("genre")]
