"""Tagging units with a trained model: texts encoded in length-sorted batches (batching.py) by a backend
(backends.py), the TF-IDF blend (baseline.py), the int8 re-check (recheck.py), calibration and the document
step, then output rows."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from ..labels.schema import TASKS
from . import document_step
from .backends import OnnxBackend, TorchBackend
from .batching import padded_batches
from .bundle import check_bundle, load_bundle, load_document_step, load_tfidf, load_tokenizer, read_json
from .calibration import softmax
from .config import default_config
from .model_inputs import CONTEXT, encode, model_contexts, model_texts
from .onnx_session import OnnxSession, physical_cores
from .recheck import rows_to_recheck

T, R = TypeVar("T"), TypeVar("R")
_document_worker = threading.local()  # .active: this thread tags one document of `map_documents`


def default_backend() -> str:
    """The path a run takes unless told: tag.backend of configs/default.yaml (the ONNX export) on CPU, the torch
    weights on a CUDA device (bf16 there; ONNX Runtime here runs on the CPU)."""
    return "torch" if torch.cuda.is_available() else default_config().tag.backend


def set_threads(n: int = 0) -> None:
    torch.set_num_threads(n or os.cpu_count() or 1)


class Tagger:
    """Predicts domain and type for units; `backend="onnx"` runs an exported int8 model instead
    (`self.backend`: a `TorchBackend` or an `OnnxBackend`).
    `map_documents` tags `workers` documents at a time, each on threads // workers of the cores.
    `tfidf` (a fitted `Baseline` with its blend weights): the model's TF-IDF part, blended into the scores;
    `document_step` (task → `Smoothing`): the scores of unsure units smoothed with their neighbours'."""

    def __init__(
        self,
        model,
        tokenizer,
        cfg,
        schema,
        temperature: dict | None = None,
        batch_size: int | None = None,
        backend: str | None = None,
        device: str | None = None,
        model_dir: str | Path | None = None,
        threads: int = 0,
        workers: int | None = None,
        tfidf=None,
        document_step: dict | None = None,
    ):
        self.model, self.tokenizer, self.cfg, self.schema, self.tfidf = model, tokenizer, cfg, schema, tfidf
        self.document_step = document_step or {}
        self.model_dir = Path(model_dir) if model_dir else None
        self.temperature = temperature or {t: 1.0 for t in TASKS}
        # the run's choice, not the model's: a model directory's tag.backend is the default of when it was
        # trained, and every model runs on either backend (docs/architecture.md)
        backend = backend or default_backend()
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        on_gpu = self.device.type == "cuda" and backend == "torch"
        self.batch_size = batch_size or (cfg.tag.gpu_batch_size if on_gpu else cfg.tag.batch_size)
        threads = threads or physical_cores()
        self.workers = 1 if on_gpu else workers or cfg.tag.workers or threads
        self.threads = max(1, threads // self.workers)  # each worker's
        self._tokenizing = threading.Lock()  # a fast tokenizer is not to be called from two threads at once
        if backend == "onnx":
            if model_dir is None:
                raise ValueError("the onnx backend needs a model directory")
            self.backend = OnnxBackend(OnnxSession(Path(model_dir), threads=self.threads))
        elif backend == "torch":
            weights = self.model_dir / "model.safetensors" if self.model_dir else None
            self.backend = TorchBackend(model, self.device, weights)
        else:
            raise ValueError(f"backend must be torch or onnx, not {backend!r}")

    @classmethod
    def load(
        cls,
        model_dir: str | Path,
        threads: int = 0,
        review_threshold: float | None = None,
        recheck_margin: float | None = None,
        **kwargs,
    ) -> Tagger:
        """`backend` (default: `default_backend()`) torch or onnx; the onnx backend reads only the
        tokenizer, config and schema: the weights are in the ONNX file (`loading.load_tagger` exports it first
        when it is missing).
        review_threshold and recheck_margin replace the model's tag.review_threshold and
        tag.onnx_recheck_margin; `threads`: all the tagger may use (0: one per core)."""
        set_threads(threads)
        if (kwargs.get("backend") or default_backend()) == "onnx":
            cfg, schema = check_bundle(model_dir)
            model, tokenizer = None, load_tokenizer(model_dir)
        else:  # load_bundle checks the directory itself
            model, tokenizer, cfg, schema = load_bundle(model_dir)
        if review_threshold is not None:
            cfg.tag.review_threshold = review_threshold
        if recheck_margin is not None:
            cfg.tag.onnx_recheck_margin = recheck_margin
        temperature = read_json(model_dir, "calibration.json")
        return cls(
            model,
            tokenizer,
            cfg,
            schema,
            temperature,
            model_dir=model_dir,
            threads=threads,
            tfidf=load_tfidf(model_dir, cfg),
            document_step=load_document_step(model_dir),
            **kwargs,
        )

    def map_documents(self, tag: Callable[[T], R], documents: Iterable[T]) -> Iterator[R]:
        """tag(document) for each document, in order, `workers` of them at a time: on two cores two
        documents on one thread each tag 1.1-1.2x faster than one on two threads (docs/speed.md). Each
        document is tagged in calls of its own, so its results do not depend on the others."""
        if self.workers == 1:
            yield from map(tag, documents)
            return
        torch_threads = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="govtag-tag")
        running = deque()
        try:
            for document in documents:
                running.append(pool.submit(self._as_document_worker, tag, document))
                if len(running) > self.workers:
                    yield running.popleft().result()
            while running:
                yield running.popleft().result()
        finally:  # interrupted: documents not started are dropped, the ones running finish
            pool.shutdown(cancel_futures=True)
            torch.set_num_threads(torch_threads)

    @staticmethod
    def _as_document_worker(tag: Callable[[T], R], document: T) -> R:
        _document_worker.active = True
        return tag(document)

    def document_probabilities(self, units: list[dict]) -> dict[str, np.ndarray]:
        """`probabilities`, each document tagged apart as `govtag tag` does (int8 results depend on the
        batch), rows in the order of `units`."""
        if not units:
            return self.probabilities(units)
        where: dict[str, list[int]] = {}
        for i, unit in enumerate(units):
            where.setdefault(unit["doc_id"], []).append(i)
        parts = list(self.map_documents(lambda rows: self.probabilities([units[i] for i in rows]), where.values()))
        back = np.argsort(np.concatenate(list(where.values())))
        return {t: np.concatenate([p[t] for p in parts])[back] for t in TASKS}

    def vectors(self, enc: dict, exact: bool = False):
        """The pooled encoder output of each encoded input, in input order (from the fp32 encoder if `exact` and
        the backend is int8). Outside `map_documents`, batches a backend can run at once share the workers."""
        batches = padded_batches(enc, self.tokenizer.pad_token_id or 0, self.batch_size, self.cfg.tag.batch_call_tokens)
        order, batches = zip(*batches)
        run = lambda batch: self.backend.embed(batch, exact=exact)  # noqa: E731
        if self.backend.parallel_batches and self.workers > 1 and not getattr(_document_worker, "active", False):
            with ThreadPoolExecutor(self.workers) as pool:
                parts = list(pool.map(run, batches))
        else:
            parts = [run(batch) for batch in batches]
        return self.backend.concat(parts, np.argsort(np.concatenate(order)))

    def features(self, texts: list[str], contexts: list[str], exact: bool = False) -> tuple:
        """What the heads read: the pooled (text, context) pair; or, with a separate context, the text's vector
        and its context's (title and heading path), each distinct context encoded once."""
        with self._tokenizing:
            enc = encode(self.tokenizer, texts, contexts, self.cfg.model.max_length, self.cfg.model.separate_context)
        own = self.vectors({k: v for k, v in enc.items() if not k.startswith(CONTEXT)}, exact)
        if CONTEXT + "input_ids" not in enc:
            return own, None
        paths = [tuple(ids) for ids in enc[CONTEXT + "input_ids"]]
        distinct = list(dict.fromkeys(paths))
        where = {ids: i for i, ids in enumerate(distinct)}
        heading = self.vectors({"input_ids": distinct, "attention_mask": [[1] * len(ids) for ids in distinct]}, exact)
        rows = np.array([where[ids] for ids in paths])
        return own, heading[rows]

    def logits(self, units: list[dict]) -> dict[str, np.ndarray]:
        """What the softmax of each task reads: the heads' logits, blended with the TF-IDF model's
        probabilities if the model has one (blend.py), the int8 near ties re-checked in fp32."""
        if not units:
            return {t: np.zeros((0, len(self.schema.labels(t))), dtype=np.float32) for t in TASKS}
        texts, contexts = model_texts(units, self.cfg.model), model_contexts(units, self.cfg.model)
        tfidf = self.tfidf.probabilities(units, self.schema) if self.tfidf else None
        with torch.inference_mode():
            logits = self.blended(self.backend.heads(*self.features(texts, contexts)), tfidf)
            margin = self.cfg.tag.onnx_recheck_margin
            if margin and self.backend.quantized:
                redo = rows_to_recheck(self.calibrated(logits), units, margin, self.document_step)
                if len(redo):
                    exact = self.blended(
                        self.backend.heads(
                            *self.features([texts[i] for i in redo], [contexts[i] for i in redo], exact=True)
                        ),
                        None if tfidf is None else {t: p[redo] for t, p in tfidf.items()},
                    )
                    for t in TASKS:
                        logits[t][redo] = exact[t]
            return logits

    def blended(self, logits: dict[str, np.ndarray], tfidf: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        return self.tfidf.blend(logits, tfidf) if tfidf is not None else logits

    def calibrated(self, logits: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {t: softmax(logits[t], self.temperature.get(t, 1.0)) for t in TASKS}

    def probabilities(self, units: list[dict]) -> dict[str, np.ndarray]:
        """Calibrated probabilities, with the document step (`document_step.apply`) if the model has one."""
        probs = self.calibrated(self.logits(units))
        return document_step.apply(probs, units, self.document_step) if self.document_step else probs

    def predict(self, units: list[dict], with_probs: bool = False) -> list[dict]:
        """Copies of the units with labels, scores and (optionally) full probabilities added."""
        probs = self.probabilities(units)
        tagged = []
        for i, unit in enumerate(units):
            row = dict(unit)
            for t in TASKS:
                labels, p = self.schema.labels(t), probs[t][i]
                best = int(p.argmax())
                row[t] = labels[best]
                row[f"{t}_score"] = round(float(p[best]), 4)
                if with_probs:
                    row[f"{t}_probs"] = {label: round(float(v), 4) for label, v in zip(labels, p)}
            row["review"] = min(row["domain_score"], row["type_score"]) < self.cfg.tag.review_threshold
            tagged.append(row)
        return tagged
