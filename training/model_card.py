"""The model card (README.md) written into every trained model directory."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..inference.config import Config
from ..labels.corpus import data_files
from ..labels.schema import TASKS


def model_card(name: str, cfg: Config, metrics: dict, data_dir: Path, split_sizes: dict) -> str:
    sources = Counter()
    for path in data_files(data_dir):
        sources[path.name if path == data_dir else path.relative_to(data_dir).parts[0]] += sum(
            1 for line in path.open(encoding="utf-8") if line.strip()
        )
    rows = [
        f"| {split} | {t} | {m[t]['accuracy']:.3f} | {m[t]['macro_f1']:.3f} | "
        f"{m[t]['macro_f1_ci'][0]:.3f}–{m[t]['macro_f1_ci'][1]:.3f} | {m[t]['ece']:.3f} |"
        for split, m in metrics.items()
        if split in ("dev", "test")
        for t in TASKS
    ]
    reading = (
        "read apart, once per heading path; the heads see both vectors"
        if cfg.model.separate_context
        else "read with the text as a sentence pair"
    )
    lookahead = (
        f"; a heading, or a unit of at most {cfg.model.short_unit_chars} characters, is read with the first "
        f"{cfg.model.lookahead_chars} characters of the unit after it"
        if cfg.model.lookahead_chars
        else ""
    )
    title = (
        f"the first {cfg.model.title_chars} characters of its document's title and " if cfg.model.title_chars else ""
    )
    step = metrics.get("document_step") or {}
    smoothing = ", ".join(
        f"{t}: window {s['window']}, weight {s['weight']}, below {s['threshold']}"
        for t, s in step.items()
        if s["window"]
    )
    smoothed = (
        f"\n- Document step: a unit's scores under a threshold are mixed with its neighbours' in the document, "
        f"fitted on dev ({smoothing})."
        if smoothing
        else ""
    )
    weights = metrics.get("tfidf_weights")
    blended = (
        f"\n- Blended with a TF-IDF (character 1-3-grams) + logistic-regression model trained on the same training split:\n"
        f"  scores = (1 − w) · log p_encoder + w · log p_tfidf, w fitted on dev: "
        f"{', '.join(f'{t} {w}' for t, w in weights.items())}."
        if weights
        else ""
    )
    same = metrics.get("default_path_agreement", {}).get("dev")
    agreement = (
        f"\nThe scores are the torch weights'. `govtag tag` runs the ONNX export (int8, near ties re-checked in "
        f"fp32): on dev it gives the same domain and type for {100 * same['both']:.1f} % of units "
        f"(domain {100 * same['domain']:.1f} %, type {100 * same['type']:.1f} %; `--backend torch` gives the "
        "torch weights' own).\n"
        if same and same.get("both") is not None
        else ""
    )
    card = f"""# govtag model `{name}`

Tags each sentence of a Chinese government work report with a governance domain and a statement type.

- Backbone: `{cfg.backbone.source}` `{cfg.backbone.name}` (vocab {cfg.backbone.vocab}, layers {cfg.backbone.num_layers or "all"}),
  {cfg.model.pooling} pooling of the last hidden states → two linear heads; input = unit text + {title}at most
  {cfg.model.section_chars} characters of its heading path ({reading}), at most {cfg.model.max_length} tokens{lookahead}.
- Training data: `{cfg.data.dir}` ({", ".join(f"{k}: {v}" for k, v in sorted(sources.items()))} lines),
  split by document per `{cfg.data.splits}`: {", ".join(f"{k} {v} units" for k, v in split_sizes.items())}.
- Training: {cfg.train.epochs} epochs max (ran {metrics.get("epochs_run")}), batch {cfg.train.batch_size},
  lr {cfg.train.learning_rate} (heads {cfg.train.head_learning_rate}), class weights {cfg.train.class_weights},
  seed {cfg.train.seed}; best epoch chosen on dev mean macro-F1; temperatures fitted on dev.{blended}{smoothed}

## Scores

| split | task | accuracy | macro-F1 | 95% CI (documents resampled) | ECE |
|---|---|---|---|---|---|
{chr(10).join(rows)}
{agreement}
## Intended use and limits

For batch tagging of 工作总结/工作报告/工作计划/述职/督查通报 and web copies of them (范文-site pages,
excerpts, 信息公开 reports, meeting news, inspection lists), with a human reviewing flagged low-confidence
units. Labels follow labels/GUIDELINES.md. Most training units were written for this project, so scores
on the project's own test split overstate quality on other writers' reports and real web pages: check
`govtag evaluate` on your own labeled sample before relying on it.
Not for other languages or other document genres.
"""
    return card
