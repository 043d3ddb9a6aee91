"""`govtag tag --engine ray`: the plain pipeline spread over a Ray cluster, with the same outputs.

    files ─ Ray tasks: read + segment ─ actor pool: N model replicas ─ OUTDIR/.parts/<key>.jsonl
          ─ driver: units.*, summary.csv, report.html, errors.jsonl (pipeline.write_all, as plain)
          ─ Ray tasks: OUTDIR/units_parquet/part-NNNNN.parquet (one file per partition of documents)

Each replica tags one document per `Tagger.predict` call, exactly as `tag_paths` does, and writes
the same per-document parts (same names, same bytes), so every output is identical to the plain
engine's and `--resume` works across engines. Input files, the model directory and OUTDIR must be
visible to every node (one machine, or a shared filesystem). `ray.init()` joins the cluster named
by RAY_ADDRESS, or starts a local one.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Iterable

import numpy as np

from .outputs import WRITERS, write_jsonl, write_parquet
from .pipeline import RunSummary, content_key, prepare_parts, read_parts, write_all
from .read import ReadError, doc_ids, expand, read
from .segment import segment
from .tagger import Tagger

PARQUET_DIR = "units_parquet"


def file_rows(inputs: Iterable[str | Path]) -> list[dict]:
    """One row per input file, in input order; inputs that are not files carry their error already."""
    items = list(expand(inputs))
    ids = doc_ids([p for p in items if isinstance(p, Path)])
    return [{"index": i, "path": item.path, "doc_id": "", "error": item.reason} if isinstance(item, ReadError)
            else {"index": i, "path": str(item), "doc_id": ids[item], "error": ""} for i, item in enumerate(items)]


def read_and_segment(row: dict, parts: str, max_bytes: int, max_unit_chars: int, resume: bool) -> dict:
    """A Ray task per file: its units as JSON (none if its part is already done), or why it cannot be read."""
    out = {**row, "key": "", "units": "", "dropped": 0, "resumed": False}
    if row["error"]:
        return out
    try:
        doc = read(row["path"], row["doc_id"], max_bytes)
    except ReadError as e:
        return {**out, "path": e.path, "error": e.reason}
    out.update(key=content_key(doc.doc_id, doc.text), dropped=len(doc.dropped))
    if resume and (Path(parts) / f"{out['key']}.jsonl").exists():
        return {**out, "resumed": True}
    units = segment(doc.text, doc.doc_id, max_unit_chars)
    for u in units:
        u["file"] = str(doc.path)
    return {**out, "units": json.dumps(units, ensure_ascii=False)}


class TagReplica:
    """A Ray actor holding one model replica; writes each document's tagged units to its part."""

    def __init__(self, model_dir: str, parts: str, with_probs: bool, threads: int, backend: str,
                 batch_size: int | None):
        self.tagger = Tagger.load(model_dir, threads=threads, backend=backend, batch_size=batch_size)
        self.parts, self.with_probs = Path(parts), with_probs

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        for key, units, error, resumed in zip(batch["key"], batch["units"], batch["error"], batch["resumed"]):
            if not error and not resumed:
                write_jsonl(self.parts / f"{key}.jsonl", self.tagger.predict(json.loads(units), self.with_probs))
        return {k: v for k, v in batch.items() if k != "units"}


def write_partition(batch: dict[str, np.ndarray], parts: str, out: str) -> dict[str, np.ndarray]:
    """A Ray task per partition (a run of consecutive input files): its units as one Parquet file,
    named by the input number of its first file."""
    keys = [k for k, error in zip(batch["key"], batch["error"]) if not error]
    if keys:
        write_parquet(Path(out) / f"part-{int(batch['index'][0]):06d}.parquet",
                      read_parts([Path(parts) / f"{k}.jsonl" for k in keys]))
    return batch


def tag_paths_ray(inputs: Iterable[str | Path], tagger: Tagger, out_dir: str | Path,
                  formats: tuple[str, ...] = ("jsonl", "csv", "xlsx"), resume: bool = False,
                  with_probs: bool = False, workers: int = 2, cpus_per_worker: int = 1,
                  gpus_per_worker: float | None = None, batch_size: int | None = None,
                  docs_per_partition: int = 100) -> RunSummary:
    """`tag_paths` on Ray. `tagger` (kept on the driver's CPU) names the model and writes the final
    outputs; `workers` replicas tag, each with `cpus_per_worker` threads and, where the cluster has GPUs,
    one GPU (`gpus_per_worker`); `batch_size` None is the replica's device default."""
    import ray

    unknown = set(formats) - set(WRITERS)
    if unknown:
        raise ValueError(f"unknown output format(s) {sorted(unknown)}; choose from {sorted(WRITERS)}")
    if tagger.model_dir is None:
        raise ValueError("the ray engine needs a tagger loaded from a model directory")
    start = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    summary = RunSummary()
    parts = prepare_parts(out_dir, tagger, resume)
    started = not ray.is_initialized()
    if started:
        ray.init(logging_level="WARNING")
    try:
        if gpus_per_worker is None:
            gpus_per_worker = 1.0 if ray.cluster_resources().get("GPU", 0) else 0.0
        rows = file_rows(inputs)
        summary.files = len(rows)
        seg = tagger.cfg.segment
        shutil.rmtree(out_dir / PARQUET_DIR, ignore_errors=True)
        ray.data.DataContext.get_current().execution_options.preserve_order = True  # partitions by input order
        tagged = (ray.data.from_items(rows, override_num_blocks=max(1, len(rows)))
                  .map(read_and_segment, fn_kwargs=dict(parts=str(parts), max_bytes=int(seg.max_file_mb * 1e6),
                                                        max_unit_chars=seg.max_unit_chars, resume=resume))
                  .map_batches(TagReplica, batch_size=1, compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=cpus_per_worker,
                               num_gpus=gpus_per_worker,
                               fn_constructor_kwargs=dict(model_dir=str(tagger.model_dir.resolve()), parts=str(parts),
                                                          with_probs=with_probs, threads=cpus_per_worker,
                                                          backend=tagger.backend, batch_size=batch_size))
                  .map_batches(write_partition, batch_size=docs_per_partition, num_cpus=0,
                               fn_kwargs=dict(parts=str(parts), out=str(out_dir / PARQUET_DIR)))
                  .take_all())
        done = []
        for row in sorted(tagged, key=lambda r: r["index"]):
            if row["error"]:
                summary.failed += 1
                summary.errors.append({"path": row["path"], "error": row["error"]})
                continue
            done.append(parts / f"{row['key']}.jsonl")
            summary.dropped += int(row["dropped"])
            summary.resumed += bool(row["resumed"])
    finally:
        if started:
            ray.shutdown()
    write_all(out_dir, done, tagger, formats, summary)
    summary.outputs.append(f"{PARQUET_DIR}/")
    summary.seconds = round(time.perf_counter() - start, 2)
    return summary
