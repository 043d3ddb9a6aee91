"""Fine-tune the two-head model from a config with the `transformers` Trainer."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import torch
from transformers import EarlyStoppingCallback, Trainer, TrainingArguments, set_seed
from transformers.trainer_utils import get_last_checkpoint

from ..inference import document_step
from ..inference.baseline import Baseline
from ..inference.bundle import DOCUMENT_STEP, save_bundle
from ..inference.config import Config, ConfigError
from ..inference.model import GovTagModel, class_weights
from ..inference.onnx_export import export_onnx
from ..inference.tagger import set_threads
from ..labels.atomic import atomic_write
from ..labels.corpus import label_counts
from ..labels.schema import TASKS, load_schema
from .backbone import load_backbone
from .data import Collator, drop_context, labeled_splits, to_dataset
from .distributed import threads_per_process
from .evaluate import (
    default_path_agreement,
    dev_probabilities,
    evaluate_units,
    fit_calibration,
    fit_document_step,
    score,
)
from .model_card import model_card
from .registry import data_hash, register_trained

log = logging.getLogger("govtag.train")


def macro_f1_metrics(eval_pred) -> dict:
    from sklearn.metrics import f1_score

    logits, labels = eval_pred.predictions, eval_pred.label_ids
    scores = {
        f"{t}_macro_f1": f1_score(labels[i], np.argmax(logits[i], -1), average="macro") for i, t in enumerate(TASKS)
    }
    scores["mean_macro_f1"] = float(np.mean(list(scores.values())))
    return scores


def build_model(cfg: Config, train_units: list[dict], schema):
    encoder, tokenizer = load_backbone(cfg.backbone, seed=cfg.train.seed)
    if cfg.train.freeze_embeddings:
        encoder.get_input_embeddings().weight.requires_grad_(False)
    layers = len(encoder.encoder.layer)
    if cfg.train.freeze_layers > layers:
        raise ConfigError(
            f"train.freeze_layers: must be at most the number of the encoder's layers ({layers}), "
            f"got {cfg.train.freeze_layers}"
        )
    if cfg.train.freeze_layers:
        for module in (encoder.embeddings, *encoder.encoder.layer[: cfg.train.freeze_layers]):
            module.requires_grad_(False)
    weights = {t: class_weights(label_counts(train_units, schema, t), cfg.train.class_weights) for t in TASKS}
    model = GovTagModel(
        encoder,
        len(schema.domain),
        len(schema.type),
        pooling=cfg.model.pooling,
        dropout=cfg.model.dropout,
        domain_weights=weights["domain"],
        type_weights=weights["type"],
        label_smoothing=cfg.train.label_smoothing,
        separate_context=cfg.model.separate_context,
        context_gradients=cfg.train.context_gradients,
    )
    return model, tokenizer


def optimizer_for(model: GovTagModel, cfg: Config) -> torch.optim.Optimizer:
    """AdamW with a larger learning rate for the freshly initialised heads."""
    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.") and p.requires_grad]
    body = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.requires_grad]
    return torch.optim.AdamW(
        [{"params": body, "lr": cfg.train.learning_rate}, {"params": heads, "lr": cfg.train.head_learning_rate}],
        weight_decay=cfg.train.weight_decay,
    )


def training_arguments(cfg: Config, checkpoint_dir: Path) -> TrainingArguments:
    t = cfg.train
    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    return TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=cfg.tag.batch_size,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        warmup_steps=t.warmup_ratio,
        lr_scheduler_type="linear",
        seed=t.seed,
        data_seed=t.seed,
        eval_strategy="epoch",
        save_strategy="epoch",
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model="mean_macro_f1",
        greater_is_better=True,
        label_names=["domain_labels", "type_labels"],
        train_sampling_strategy=t.sampling,
        logging_strategy="steps",
        logging_steps=10,
        report_to="none",
        use_cpu=not cuda,
        bf16=bf16,
        fp16=cuda and not bf16,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,
    )


def train(cfg: Config, out_dir: str | Path, callbacks: list | None = None) -> dict:
    """Train on cfg.data, pick the best epoch on dev, calibrate, evaluate dev and test, write the model directory."""
    out_dir = Path(out_dir)
    set_threads(threads_per_process(cfg.train.threads))
    set_seed(cfg.train.seed)
    schema = load_schema()
    data_dir = cfg.resolve(cfg.data.dir)
    splits = labeled_splits(cfg, schema)
    model, tokenizer = build_model(cfg, splits["train"], schema)
    dev = splits["dev"]
    if cfg.train.eval_max_units and len(dev) > cfg.train.eval_max_units:
        dev = [dev[i] for i in np.random.default_rng(0).permutation(len(dev))[: cfg.train.eval_max_units]]
    prepare = dict(tokenizer=tokenizer, schema=schema, model=cfg.model)
    checkpoint_dir = out_dir.with_name(out_dir.name + ".checkpoints")
    trainer = Trainer(
        model=model,
        args=training_arguments(cfg, checkpoint_dir),
        train_dataset=to_dataset(drop_context(splits["train"], cfg.train.context_dropout, cfg.train.seed), **prepare),
        eval_dataset=to_dataset(dev, **prepare),
        data_collator=Collator(tokenizer),
        compute_metrics=macro_f1_metrics,
        optimizers=(optimizer_for(model, cfg), None),
        callbacks=[
            EarlyStoppingCallback(early_stopping_patience=cfg.train.early_stopping_patience),
            *(callbacks or []),
        ],
    )
    resume = get_last_checkpoint(str(checkpoint_dir)) if checkpoint_dir.is_dir() else None
    if resume:
        log.warning("resuming from %s", resume)
    effective_batch = cfg.train.batch_size * trainer.args.world_size
    if trainer.is_world_process_zero():
        log.info(
            "%d process(es) × batch %d = effective batch %d",
            trainer.args.world_size,
            cfg.train.batch_size,
            effective_batch,
        )
    trainer.train(resume_from_checkpoint=resume)
    if not trainer.is_world_process_zero():
        return {}  # under DDP only rank 0 evaluates, calibrates and writes
    model = trainer.model.eval()
    tfidf = Baseline(cfg.model.section_chars, cfg.train.seed).fit(splits["train"]) if cfg.model.tfidf_blend else None
    calibration = fit_calibration(model, tokenizer, cfg, schema, splits["dev"], tfidf)
    dev_units = splits["dev"]  # scored once: the document step's fit, the dev metrics and the agreement read them
    dev_probs = dev_probabilities(model, tokenizer, cfg, schema, dev_units, calibration, tfidf)
    smoothing = fit_document_step(cfg, schema, dev_units, dev_probs)
    dev_probs = document_step.apply(dev_probs, dev_units, document_step.from_dict(smoothing))
    metrics = {"dev": score(dev_probs, dev_units, schema)} if dev_units else {}
    if splits["test"]:
        metrics["test"] = evaluate_units(model, tokenizer, cfg, schema, splits["test"], calibration, tfidf, smoothing)
    if tfidf is not None:
        metrics["tfidf_weights"] = tfidf.weights
    if smoothing:
        metrics["document_step"] = smoothing
    metrics["train_units"] = len(splits["train"])
    metrics["data_hash"] = data_hash(data_dir, cfg.resolve(cfg.data.splits))
    metrics["epochs_run"] = round(float(trainer.state.epoch or 0), 2)
    metrics["processes"], metrics["effective_batch_size"] = trainer.args.world_size, effective_batch
    metrics["log"] = trainer.state.log_history
    card = model_card(out_dir.name, cfg, metrics, data_dir, {s: len(v) for s, v in splits.items()})
    save_bundle(
        model,
        tokenizer,
        out_dir,
        cfg,
        metrics=metrics,
        extra={"calibration.json": calibration, DOCUMENT_STEP: smoothing or None, "README.md": card},
        tfidf=tfidf,
    )
    if cfg.train.export_onnx:  # the default tagging path, measured against the torch weights on dev
        export_onnx(out_dir)
        metrics["default_path_agreement"] = {"dev": default_path_agreement(out_dir, dev_units, dev_probs)}
        card = model_card(out_dir.name, cfg, metrics, data_dir, {s: len(v) for s, v in splits.items()})
        for name, text in (("metrics.json", json.dumps(metrics, ensure_ascii=False, indent=2)), ("README.md", card)):
            with atomic_write(out_dir / name) as f:
                f.write(text)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    register_trained(out_dir, cfg, metrics)
    return metrics
