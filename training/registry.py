"""The model registry: MODELS_DIR/registry.json records every kept model and which one is the default.

MODELS_DIR is $GOVTAG_MODELS_DIR (`govtag --models-dir`), else models/ in a checkout of the repository, else
the user's data directory (~/.local/share/govtag/models on Linux): never the installed package. Each entry
holds the model's path
(relative to MODELS_DIR when inside it), the hash of the data it was trained on, its config, a metrics
summary, the date and its parent (the default when it was trained). `history` stacks the earlier
defaults, so `rollback` returns to the one before.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from platformdirs import user_data_path

from ..inference.config import PACKAGE_ROOT
from ..labels.atomic import atomic_write
from ..labels.corpus import data_files
from ..labels.schema import TASKS

ENV = "GOVTAG_MODELS_DIR"


class RegistryError(ValueError):
    pass


def models_dir() -> Path:
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    checkout = (PACKAGE_ROOT / "pyproject.toml").exists()
    return PACKAGE_ROOT / "models" if checkout else user_data_path("govtag") / "models"


def registry_path() -> Path:
    return models_dir() / "registry.json"


def load_registry() -> dict:
    path = registry_path()
    if not path.exists():
        return {"default": None, "history": [], "models": {}}
    registry = json.loads(path.read_text(encoding="utf-8"))
    registry.setdefault("history", [])
    return registry


def save_registry(registry: dict) -> None:
    with atomic_write(registry_path()) as f:
        json.dump(registry, f, ensure_ascii=False, indent=2)


def model_path(entry: dict) -> Path:
    path = Path(entry["path"])
    return path if path.is_absolute() else models_dir() / path


def default_model_dir() -> Path:
    """The registry's default model, else MODELS_DIR/default."""
    registry = load_registry()
    name = registry.get("default")
    return model_path(registry["models"][name]) if name else models_dir() / "default"


def data_hash(data_dir: str | Path, splits: str | Path) -> str:
    """sha256 over the labeled files (names and bytes) and the splits file: same hash, same training data."""
    h = hashlib.sha256()
    for path in [*data_files(data_dir), Path(splits)]:
        h.update(path.name.encode("utf-8") + b"\0" + (path.read_bytes() if path.exists() else b""))
    return h.hexdigest()[:16]


def metrics_summary(metrics: dict) -> dict:
    return {
        split: {"n": m["n"], **{t: {k: round(m[t][k], 4) for k in ("accuracy", "macro_f1")} for t in TASKS}}
        for split, m in metrics.items()
        if split in ("dev", "test")
    }


def register(
    model_dir: str | Path,
    *,
    parent: str | None,
    data_hash: str | None,
    config: dict,
    metrics: dict,
    date: str | None = None,
) -> str:
    """Add (or refresh) a model; returns its name: the directory name, suffixed if another path has it.
    The first model of an empty registry becomes the default."""
    model_dir = Path(model_dir).resolve()
    root = models_dir().resolve()
    path = str(model_dir.relative_to(root)) if model_dir.is_relative_to(root) else str(model_dir)
    registry = load_registry()
    name, n = model_dir.name, 1
    while name in registry["models"] and registry["models"][name]["path"] != path:
        n += 1
        name = f"{model_dir.name}-{n}"
    registry["models"][name] = {
        "path": path,
        "data_hash": data_hash,
        "config": config,
        "metrics": metrics_summary(metrics),
        "parent": parent,
        "date": date or datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    registry["default"] = registry["default"] or name
    save_registry(registry)
    return name


def register_trained(out_dir: str | Path, cfg, metrics: dict) -> str | None:
    """Called at the end of `train()`: keep a model written under MODELS_DIR, parented to the current default.
    Models written elsewhere (a test's temp dir) are not kept; `govtag models register` adds them."""
    if not Path(out_dir).resolve().is_relative_to(models_dir().resolve()):
        return None
    parent = load_registry()["default"]
    hashed = metrics.get("data_hash") or data_hash(cfg.resolve(cfg.data.dir), cfg.resolve(cfg.data.splits))
    return register(out_dir, parent=parent, data_hash=hashed, config=cfg.to_dict(), metrics=metrics)


def register_bundle(model_dir: str | Path, parent: str | None = None) -> str:
    """Register a model directory from its own files (config, metrics and the data hash they record);
    the first model in an empty registry becomes the default."""
    from ..inference.bundle import check_bundle, read_json  # transformers: not for `govtag models` alone

    cfg, _ = check_bundle(model_dir)
    metrics = read_json(model_dir, "metrics.json", {})
    return register(model_dir, parent=parent, data_hash=metrics.get("data_hash"), config=cfg.to_dict(), metrics=metrics)


def name_of(model_dir: str | Path) -> str | None:
    """The registry name of a model directory, if it is registered."""
    target = Path(model_dir).resolve()
    return next((name for name, e in load_registry()["models"].items() if model_path(e).resolve() == target), None)


def resolve(name_or_path: str | Path) -> Path:
    """A registered name or a model directory."""
    entry = load_registry()["models"].get(str(name_or_path))
    return model_path(entry) if entry else Path(name_or_path)


def entry(registry: dict, name: str) -> dict:
    if name not in registry["models"]:
        raise RegistryError(f"{name!r} is not registered; known: {sorted(registry['models'])}")
    return registry["models"][name]


def set_default(name: str) -> None:
    registry = load_registry()
    path = model_path(entry(registry, name))
    if not path.is_dir():
        raise RegistryError(f"{name!r}: its directory {path} is gone; `govtag models remove {name}` unregisters it")
    if registry["default"] and registry["default"] != name:
        registry["history"].append(registry["default"])
    registry["default"] = name
    save_registry(registry)


def remove(name: str) -> Path:
    """Unregister a model that is not the default (it also leaves the rollback history); returns its path."""
    registry = load_registry()
    path = model_path(entry(registry, name))
    if registry["default"] == name:
        raise RegistryError(
            f"{name!r} is the default model; make another one the default first (`govtag models default NAME`)"
        )
    del registry["models"][name]
    registry["history"] = [h for h in registry["history"] if h != name]
    save_registry(registry)
    return path


def rollback() -> str:
    """Make the previous default the default again; returns its name."""
    registry = load_registry()
    if not registry["history"]:
        raise RegistryError("no earlier default to roll back to")
    previous = registry["history"].pop()
    if not model_path(entry(registry, previous)).is_dir():
        raise RegistryError(
            f"the earlier default {previous!r} has no directory any more; `govtag models remove "
            f"{previous}` takes it out of the history"
        )
    registry["default"] = previous
    save_registry(registry)
    return previous
