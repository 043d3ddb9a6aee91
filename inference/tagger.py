"""Batched, length-sorted tagging of units with a trained model directory."""
from __future__ import annotations

import os
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

import numpy as np
import torch
from transformers import AutoTokenizer

from labels.schema import TASKS
from training.bundle import check_bundle, load_bundle, load_document_step, load_tfidf, read_json
from training.calibration import softmax
from training.data import CONTEXT, encode, model_contexts, model_texts

from . import document_step

T, R = TypeVar("T"), TypeVar("R")
_document_worker = threading.local()  # .active: this thread tags one document of `map_documents`


def set_threads(n: int = 0) -> None:
    torch.set_num_threads(n or os.cpu_count() or 1)


def cut_batches(lengths: np.ndarray, max_units: int, call_tokens: int) -> list[tuple[int, int]]:
    """(start, stop) of consecutive batches over ascending `lengths`, of at most `max_units` each, that cost
    least in all: a batch costs its padded size (units × its longest) plus `call_tokens` for the call itself.
    Dynamic programming: best[j] is the least cost of the first j inputs."""
    best, start = np.zeros(len(lengths) + 1), np.zeros(len(lengths) + 1, dtype=int)
    for j in range(1, len(lengths) + 1):
        i = np.arange(max(0, j - max_units), j)
        cost = best[i] + (j - i) * lengths[j - 1] + call_tokens
        k = int(np.argmin(cost))
        best[j], start[j] = cost[k], i[k]
    cuts, j = [], len(lengths)
    while j:
        cuts.append((int(start[j]), j))
        j = start[j]
    return cuts[::-1]


class Tagger:
    """Predicts domain and type for units; `backend="onnx"` runs an exported int8 model instead.
    `map_documents` tags `workers` documents at a time, each on threads // workers of the cores.
    `tfidf` (a fitted `Baseline` with its blend weights): the model's TF-IDF part, blended into the scores;
    `document_step` (task → `Smoothing`): the scores of unsure units smoothed with their neighbours'."""

    def __init__(self, model, tokenizer, cfg, schema, temperature: dict | None = None,
                 batch_size: int | None = None, backend: str | None = None, device: str | None = None,
                 model_dir: str | Path | None = None, threads: int = 0, workers: int | None = None,
                 tfidf=None, document_step: dict | None = None):
        from .onnx_export import physical_cores

        self.model, self.tokenizer, self.cfg, self.schema, self.tfidf = model, tokenizer, cfg, schema, tfidf
        self.document_step = document_step or {}
        self.model_dir = Path(model_dir) if model_dir else None
        self.temperature = temperature or {t: 1.0 for t in TASKS}
        self.backend = backend or cfg.tag.backend
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        on_gpu = self.device.type == "cuda" and self.backend == "torch"
        self.batch_size = batch_size or (cfg.tag.gpu_batch_size if on_gpu else cfg.tag.batch_size)
        threads = threads or physical_cores()
        self.workers = 1 if on_gpu else workers or cfg.tag.workers or threads
        self.threads = max(1, threads // self.workers)  # each worker's
        self._tokenizing = threading.Lock()  # a fast tokenizer is not to be called from two threads at once
        if self.backend == "onnx":
            from .onnx_export import OnnxSession

            if model_dir is None:
                raise ValueError("the onnx backend needs a model directory")
            self.session = OnnxSession(Path(model_dir), threads=self.threads)
        elif self.backend == "torch":
            self.model.eval().to(self.device)
        else:
            raise ValueError(f"backend must be torch or onnx, not {self.backend!r}")

    @classmethod
    def load(cls, model_dir: str | Path, threads: int = 0, review_threshold: float | None = None,
             recheck_margin: float | None = None, **kwargs) -> "Tagger":
        """The onnx backend reads only the tokenizer, config and schema: the weights are in the ONNX file.
        review_threshold and recheck_margin replace the model's tag.review_threshold and
        tag.onnx_recheck_margin; `threads`: all the tagger may use (0: one per core)."""
        set_threads(threads)
        cfg, schema = check_bundle(model_dir)
        if (kwargs.get("backend") or cfg.tag.backend) == "onnx":
            model, tokenizer = None, AutoTokenizer.from_pretrained(model_dir)
        else:
            model, tokenizer, cfg, schema = load_bundle(model_dir)
        if review_threshold is not None:
            cfg.tag.review_threshold = review_threshold
        if recheck_margin is not None:
            cfg.tag.onnx_recheck_margin = recheck_margin
        temperature = read_json(model_dir, "calibration.json")
        return cls(model, tokenizer, cfg, schema, temperature, model_dir=model_dir, threads=threads,
                   tfidf=load_tfidf(model_dir, cfg), document_step=load_document_step(model_dir), **kwargs)

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

    def batches(self, enc: dict):
        """Yield (indices, padded batch) of encoded inputs, length-sorted and cut by `cut_batches`; padded on
        the right with the tokenizer's pad id (0 for the mask and segment ids), as `tokenizer.pad` does, ten
        times faster."""
        lengths = np.array([len(ids) for ids in enc["input_ids"]])
        order = np.argsort(lengths, kind="stable")
        fill = {k: (self.tokenizer.pad_token_id or 0) if k == "input_ids" else 0 for k in enc}
        for start, stop in cut_batches(lengths[order], self.batch_size, self.cfg.tag.batch_call_tokens):
            idx = order[start:stop]
            batch = {k: np.full((len(idx), int(lengths[idx].max())), fill[k], dtype=np.int64) for k in enc}
            for row, i in enumerate(idx):
                for k, values in enc.items():
                    batch[k][row, :lengths[i]] = values[i]
            yield idx, {k: torch.from_numpy(v) for k, v in batch.items()}

    def autocast(self):
        """bf16 on GPUs that have it (Ampere and later), fp16 on older ones; fp32 on CPU."""
        if self.device.type != "cuda":
            return nullcontext()
        return torch.autocast("cuda", dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)

    def vectors(self, enc: dict, exact: bool = False):
        """The pooled encoder output of each encoded input, in input order (numpy for ONNX, from its fp32
        encoder if `exact`; else a tensor left on the device: no wait for the GPU between batches). ONNX
        sessions run on one worker's threads: outside `map_documents` the batches share the workers."""
        order, batches = zip(*self.batches(enc))
        if self.backend == "onnx":
            run = lambda batch: self.session.embed(batch, exact=exact)  # noqa: E731
            if self.workers > 1 and not getattr(_document_worker, "active", False):
                with ThreadPoolExecutor(self.workers) as pool:
                    parts = list(pool.map(run, batches))
            else:
                parts = [run(batch) for batch in batches]
        else:
            parts = [self.model.embed(**{k: v.to(self.device) for k, v in batch.items()}) for batch in batches]
        back = np.argsort(np.concatenate(order))
        return (np.concatenate(parts) if self.backend == "onnx" else torch.cat(parts))[back]

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
        heading = self.vectors({"input_ids": distinct, "attention_mask": [[1] * len(ids) for ids in distinct]},
                               exact)
        rows = np.array([where[ids] for ids in paths])
        return own, heading[rows]

    def logits(self, units: list[dict]) -> dict[str, np.ndarray]:
        """What the softmax of each task reads: the heads' logits, blended with the TF-IDF model's
        probabilities if the model has one (training/blend.py)."""
        if not units:
            return {t: np.zeros((0, len(self.schema.labels(t))), dtype=np.float32) for t in TASKS}
        texts, contexts = model_texts(units, self.cfg.model), model_contexts(units, self.cfg.model)
        tfidf = self.tfidf.probabilities(units, self.schema) if self.tfidf else None
        with torch.inference_mode(), self.autocast():
            own, context = self.features(texts, contexts)
            if self.backend == "onnx":
                return self.recheck(units, texts, contexts, self.blended(self.session.heads(own, context), tfidf),
                                    tfidf)
            result = self.model.classify(own, context)
            return self.blended({t: result[f"{t}_logits"].float().cpu().numpy() for t in TASKS}, tfidf)

    def blended(self, logits: dict[str, np.ndarray], tfidf: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        return self.tfidf.blend(logits, tfidf) if tfidf is not None else logits

    def recheck(self, units: list[dict], texts: list[str], contexts: list[str], logits: dict[str, np.ndarray],
                tfidf: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        """int8 ONNX scores with the near ties (top two scores of a task closer than tag.onnx_recheck_margin)
        replaced by the fp32 encoder's: int8 flips 1-2 % of the default model's labels, most of them near ties
        (docs/speed.md). With a document step, so are the units that are near ties once smoothed (their
        neighbours keep their int8 scores: re-checking them too agreed hardly better and cost more, docs/speed.md)."""
        margin = self.cfg.tag.onnx_recheck_margin
        if not (margin and self.session.quantized):
            return logits
        probs = self.calibrated(logits)
        redo = document_step.near_ties(probs, margin)
        if self.document_step:
            redo |= document_step.near_ties(document_step.apply(probs, units, self.document_step), margin)
        redo = np.flatnonzero(redo)
        if len(redo):
            exact = self.blended(self.session.heads(*self.features([texts[i] for i in redo],
                                                                    [contexts[i] for i in redo], exact=True)),
                                 None if tfidf is None else {t: p[redo] for t, p in tfidf.items()})
            for t in TASKS:
                logits[t][redo] = exact[t]
        return logits

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
