import copy
import json

import numpy as np
import pytest
from transformers import TrainerCallback
from typer.testing import CliRunner

from govtag.cli import app
from govtag.inference.tagger import Tagger
from govtag.training.train import build_model, train
from tests.conftest import REPO, SEEDS

SPLITS = REPO / "tests" / "fixtures" / "seed_splits.yaml"


class KillAfterFirstEpoch(TrainerCallback):
    def on_epoch_begin(self, args, state, control, **kwargs):
        if state.epoch and state.epoch >= 1:
            raise KeyboardInterrupt("simulated kill")


@pytest.fixture
def two_epochs(tiny_config):
    cfg = copy.deepcopy(tiny_config)
    cfg.train.epochs, cfg.train.max_steps, cfg.train.early_stopping_patience = 2, -1, 5
    return cfg


def test_a_few_steps_learn_something(tiny_model):
    metrics = json.loads((tiny_model / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["train_units"] > 100 and set(metrics) >= {"dev", "test"}
    assert metrics["dev"]["n"] > 0 and 0 <= metrics["dev"]["domain"]["macro_f1"] <= 1
    assert any("eval_mean_macro_f1" in row for row in metrics["log"])
    assert metrics["log"][-1]["train_loss"] > 0 and metrics["epochs_run"] > 0


def test_killed_run_resumes_from_its_checkpoint_and_matches(two_epochs, tmp_path, seed_units):
    uninterrupted = tmp_path / "straight"
    train(two_epochs, uninterrupted)
    resumed = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        train(two_epochs, resumed, callbacks=[KillAfterFirstEpoch()])
    assert not resumed.exists()
    assert any(p.name.startswith("checkpoint-") for p in (tmp_path / "resumed.checkpoints").iterdir())
    train(two_epochs, resumed)
    assert not (tmp_path / "resumed.checkpoints").exists()
    a = Tagger.load(uninterrupted).probabilities(seed_units[:30])
    b = Tagger.load(resumed).probabilities(seed_units[:30])
    for task in a:
        np.testing.assert_allclose(a[task], b[task], atol=1e-4)


def test_train_command_reports_bad_config(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  epoch: 3\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "-c", str(bad), "-o", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "unknown key" in result.output and "bad.yaml" in result.output


def test_train_command_refuses_to_replace_a_trained_model(tiny_model, tmp_path):
    weights = (tiny_model / "model.safetensors").read_bytes()
    result = CliRunner().invoke(app, ["train", "-c", "configs/tiny.yaml", "-o", str(tiny_model)])
    assert result.exit_code == 2 and "already holds a trained model" in result.output and "--overwrite" in result.output
    assert (tiny_model / "model.safetensors").read_bytes() == weights


def test_freeze_layers_leaves_embeddings_and_lower_layers_untrained(tiny_config, seed_units):
    from govtag.labels.schema import load_schema

    cfg = copy.deepcopy(tiny_config)
    cfg.train.freeze_layers = 1
    model, _ = build_model(cfg, seed_units, load_schema())
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert not any(n.startswith(("encoder.embeddings.", "encoder.encoder.layer.0.")) for n in trainable)
    assert any(n.startswith("encoder.encoder.layer.1.") for n in trainable)
    assert any(not n.startswith("encoder.") for n in trainable)


def test_train_command_records_data_and_splits_and_says_whether_it_registered(tmp_path, monkeypatch):
    import yaml

    from tests.conftest import REPO, SEEDS

    monkeypatch.setenv("GOVTAG_MODELS_DIR", str(tmp_path / "models"))
    splits = REPO / "tests" / "fixtures" / "seed_splits.yaml"
    args = ["train", "-c", "configs/tiny.yaml", "--data", str(SEEDS), "--splits", str(splits)]
    inside = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "models" / "m1")])
    assert inside.exit_code == 0 and "registered as m1" in inside.output
    recorded = yaml.safe_load((tmp_path / "models" / "m1" / "train_config.yaml").read_text(encoding="utf-8"))["data"]
    assert recorded == {"dir": str(SEEDS), "splits": str(splits)}
    outside = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "elsewhere")])
    assert outside.exit_code == 0 and "not registered" in outside.output and "govtag models register" in outside.output


def test_train_command_interrupted_says_how_to_resume(tmp_path, monkeypatch):
    def interrupted(cfg, out):
        raise KeyboardInterrupt

    monkeypatch.setattr("govtag.training.train.train", interrupted)
    result = CliRunner().invoke(app, ["train", "-c", "configs/tiny.yaml", "-o", str(tmp_path / "m")])
    assert result.exit_code == 130
    assert f"finished epochs are kept in {tmp_path / 'm.checkpoints'}; run the same command to resume" in result.stderr


def test_freeze_layers_beyond_the_encoders_layers_is_refused_naming_the_key(tmp_path):
    (tmp_path / "c.yaml").write_text(
        (REPO / "configs" / "tiny.yaml").read_text(encoding="utf-8").replace("freeze_layers: 0", "freeze_layers: 99"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        [
            "train",
            "-c",
            str(tmp_path / "c.yaml"),
            "--data",
            str(SEEDS),
            "--splits",
            str(SPLITS),
            "-o",
            str(tmp_path / "m"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "train.freeze_layers: must be at most the number of the encoder's layers (2), got 99" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "m").exists()


def test_dev_scored_once_after_training_is_what_the_saved_model_scores(tiny_config, tmp_path):
    """The dev scores read once after training (document step fit, dev metrics, ONNX agreement) are those of the
    model directory loaded afresh."""
    from govtag.labels.schema import load_schema
    from govtag.training.evaluate import default_path_agreement, score, split_of_model_data

    cfg = copy.deepcopy(tiny_config)
    cfg.model.document_step, cfg.model.tfidf_blend, cfg.train.max_steps = True, True, 12
    metrics = train(cfg, tmp_path / "m")
    dev = split_of_model_data(cfg, load_schema(), "dev")
    loaded = Tagger.load(tmp_path / "m", backend="torch").document_probabilities(dev)
    assert score(loaded, dev, load_schema()) == metrics["dev"]
    assert default_path_agreement(tmp_path / "m", dev) == metrics["default_path_agreement"]["dev"]
