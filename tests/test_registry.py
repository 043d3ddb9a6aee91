import json
import shutil

import pytest
from typer.testing import CliRunner

from govtag.cli import app
from govtag.training.registry import (
    ENV,
    RegistryError,
    data_hash,
    default_model_dir,
    load_registry,
    register,
    register_trained,
    resolve,
    rollback,
    set_default,
)
from tests.conftest import REPO, SEEDS

METRICS = {
    "test": {"n": 10, "domain": {"accuracy": 0.5, "macro_f1": 0.4}, "type": {"accuracy": 0.6, "macro_f1": 0.5}},
    "log": ["not kept"],
}


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "models"))
    return tmp_path / "models"


def add(path, parent=None):
    path.mkdir(parents=True, exist_ok=True)
    return register(path, parent=parent, data_hash="abc", config={"name": "tiny"}, metrics=METRICS)


def test_register_default_and_rollback(models, tmp_path):
    assert load_registry() == {"default": None, "history": [], "models": {}}
    assert default_model_dir() == models / "default"
    v1, v2 = add(models / "v1"), add(models / "v2", parent="v1")
    elsewhere = add(tmp_path / "elsewhere" / "v1")
    assert (v1, v2, elsewhere) == ("v1", "v2", "v1-2")
    entry = load_registry()["models"]["v2"]
    assert entry["path"] == "v2" and entry["parent"] == "v1" and entry["data_hash"] == "abc"
    assert entry["metrics"] == {"test": METRICS["test"]} and entry["date"]
    assert load_registry()["models"]["v1-2"]["path"] == str(tmp_path / "elsewhere" / "v1")
    assert add(models / "v1") == "v1"  # retrained in place: refreshed, not duplicated
    set_default("v1")
    set_default("v2")
    assert default_model_dir() == models / "v2" and resolve("v1-2") == tmp_path / "elsewhere" / "v1"
    assert rollback() == "v1" and default_model_dir() == models / "v1"
    with pytest.raises(RegistryError, match="no earlier default"):
        rollback()
    with pytest.raises(RegistryError, match="not registered"):
        set_default("v9")


def test_training_registers_only_models_written_under_the_models_dir(models, tiny_config, tmp_path):
    assert register_trained(tmp_path / "scratch", tiny_config, METRICS) is None
    assert register_trained(models / "first", tiny_config, METRICS) == "first"
    assert register_trained(models / "second", tiny_config, METRICS) == "second"
    registry = load_registry()
    assert registry["default"] == "first"  # the first model kept becomes the default
    assert registry["models"]["second"]["parent"] == "first"
    assert registry["models"]["second"]["data_hash"] == data_hash(SEEDS, tiny_config.resolve(tiny_config.data.splits))


def test_the_data_hash_follows_the_data(tmp_path):
    shutil.copy(SEEDS, tmp_path / "seeds.jsonl")
    splits = REPO / "tests" / "fixtures" / "seed_splits.yaml"
    before = data_hash(tmp_path, splits)
    assert data_hash(tmp_path, splits) == before
    (tmp_path / "more.jsonl").write_text(
        '{"doc_id": "x", "seq": 0, "text": "y", "domain": "其他", "type": "other"}\n', encoding="utf-8"
    )
    assert data_hash(tmp_path, splits) != before


def test_models_cli_lists_sets_and_rolls_back(models, tiny_model):
    runner = CliRunner()
    assert "no models registered" in runner.invoke(app, ["models"]).output
    shutil.copytree(tiny_model, models / "a")
    shutil.copytree(tiny_model, models / "b")
    for name in ("a", "b"):
        assert runner.invoke(app, ["models", "register", str(models / name)]).exit_code == 0
    registry = load_registry()
    assert registry["default"] == "a"  # the first model registered becomes the default
    assert registry["models"]["b"]["data_hash"] == json.loads((tiny_model / "metrics.json").read_text())["data_hash"]
    assert runner.invoke(app, ["models", "default", "a"]).exit_code == 0
    assert runner.invoke(app, ["models", "default", "b"]).exit_code == 0
    listing = runner.invoke(app, ["models", "list"]).output.splitlines()
    assert len(listing) == 2
    assert any(line.startswith("* b") for line in listing) and any(line.startswith("  a") for line in listing)
    result = runner.invoke(app, ["models", "rollback"])
    assert result.exit_code == 0 and "now a" in result.output
    assert runner.invoke(app, ["models", "rollback"]).exit_code == 2
    assert runner.invoke(app, ["models", "default", "zzz"]).exit_code == 2
    assert runner.invoke(app, ["models", "register", str(models / "missing")]).exit_code == 2


def test_models_remove_and_a_deleted_directory(models, tiny_model):
    runner = CliRunner()
    for name in ("a", "b", "c"):
        shutil.copytree(tiny_model, models / name)
        assert runner.invoke(app, ["models", "register", str(models / name)]).exit_code == 0
    set_default("b")
    result = runner.invoke(app, ["models", "remove", "b"])
    assert result.exit_code == 2 and "'b' is the default model" in result.output
    result = runner.invoke(app, ["models", "remove", "a"])
    assert result.exit_code == 0 and f"its directory {models / 'a'} is kept" in result.output
    assert "a" not in load_registry()["models"] and load_registry()["history"] == [] and (models / "a").is_dir()
    set_default("c")
    set_default("b")
    shutil.rmtree(models / "c")
    with pytest.raises(RegistryError, match="the earlier default 'c' has no directory any more"):
        rollback()
    assert "c  " in runner.invoke(app, ["models"]).output and "directory gone" in runner.invoke(app, ["models"]).output
    with pytest.raises(RegistryError, match="its directory .* is gone"):
        set_default("c")
    result = runner.invoke(app, ["models", "remove", "zzz"])
    assert result.exit_code == 2 and "'zzz' is not registered" in result.output
    shutil.copytree(tiny_model, models / "d")
    runner.invoke(app, ["models", "register", str(models / "d")])
    result = runner.invoke(app, ["models", "remove", "d", "--delete"])
    assert result.exit_code == 0 and not (models / "d").exists() and "d" not in load_registry()["models"]
