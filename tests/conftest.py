import copy
import json
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
