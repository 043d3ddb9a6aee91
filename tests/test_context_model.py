"""The context the model reads beside a unit — its document's title and the lead line above it — decides a tag
that the unit's own words leave open."""

import copy
import json

import pytest

from govtag.inference.segment import segment
from govtag.inference.tagger import Tagger
from govtag.training.train import train

SAME = "全年完成各项任务。"  # a unit whose words name no domain
KINDS = {"安全": ("某镇安全生产工作总结", "安全生产方面:"), "环境": ("某镇生态环境保护工作总结", "生态环境方面:")}


def _documents() -> list[dict]:
    units = []
    for k in range(16):
        for domain, (title, lead) in KINDS.items():
            lines = [
                (title, False, "其他", "other"),
                ("一、主要工作", True, "其他", "achievement"),
                (lead, False, domain, "achievement"),
                (SAME, False, domain, "achievement"),
                ("推进有力。", False, domain, "achievement"),
            ]
            units += [
                {"doc_id": f"{domain}{k}", "seq": i, "text": text, "heading": heading, "domain": d, "type": t}
                for i, (text, heading, d, t) in enumerate(lines)
            ]
    return units


@pytest.fixture(scope="module")
def context_model(tmp_path_factory, tiny_config):
    """A tiny model trained where only the title or the lead line tells the domain of a unit."""
    tmp = tmp_path_factory.mktemp("context")
    units = _documents()
    (tmp / "data.jsonl").write_text("".join(json.dumps(u, ensure_ascii=False) + "\n" for u in units), encoding="utf-8")
    docs = sorted({u["doc_id"] for u in units})
    (tmp / "splits.yaml").write_text(
        json.dumps({"train": docs[4:], "dev": docs[:2], "test": docs[2:4]}), encoding="utf-8"
    )
    cfg = copy.deepcopy(tiny_config)
    cfg.data.dir, cfg.data.splits = str(tmp / "data.jsonl"), str(tmp / "splits.yaml")
    cfg.model.context, cfg.model.title_chars, cfg.model.lookahead_chars = "separate", 16, 0
    cfg.train.max_steps, cfg.train.context_dropout, cfg.train.head_learning_rate = 80, 0.3, 3e-3
    train(cfg, tmp / "model")
    return Tagger.load(tmp / "model")


def _domain_of_same(tagger: Tagger, text: str) -> str:
    units = segment(text, "d")
    return next(u for u in tagger.predict(units) if u["text"] == SAME)["domain"]


def test_a_units_tag_follows_its_documents_title(context_model):
    for domain, (title, _) in KINDS.items():
        assert _domain_of_same(context_model, f"{title}\n{SAME}") == domain


def test_a_units_tag_follows_the_lead_line_above_it(context_model):
    for domain, (_, lead) in KINDS.items():
        assert _domain_of_same(context_model, f"一、主要工作\n{lead}\n{SAME}") == domain
