"""A trained model is a directory: weights, encoder config, tokenizer, schema, config, metrics, card, and
with `model.tfidf_blend` the TF-IDF model blended into its scores.

Loading reads only safetensors, JSON and YAML, never pickles, and refuses a directory that is
incomplete or was trained with another label schema.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModel, AutoTokenizer

from ..labels.atomic import make_readable
from ..labels.schema import SCHEMA_PATH, Schema, load_schema
from .baseline import TFIDF_FILES, Baseline
from .config import Config, ConfigError, config_from_dict, read_yaml
from .document_step import from_dict
from .model import GovTagModel

WEIGHTS = "model.safetensors"
TOKENIZER = ("tokenizer.json", "tokenizer_config.json")
REQUIRED = (WEIGHTS, "config.json", *TOKENIZER, "schema.yaml", "train_config.yaml", "calibration.json")
DOCUMENT_STEP = "document_step.json"  # with model.document_step: inference/document_step.py


class ModelDirError(ValueError):
    pass


def save_bundle(
    model: GovTagModel,
    tokenizer,
    out_dir: str | Path,
    cfg: Config,
    metrics: dict | None = None,
    extra: dict | None = None,
    tfidf=None,
) -> Path:
    """Write the model directory into a temporary sibling, then move it into place.

    `extra` maps further file names to a dict (written as JSON) or a string (written as is)."""
    out = Path(out_dir)
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(tmp / WEIGHTS), metadata={"format": "pt"})
    make_readable(tmp / WEIGHTS)  # safetensors writes it private
    model.encoder.config.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.copy(SCHEMA_PATH, tmp / "schema.yaml")
    (tmp / "train_config.yaml").write_text(
        yaml.safe_dump(cfg.to_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    if tfidf is not None:
        make_readable(tfidf.save(tmp))
    for name, payload in {"metrics.json": metrics, **(extra or {})}.items():
        if payload is not None:
            text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, indent=2)
            (tmp / name).write_text(text, encoding="utf-8")
    if out.exists():
        old = out.with_name(out.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old)
    else:
        tmp.rename(out)
    return out


def check_bundle(model_dir: str | Path) -> tuple[Config, Schema]:
    d = Path(model_dir)
    if not d.is_dir():
        raise ModelDirError(
            f"{d}: model directory not found and not a registered name (`govtag models` lists "
            f"them; train one with `govtag train -o {d}`)"
        )
    missing = [f for f in REQUIRED if not (d / f).exists()]
    if missing:
        raise ModelDirError(f"{d}: not a govtag model directory, missing {', '.join(missing)}")
    schema, current = load_schema(d / "schema.yaml"), load_schema()
    if schema.to_dict() != current.to_dict():
        raise ModelDirError(
            f"{d}: trained with labels {schema.to_dict()}, but labels/schema.yaml now has "
            f"{current.to_dict()}; retrain the model"
        )
    for name in ("config.json", "calibration.json", *TOKENIZER):
        read_json(d, name)
    path = d / "train_config.yaml"
    try:
        cfg = config_from_dict(read_yaml(path), where=str(path), legacy=True)
    except ConfigError as e:
        raise ModelDirError(str(e)) from None
    missing = [f for f in TFIDF_FILES if cfg.model.tfidf_blend and not (d / f).exists()]
    if missing:
        raise ModelDirError(
            f"{d}: not a govtag model directory, missing {', '.join(missing)} (model.tfidf_blend is on)"
        )
    return cfg, schema


def load_bundle(model_dir: str | Path):
    """Return (model in eval mode, tokenizer, config, schema)."""
    d = Path(model_dir)
    cfg, schema = check_bundle(d)
    try:
        encoder = AutoModel.from_config(AutoConfig.from_pretrained(d), add_pooling_layer=False)
    except (OSError, ValueError) as e:
        raise ModelDirError(f"{d / 'config.json'}: not a usable encoder config ({e})") from None
    model = GovTagModel(
        encoder,
        len(schema.domain),
        len(schema.type),
        pooling=cfg.model.pooling,
        separate_context=cfg.model.separate_context,
    )
    try:
        weights = load_file(str(d / WEIGHTS))
    except (SafetensorError, OSError) as e:
        raise ModelDirError(f"{d / WEIGHTS}: cannot read the weights, the file is truncated or corrupt ({e})") from None
    try:
        result = model.load_state_dict(weights, strict=False)
    except RuntimeError as e:  # tensor shapes that differ from config.json
        raise ModelDirError(
            f"{d / WEIGHTS}: weights do not match {d / 'config.json'} ({str(e).splitlines()[-1].strip()})"
        ) from None
    if result.missing_keys or result.unexpected_keys:
        raise ModelDirError(
            f"{d / WEIGHTS}: weights do not match the model "
            f"(missing {result.missing_keys[:3]}, unexpected {result.unexpected_keys[:3]})"
        )
    return model.eval(), load_tokenizer(d), cfg, schema


def load_tokenizer(model_dir: str | Path):
    """The model's tokenizer; a damaged one is a ModelDirError naming its file, not the tokenizers library's
    traceback."""
    d = Path(model_dir)
    try:
        tokenizer = AutoTokenizer.from_pretrained(d)
        tokenizer("全年完成投资10亿元 ☃ 𠀀")  # a damaged vocabulary fails here (no unknown token), not mid-run
        return tokenizer
    except Exception as e:  # tokenizers and transformers raise many types on a damaged file
        raise ModelDirError(f"{d / TOKENIZER[0]}: not a usable tokenizer ({type(e).__name__}: {e})") from None


def load_tfidf(model_dir: str | Path, cfg: Config):
    """The TF-IDF part (a `Baseline`) of a model trained with `model.tfidf_blend`, else None (and scikit-learn,
    about 150 MB, is not imported)."""
    if not cfg.model.tfidf_blend:
        return None
    try:
        return Baseline.load(model_dir)
    except ValueError as e:
        raise ModelDirError(str(e)) from None


def load_document_step(model_dir: str | Path) -> dict:
    """task → `Smoothing` of a model trained with `model.document_step` (an empty dict for older models)."""
    path = Path(model_dir) / DOCUMENT_STEP
    raw = read_json(model_dir, DOCUMENT_STEP)
    try:
        return from_dict(raw)
    except (TypeError, AttributeError) as e:
        raise ModelDirError(f"{path}: not a document step file ({e})") from None


def read_json(model_dir: str | Path, name: str, default=None):
    path = Path(model_dir) / name
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelDirError(f"{path}: not a valid JSON file ({e})") from None
