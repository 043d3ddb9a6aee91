"""The model registry: models/registry.json records every trained model and which one is the default."""
from __future__ import annotations

import json
from pathlib import Path

from .config import REPO_ROOT

MODELS_DIR = REPO_ROOT / "models"
REGISTRY = MODELS_DIR / "registry.json"


def load_registry(path: Path = REGISTRY) -> dict:
    if not path.exists():
        return {"default": None, "models": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def default_model_dir(path: Path = REGISTRY) -> Path:
    """The registry's default model, else models/default."""
    name = load_registry(path).get("default")
    return MODELS_DIR / name if name else MODELS_DIR / "default"
