"""`govtag tag --engine ray`: the plain pipeline spread over a Ray cluster, with the same outputs.

    driver: list the files ─ Ray Data: read + segment each file (tasks)
      ─ pool of model replicas (actors, `map_batches`): OUTDIR/.parts/<key>.jsonl per document and
        OUTDIR/units_parquet/part-NNNNNN.parquet per partition (a run of consecutive input files)
      ─ driver: units.*, summary.csv, report.html, errors.jsonl from the parts (`pipeline.write_all`)

Each replica tags one document per `Tagger.predict` call, exactly as `tag_paths` does, and writes
the same per-document parts (same names, same bytes), so every output is identical to the plain
engine's and `--resume` works across engines. Ray fuses reading into the replicas when they need
the same resources (CPU-only) and keeps it in separate CPU tasks when the replicas hold GPUs.
Input files, the model directory and OUTDIR must be visible to every node (one machine, or a shared
filesystem). `ray.init()` joins the cluster named by RAY_ADDRESS, or starts a local one.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .document import ReadError
from .outputs import COLUMNS, UNIT_COLUMNS, WRITERS, write_jsonl, write_parquet
from .pipeline import (
    RunSummary,
    content_key,
    meta_columns,
    owned_output,
    prepare_parts,
    read_parts,
    units_with_metadata,
    write_all,
)
from .read import doc_ids, expand, read
from .tagger import Tagger

PARQUET_DIR = "units_parquet"


def file_rows(inputs: Iterable[str | Path], exclude: Path | None = None) -> list[dict]:
    """One row per input file, in input order: the path as the plain engine reports it, the absolute path
    a worker reads (its working directory may differ), or the error of an input that is not a file."""
    items = list(expand(inputs, exclude))
    ids = doc_ids([p for p in items if isinstance(p, Path)])
    return [
        {"index": i, "path": item.path, "read": "", "doc_id": "", "error": item.reason}
        if isinstance(item, ReadError)
        else {"index": i, "path": str(item), "read": str(item.resolve()), "doc_id": ids[item], "error": ""}
        for i, item in enumerate(items)
    ]


def read_and_segment(
    row: dict, parts: str, max_bytes: int, max_unit_chars: int, resume: bool, meta: dict | None = None
) -> dict:
    """A Ray task per file: its units as JSON (none if its part is already done), or why it cannot be read."""
    out = {**row, "key": "", "units": "", "dropped": 0, "resumed": False}
    if row["error"]:
        return out
    try:
        doc = read(row["read"], row["doc_id"], max_bytes)
    except ReadError as e:
        return {**out, "error": e.reason}
    out.update(key=content_key(doc.doc_id, doc.text), dropped=len(doc.dropped))
    if resume and (Path(parts) / f"{out['key']}.jsonl").exists():
        return {**out, "resumed": True}
    units = units_with_metadata(doc, max_unit_chars, meta)
    for u in units:
        u["file"] = row["path"]  # as the plain engine reports it (the worker reads the absolute path)
    return {**out, "units": json.dumps(units, ensure_ascii=False)}


class TagReplica:
    """A Ray actor holding one model replica. Each call gets one partition (a run of consecutive input
    files): it writes every document's part, one `Tagger.predict` per document as `tag_paths` does, then
    the partition's units as one Parquet file named by the input number of its first file."""

    def __init__(
        self,
        model_dir: str,
        parts: str,
        parquet_dir: str,
        with_probs: bool,
        threads: int,
        backend: str,
        batch_size: int | None,
        review_threshold: float,
        recheck_margin: float,
        columns: list[str] | None = None,
    ):
        self.columns = columns or list(UNIT_COLUMNS)  # the run's unit columns, a user's --meta ones included
        self.tagger = Tagger.load(
            model_dir,
            threads=threads,
            workers=1,
            backend=backend,
            batch_size=batch_size,
            review_threshold=review_threshold,
            recheck_margin=recheck_margin,
        )
        self.parts, self.parquet_dir, self.with_probs = Path(parts), Path(parquet_dir), with_probs

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        done = []
        for key, units, error, resumed in zip(batch["key"], batch["units"], batch["error"], batch["resumed"]):
            if error:
                continue
            done.append(self.parts / f"{key}.jsonl")
            if not resumed:
                write_jsonl(done[-1], self.tagger.predict(json.loads(units), self.with_probs))
        if done:
            write_parquet(
                self.parquet_dir / f"part-{int(batch['index'][0]):06d}.parquet", read_parts(done), self.columns
            )
        return {k: v for k, v in batch.items() if k != "units"}


def collect(rows: list[dict], parts: Path, summary: RunSummary) -> list[Path]:
    """The replicas' rows back in input order: errors into the summary, the parts of the documents."""
    done = []
    for row in sorted(rows, key=lambda r: int(r["index"])):
        if row["error"]:
            summary.failed += 1
            summary.errors.append({"path": str(row["path"]), "error": str(row["error"])})
            continue
        done.append(parts / f"{row['key']}.jsonl")
        summary.dropped += int(row["dropped"])
        summary.resumed += bool(row["resumed"])
    return done


@dataclass
class ReplicaPool:
    """How many model replicas, and what each holds. `workers` None: one per `gpus_per_worker` GPUs where
    replicas use GPUs, else one per `cpus_per_worker` CPUs. `gpus_per_worker` None: 1 on a cluster with
    GPUs, else 0. A partition holds at most `docs_per_partition` files, fewer when that leaves a replica idle."""

    workers: int | None = None
    cpus_per_worker: int = 1
    gpus_per_worker: float | None = None
    docs_per_partition: int = 32

    def resolve(self, cluster: dict, n_files: int) -> tuple[int, float, int]:
        """(replicas, GPUs per replica, files per partition) on a cluster of `ray.cluster_resources()`."""
        gpus = (1.0 if cluster.get("GPU", 0) else 0.0) if self.gpus_per_worker is None else self.gpus_per_worker
        size = self.workers or max(
            1, int(cluster.get("GPU", 0) / gpus if gpus else cluster.get("CPU", 1) // self.cpus_per_worker)
        )
        return size, gpus, max(1, min(self.docs_per_partition, -(-n_files // size)))


def run_pool(
    rows: list[dict],
    tagger: Tagger,
    parts: Path,
    parquet_dir: Path,
    pool: ReplicaPool,
    resume: bool,
    with_probs: bool,
    batch_size: int | None,
    meta: dict | None = None,
) -> list[dict]:
    """The Ray Data pipeline on the connected cluster: the replicas' rows, without the units."""
    import ray.data

    size, gpus, per_partition = pool.resolve(ray.cluster_resources(), len(rows))
    seg = tagger.cfg.segment
    replica = dict(
        model_dir=str(tagger.model_dir.resolve()),
        parts=str(parts),
        parquet_dir=str(parquet_dir),
        with_probs=with_probs,
        threads=pool.cpus_per_worker,
        backend=tagger.backend.name,
        batch_size=batch_size,
        review_threshold=tagger.cfg.tag.review_threshold,
        recheck_margin=tagger.cfg.tag.onnx_recheck_margin,
        columns=[*COLUMNS, *meta_columns(meta), "file"],
    )
    options = ray.data.DataContext.get_current().execution_options
    keep_order, options.preserve_order = options.preserve_order, True  # partitions follow the input order
    try:
        return (
            ray.data.from_items(rows, override_num_blocks=len(rows))
            .map(
                read_and_segment,
                fn_kwargs=dict(
                    parts=str(parts),
                    max_bytes=int(seg.max_file_mb * 1e6),
                    max_unit_chars=seg.max_unit_chars,
                    resume=resume,
                    meta=meta,
                ),
            )
            .map_batches(
                TagReplica,
                batch_size=per_partition,
                fn_constructor_kwargs=replica,
                compute=ray.data.ActorPoolStrategy(size=size),
                num_cpus=pool.cpus_per_worker,
                num_gpus=gpus,
            )
            .take_all()
        )
    finally:
        options.preserve_order = keep_order


def tag_paths_ray(
    inputs: Iterable[str | Path],
    tagger: Tagger,
    out_dir: str | Path,
    formats: tuple[str, ...] = ("jsonl", "csv", "xlsx"),
    resume: bool = False,
    with_probs: bool = False,
    pool: ReplicaPool | None = None,
    batch_size: int | None = None,
    meta: dict | None = None,
) -> RunSummary:
    """`tag_paths` on Ray. `tagger` (best loaded on the driver's CPU) names the model and writes the final
    outputs; the replicas tag with `batch_size` (None: their device's default, tag.batch_size or
    tag.gpu_batch_size). Joins the running Ray cluster, or starts one (and stops it after)."""
    import ray

    unknown = set(formats) - set(WRITERS)
    if unknown:
        raise ValueError(f"unknown output format(s) {sorted(unknown)}; choose from {sorted(WRITERS)}")
    if tagger.model_dir is None:
        raise ValueError("the ray engine needs a tagger loaded from a model directory")
    start = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    summary = RunSummary()
    with owned_output(out_dir, summary):
        parts = prepare_parts(out_dir, tagger, resume, with_probs, meta)
        shutil.rmtree(out_dir / PARQUET_DIR, ignore_errors=True)
        rows = file_rows(inputs, exclude=out_dir)
        summary.files = len(rows)
        tagged: list[dict] = []
        if rows:
            started = not ray.is_initialized()
            if started:
                ray.init(logging_level="WARNING")
            try:
                tagged = run_pool(
                    rows,
                    tagger,
                    parts,
                    out_dir / PARQUET_DIR,
                    pool or ReplicaPool(),
                    resume,
                    with_probs,
                    batch_size,
                    meta,
                )
            finally:
                if started:
                    ray.shutdown()
        write_all(out_dir, collect(tagged, parts, summary), tagger, formats, summary, meta)
    summary.outputs.append(f"{PARQUET_DIR}/")
    summary.seconds = round(time.perf_counter() - start, 2)
    return summary
