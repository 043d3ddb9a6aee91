"""Model directories (inference/bundle.py): what they hold, and damaged or mismatched ones refused by name."""

import os
import re
import shutil

import pytest
import yaml

from govtag.inference.bundle import ModelDirError, load_bundle
from govtag.inference.tagger import Tagger


@pytest.mark.parametrize(
    "fixture, tfidf", [("tiny_model", ()), ("tiny_separate_model", ("tfidf.json", "tfidf.safetensors"))]
)
def test_model_directory_contents(fixture, tfidf, request):
    model_dir = request.getfixturevalue(fixture)
    for name in (
        "model.safetensors",
        "config.json",
        "schema.yaml",
        "train_config.yaml",
        "metrics.json",
        "calibration.json",
        "README.md",
        "tokenizer.json",
        *tfidf,
    ):
        assert (model_dir / name).exists(), name
    card = (model_dir / "README.md").read_text(encoding="utf-8")
    assert "## Scores" in card and ("Blended with a TF-IDF" in card) == bool(tfidf)
    umask = os.umask(0)
    os.umask(umask)
    modes = {p.name: p.stat().st_mode & 0o777 for p in model_dir.iterdir() if p.is_file()}
    assert set(modes.values()) == {0o666 & ~umask}, modes  # readable by whoever may read new files


def test_loading_refuses_incomplete_or_mismatched_directories(tiny_model, tmp_path):
    with pytest.raises(ModelDirError, match="not found"):
        load_bundle(tmp_path / "absent")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(ModelDirError, match="missing model.safetensors"):
        load_bundle(broken)
    other = tmp_path / "other_schema"
    shutil.copytree(tiny_model, other)
    schema = yaml.safe_load((other / "schema.yaml").read_text(encoding="utf-8"))
    schema["type"] = schema["type"][:3]
    (other / "schema.yaml").write_text(yaml.safe_dump(schema, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ModelDirError, match="retrain"):
        load_bundle(other)


@pytest.mark.parametrize(
    "name, damage, message",
    [
        ("calibration.json", lambda p: p.unlink(), "missing calibration.json"),
        ("calibration.json", lambda p: p.write_text("{", encoding="utf-8"), "calibration.json: not a valid JSON file"),
        (
            "config.json",
            lambda p: p.write_text('{"model_type": ', encoding="utf-8"),
            "config.json: not a valid JSON file",
        ),
        ("config.json", lambda p: p.write_text("{}", encoding="utf-8"), "config.json: not a usable encoder config"),
        (
            "model.safetensors",
            lambda p: p.write_bytes(p.read_bytes()[:5000]),
            "model.safetensors: cannot read the weights, the file is truncated or corrupt",
        ),
        (
            "train_config.yaml",
            lambda p: p.write_text("train: {epochs: one}", encoding="utf-8"),
            "train_config.yaml: train.epochs: expected float, got 'one'",
        ),
        (
            "train_config.yaml",
            lambda p: p.write_text("train: [", encoding="utf-8"),
            "train_config.yaml: not valid YAML",
        ),
        ("tokenizer.json", lambda p: p.unlink(), "missing tokenizer.json"),
        ("tokenizer_config.json", lambda p: p.unlink(), "missing tokenizer_config.json"),
        (
            "tokenizer.json",
            lambda p: p.write_bytes(p.read_bytes()[:300]),
            "tokenizer.json: not a valid JSON file",
        ),
        (  # valid JSON, but a WordPiece vocabulary without its unknown token
            "tokenizer.json",
            lambda p: p.write_text(
                p.read_text(encoding="utf-8").replace('"[UNK]"', '"[GONE]"'),
                encoding="utf-8",
            ),
            "tokenizer.json: not a usable tokenizer",
        ),
    ],
)
def test_damaged_files_are_a_model_dir_error_naming_the_file(tiny_model, tmp_path, name, damage, message):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    damage(broken / name)
    with pytest.raises(ModelDirError, match=re.escape(message)):
        load_bundle(broken)


@pytest.mark.parametrize(
    "content, message", [("{", "not a valid JSON file"), ('{"domain": {"windw": 1}}', "not a document step file")]
)
def test_a_damaged_document_step_file_is_a_model_dir_error(tiny_model, tmp_path, content, message):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    (broken / "document_step.json").write_text(content, encoding="utf-8")
    with pytest.raises(ModelDirError, match=f"document_step.json: {message}"):
        Tagger.load(broken)
