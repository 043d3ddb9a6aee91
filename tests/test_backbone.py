import json

import pytest

from govtag.inference.config import PACKAGE_ROOT
from govtag.training.backbone import keep_first_layers, tiny_backbone


def test_tiny_tokenizer_knows_every_seed_character():
    _, tokenizer = tiny_backbone()
    texts = [json.loads(line)["text"] for line in (PACKAGE_ROOT / "labels/data/seeds.jsonl").open(encoding="utf-8")]
    ids = [i for row in tokenizer(texts)["input_ids"] for i in row]
    assert len(tokenizer) > 1000
    assert ids.count(tokenizer.unk_token_id) < 0.01 * len(ids)
    assert tokenizer.tokenize("2024年") == ["2", "##0", "##2", "##4", "年"]


def test_tiny_backbone_is_reproducible_per_seed():
    a, _ = tiny_backbone(seed=3)
    b, _ = tiny_backbone(seed=3)
    c, _ = tiny_backbone(seed=4)
    assert (a.embeddings.word_embeddings.weight == b.embeddings.word_embeddings.weight).all()
    assert not (a.embeddings.word_embeddings.weight == c.embeddings.word_embeddings.weight).all()


def test_keep_first_layers_truncates_and_rejects_impossible_depths():
    encoder, _ = tiny_backbone()
    keep_first_layers(encoder, 1)
    assert len(encoder.encoder.layer) == 1 and encoder.config.num_hidden_layers == 1
    with pytest.raises(ValueError, match="has 1 layers"):
        keep_first_layers(encoder, 2)
