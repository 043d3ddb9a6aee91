"""Evaluation against a labeled file: metrics, confusion, calibration, bad cases, per document, baseline."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from ..inference.baseline import Baseline
from ..inference.blend import fit_weight
from ..inference.calibration import fit_temperature
from ..inference.config import Config
from ..inference.document_step import fit, from_dict
from ..inference.loading import load_tagger
from ..inference.model_inputs import contextualize
from ..inference.tagger import Tagger
from ..labels.corpus import DataError, read_units
from ..labels.schema import TASKS, Schema
from .data import labeled_splits
from .metrics import (
    confusion,
    expected_calibration_error,
    macro_f1,
    macro_f1_interval,
    paired_bootstrap,
    reliability,
    task_metrics,
)


def gold_index(units: list[dict], schema: Schema, task: str) -> np.ndarray:
    return np.array([schema.labels(task).index(u[task]) for u in units], dtype=int)


def fit_calibration(
    model, tokenizer, cfg: Config, schema: Schema, dev_units: list[dict], tfidf: Baseline | None = None
) -> dict:
    """One temperature per head, fitted on dev; with a TF-IDF part, first its blend weights (set on `tfidf`)."""
    logits = Tagger(model, tokenizer, cfg, schema, backend="torch").logits(dev_units)
    gold = {t: gold_index(dev_units, schema, t) for t in TASKS}
    if tfidf is not None:
        probs = tfidf.probabilities(dev_units, schema)
        tfidf.weights = {t: fit_weight(logits[t], probs[t], gold[t]) for t in TASKS}
        logits = tfidf.blend(logits, probs)
    return {t: fit_temperature(logits[t], gold[t]) for t in TASKS}


def dev_probabilities(
    model,
    tokenizer,
    cfg: Config,
    schema: Schema,
    dev_units: list[dict],
    calibration: dict,
    tfidf: Baseline | None = None,
) -> dict[str, np.ndarray]:
    """The calibrated dev scores before the document step, each document tagged apart as `govtag tag` does:
    read once after training, they serve the document step's fit, the dev metrics and the ONNX agreement."""
    tagger = Tagger(model, tokenizer, cfg, schema, calibration, backend="torch", tfidf=tfidf)
    return tagger.document_probabilities(dev_units)


def fit_document_step(cfg: Config, schema: Schema, dev_units: list[dict], probs: dict[str, np.ndarray]) -> dict:
    """The document step's setting per task (`document_step.fit`) on the calibrated dev scores `probs`
    (`dev_probabilities`), as a dict for document_step.json; empty where `model.document_step` is off."""
    if not cfg.model.document_step or not dev_units:
        return {}
    return {t: fit(probs[t], gold_index(dev_units, schema, t), dev_units).to_dict() for t in TASKS}


def score(probs: dict[str, np.ndarray], units: list[dict], schema: Schema) -> dict:
    """Metrics for both tasks from predicted probabilities and gold units, with the 95% interval of
    macro-F1 over resampled documents."""
    out: dict = {"n": len(units)}
    docs = [str(u.get("doc_id", "")) for u in units]
    for t in TASKS:
        labels = schema.labels(t)
        pred = [labels[i] for i in probs[t].argmax(-1)]
        gold = [u[t] for u in units]
        confidence = probs[t].max(-1)
        correct = np.array([g == p for g, p in zip(gold, pred)])
        out[t] = {
            **task_metrics(gold, pred, labels),
            "macro_f1_ci": macro_f1_interval(gold_index(units, schema, t), probs[t].argmax(-1), len(labels), docs),
            "confusion": confusion(gold, pred, labels),
            "ece": expected_calibration_error(confidence, correct),
            "reliability": reliability(confidence, correct),
        }
    return out


GROUPINGS = {  # the breakdowns every evaluation reports beside the whole
    "by_genre": lambda u: u.get("genre") or "(no genre)",
    "by_heading_path": lambda u: "with heading path" if u.get("section") else "without heading path",
}


def breakdown(probs: dict[str, np.ndarray], units: list[dict], schema: Schema, group_of) -> dict[str, dict]:
    """For each group of units (`group_of(unit)`): units, documents, and both tasks' accuracy and macro-F1 with
    its 95% document-bootstrap interval (macro-F1 of a small group swings with its rarest labels: accuracy
    says more there)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        groups[group_of(u)].append(i)
    out = {}
    for name, rows in sorted(groups.items()):
        docs = [str(units[i].get("doc_id", "")) for i in rows]
        entry: dict = {"n": len(rows), "documents": len(set(docs))}
        for t in TASKS:
            gold, pred, k = (
                gold_index([units[i] for i in rows], schema, t),
                probs[t][rows].argmax(-1),
                len(schema.labels(t)),
            )
            entry[t] = {
                "accuracy": round(float((gold == pred).mean()), 4),
                "macro_f1": round(float(macro_f1(gold, pred, k, np.ones((1, len(rows))))[0]), 4),
                "macro_f1_ci": macro_f1_interval(gold, pred, k, docs),
            }
        out[name] = entry
    return out


def evaluate_units(
    model,
    tokenizer,
    cfg: Config,
    schema: Schema,
    units: list[dict],
    calibration: dict,
    tfidf: Baseline | None = None,
    document_step: dict | None = None,
) -> dict:
    tagger = Tagger(
        model, tokenizer, cfg, schema, calibration, backend="torch", tfidf=tfidf, document_step=from_dict(document_step)
    )
    return score(tagger.document_probabilities(units), units, schema)


def per_document(probs: dict[str, np.ndarray], units: list[dict], schema: Schema) -> dict[str, dict]:
    rows: dict[str, dict] = defaultdict(lambda: {"n": 0, "domain_correct": 0, "type_correct": 0})
    for i, u in enumerate(units):
        row = rows[str(u.get("doc_id", ""))]
        row["n"] += 1
        for t in TASKS:
            row[f"{t}_correct"] += int(schema.labels(t)[probs[t][i].argmax()] == u[t])
    return {
        doc: {"n": r["n"], **{f"{t}_accuracy": round(r[f"{t}_correct"] / r["n"], 4) for t in TASKS}}
        for doc, r in sorted(rows.items())
    }


def bad_cases(probs: dict[str, np.ndarray], units: list[dict], schema: Schema, limit: int = 40) -> list[dict]:
    """The most confident errors first: where the model is wrong and sure of itself."""
    cases = []
    for i, u in enumerate(units):
        for t in TASKS:
            pred = schema.labels(t)[probs[t][i].argmax()]
            if pred != u[t]:
                cases.append(
                    {
                        "task": t,
                        "gold": u[t],
                        "pred": pred,
                        "score": round(float(probs[t][i].max()), 4),
                        "doc_id": u.get("doc_id"),
                        "seq": u.get("seq"),
                        "section": u.get("section", ""),
                        "text": u["text"],
                    }
                )
    return sorted(cases, key=lambda c: -c["score"])[:limit]


def baseline_metrics(
    cfg: Config, schema: Schema, units: list[dict], probs: dict[str, np.ndarray], tfidf: Baseline | None = None
) -> dict:
    """The TF-IDF baseline trained on the training split of the model's own data and splits (the model's own
    TF-IDF part if it has one), and the model's lead over it (macro-F1, with its 95% paired interval over
    resampled documents)."""
    if tfidf is None:
        tfidf = Baseline(cfg.model.section_chars, cfg.train.seed).fit(split_of_model_data(cfg, schema, "train"))
    pred = tfidf.predict(units)
    index = {t: {label: i for i, label in enumerate(schema.labels(t))} for t in TASKS}
    paired = paired_bootstrap(
        {t: gold_index(units, schema, t) for t in TASKS},
        {t: np.array([index[t][p] for p in pred[t]]) for t in TASKS},
        {t: probs[t].argmax(-1) for t in TASKS},
        {t: len(schema.labels(t)) for t in TASKS},
        docs=[str(u.get("doc_id", "")) for u in units],
    )
    return {
        t: {
            **task_metrics([u[t] for u in units], pred[t], schema.labels(t)),
            "model_lead": {k: paired[f"{t}_macro_f1"][k] for k in ("delta", "ci")},
        }
        for t in TASKS
    }


def split_of_model_data(cfg: Config, schema: Schema, split: str) -> list[dict]:
    """One split (train, dev, test) of the labeled data a model was trained on."""
    return labeled_splits(cfg, schema)[split]


def default_path_agreement(model_dir: str | Path, units: list[dict], torch_probs: dict | None = None) -> dict:
    """How often the default path (the ONNX export: int8, near ties re-checked in fp32) gives the torch
    weights' domain and type, each document tagged apart as `govtag tag` does (`torch_probs`: the torch
    weights' scores of `units`, when already at hand)."""
    labels = {}
    for backend in ("torch", "onnx"):
        probs = torch_probs if backend == "torch" and torch_probs is not None else None
        if probs is None:
            probs = Tagger.load(model_dir, backend=backend).document_probabilities(units)
        labels[backend] = np.stack([probs[t].argmax(-1) for t in TASKS], axis=1)
    same = labels["torch"] == labels["onnx"]
    return {
        "units": len(units),
        "both": round(float(same.all(axis=1).mean()), 4) if len(units) else None,
        **{t: round(float(same[:, i].mean()), 4) if len(units) else None for i, t in enumerate(TASKS)},
    }


def run_evaluation(
    model_dir: str | Path,
    data_file: str | Path | None = None,
    baseline: bool = True,
    backend: str | None = None,
    split: str | None = None,
    genres: dict[str, str] | None = None,
) -> dict:
    """Evaluate a model directory on a labeled JSONL file, or on a split of its own data (`eval_report` shows the
    result). `genres` (doc_id → genre) sets the genre of the documents it names, for the breakdown by genre."""
    tagger, notices = load_tagger(model_dir, backend=backend)  # the path `govtag tag` takes, unless told
    if data_file is None:
        units = split_of_model_data(tagger.cfg, tagger.schema, split or "test")
        data_file = f"{tagger.cfg.data.dir} ({split or 'test'} split)"
    else:
        units = contextualize(read_units(data_file, tagger.schema))
    probs = tagger.document_probabilities(units)
    if genres:
        units = [{**u, "genre": genres.get(str(u["doc_id"]), u.get("genre"))} for u in units]
    result = {
        "model": str(model_dir),
        "data": str(data_file),
        **score(probs, units, tagger.schema),
        **{name: breakdown(probs, units, tagger.schema, group_of) for name, group_of in GROUPINGS.items()},
        "calibration": tagger.temperature,
        "backend": tagger.backend.name,
        "notices": notices,
    }
    if tagger.tfidf is not None:
        result["tfidf_weights"] = tagger.tfidf.weights
    if baseline:
        result["baseline"] = baseline_metrics(tagger.cfg, tagger.schema, units, probs, tagger.tfidf)
    result["per_document"] = per_document(probs, units, tagger.schema)
    result["bad_cases"] = bad_cases(probs, units, tagger.schema)
    return result


def read_genres(path: str | Path) -> dict[str, str]:
    """A doc_id → genre map from a YAML or JSON file (a mapping): the genre of the documents it names."""
    import yaml

    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise DataError(f"{path}: cannot read the genre map ({e})") from None
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise DataError(f"{path}: expected a mapping of doc_id to genre name")
    return {str(k): v for k, v in raw.items()}
