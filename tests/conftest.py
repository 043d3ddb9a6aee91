import copy
import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "labels" / "data" / "seeds.jsonl"


@pytest.fixture(scope="session")
def tiny_config():
    """configs/tiny.yaml, trained on the seed units alone with a fixed split, so tests do not move with the corpus."""
    from govtag.inference.config import load_config

    cfg = load_config(REPO / "configs" / "tiny.yaml")
    cfg.data.dir = str(SEEDS)
    cfg.data.splits = str(REPO / "tests" / "fixtures" / "seed_splits.yaml")
    return cfg


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tiny_config):
    """A tiny random BERT trained for a few steps on CPU: shared by the tests that need a model."""
    from govtag.training.train import train

    out = tmp_path_factory.mktemp("models") / "tiny"
    train(tiny_config, out)
    return out


@pytest.fixture(scope="session")
def tiny_separate_model(tmp_path_factory, tiny_config):
    """The tiny model shaped like the default: its title and heading path read apart from the unit's text
    (`model.context: separate`, `model.title_chars`), a TF-IDF model blended into its scores
    (`model.tfidf_blend`) and a document step fitted on dev (`model.document_step`)."""
    from govtag.training.train import train

    cfg = copy.deepcopy(tiny_config)
    cfg.model.context, cfg.model.title_chars = "separate", 16
    cfg.model.tfidf_blend = cfg.model.document_step = True
    cfg.train.context_gradients = False
    out = tmp_path_factory.mktemp("models") / "tiny-separate"
    train(cfg, out)
    return out


@pytest.fixture(scope="session")
def seed_units():
    return [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def data(tmp_path, seed_units):
    """The import tests' temp copy of the seed data and splits: tests never write into labels/data."""
    (tmp_path / "data").mkdir()
    shutil.copy(SEEDS, tmp_path / "data" / "seeds.jsonl")
    shutil.copy(REPO / "tests" / "fixtures" / "seed_splits.yaml", tmp_path / "splits.yaml")
    return tmp_path / "data", tmp_path / "splits.yaml"


@pytest.fixture
def tasks(tmp_path, seed_units):
    """Review tasks for the first six units of one seed document, as the model (wrongly) tagged them."""
    from govtag.inference.review import write_tasks
    from tests.imports_support import DOC, SCHEMA

    units = [
        {
            **u,
            "domain": "经济",
            "type": "plan",
            "domain_score": 0.4,
            "type_score": 0.5,
            "priority": 1.0,
            "reason": "confidence 0.40",
        }
        for u in seed_units
        if u["doc_id"] == DOC
    ][:6]
    write_tasks(units, tmp_path / "tasks", SCHEMA)
    return tmp_path / "tasks"
