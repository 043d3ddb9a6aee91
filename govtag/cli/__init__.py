"""The `govtag` app with the tagging commands; it adds the training and labeled-data commands."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .analysis import analysis_app
from .common import CONFIG_OPTION, check_choice, fail, load_config_or_fail, make_dir_or_fail
from .labels import labels_app
from .training import training_app

app = typer.Typer(
    help="Tag Chinese government work reports: governance domain × statement type per sentence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    models_dir: Optional[Path] = typer.Option(
        None,
        "--models-dir",
        envvar="GOVTAG_MODELS_DIR",
        help="Where models and their registry live (default: models/ in a checkout, else the user's data "
        "directory, e.g. ~/.local/share/govtag/models).",
    ),
) -> None:
    """Tag Chinese government work reports: governance domain × statement type per sentence."""
    import os

    if models_dir:
        os.environ["GOVTAG_MODELS_DIR"] = str(models_dir.resolve())  # what training.registry reads


@app.command()
def segment(
    inputs: list[str] = typer.Argument(..., metavar="FILES/DIRS...", help="Files, directories (recursive) or globs."),
    output: Path = typer.Option(..., "--output", "-o", help="Units JSONL to write."),
    config: Optional[Path] = CONFIG_OPTION,
    max_file_mb: Optional[float] = typer.Option(None, min=0, help="Skip larger files (default: segment.max_file_mb)."),
    max_unit_chars: Optional[int] = typer.Option(
        None, min=1, help="Split longer sentences (default: segment.max_unit_chars)."
    ),
) -> None:
    """Read reports (.txt .docx .pdf .html) and split them into units: sentences and headings with their section."""
    import json

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from ..inference.read import ReadError, expand, read_all
    from ..inference.segment import document_units
    from ..labels.atomic import atomic_write

    if output.is_dir():
        fail(f"{output}: is a directory; -o/--output is the units JSONL file to write")
    make_dir_or_fail(output.parent)
    cfg = load_config_or_fail(config).segment
    max_bytes = int((cfg.max_file_mb if max_file_mb is None else max_file_mb) * 1e6)
    limit = cfg.max_unit_chars if max_unit_chars is None else max_unit_chars
    err, out = Console(stderr=True, highlight=False), Console(highlight=False)
    items = list(expand(inputs))
    if not items:
        err.print("error: no input files given", style="red", soft_wrap=True)
    n_read = n_failed = n_units = 0
    boilerplate: list[tuple[str, list[str]]] = []
    with atomic_write(output) as f, Progress(console=err, disable=len(items) < 2) as progress:
        task = progress.add_task("segmenting", total=len(items))
        for doc in read_all(items, max_bytes):
            progress.advance(task)
            if isinstance(doc, ReadError):
                n_failed += 1
                err.print(f"error: {doc}", style="red", markup=False, soft_wrap=True)
                continue
            units = document_units(doc, limit)
            f.writelines(json.dumps(u, ensure_ascii=False) + "\n" for u in units)
            n_read, n_units = n_read + 1, n_units + len(units)
            if doc.dropped:
                boilerplate.append((str(doc.path), doc.dropped))
    summary = Table(title="govtag segment", show_header=False)
    for name, value in (
        ("files read", n_read),
        ("files failed", n_failed),
        ("units", n_units),
        ("boilerplate lines dropped", sum(len(d) for _, d in boilerplate)),
        ("output", str(output)),
    ):
        summary.add_row(name, str(value))
    out.print(summary)
    for path, dropped in boilerplate[:20]:
        out.print(
            f"{path}: {len(dropped)} boilerplate line(s) dropped, first: {dropped[0][:40]}",
            soft_wrap=True,
            markup=False,
        )
    if len(boilerplate) > 20:
        out.print(f"… and {len(boilerplate) - 20} more files with boilerplate dropped")
    if n_failed or not n_read:
        raise typer.Exit(1)


@app.command()
def tag(
    inputs: list[str] = typer.Argument(..., metavar="FILES/DIRS...", help="Files, directories (recursive) or globs."),
    output: Path = typer.Option(..., "--output", "-o", help="Output directory."),
    model: Optional[Path] = typer.Option(
        None,
        "--model",
        "-m",
        help="Model directory or registered name (default: the registry's default, models/default).",
    ),
    formats: str = typer.Option("jsonl,csv,xlsx", "--format", help="Unit files to write: jsonl,csv,xlsx,parquet."),
    resume: bool = typer.Option(False, "--resume", help="Skip documents an interrupted run already tagged."),
    probs: bool = typer.Option(False, "--probs", help="Add the full probabilities of both heads to units.jsonl."),
    backend: Optional[str] = typer.Option(
        None,
        "--backend",
        help="onnx (the default: int8 with an fp32 re-check of near ties; a model without an export is exported "
        "on first use) or torch (the torch weights, slower on CPU).",
    ),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="Units per forward pass."),
    review_threshold: Optional[float] = typer.Option(
        None,
        "--review-threshold",
        min=0,
        max=1,
        help="Flag units with a score under it (default: the model's tag.review_threshold).",
    ),
    recheck_margin: Optional[float] = typer.Option(
        None,
        "--recheck-margin",
        min=0,
        max=1,
        help="--backend onnx "
        "with int8: tag again in fp32 the units whose two best scores "
        "are closer than this; 0 = int8 alone (default: the model's "
        "tag.onnx_recheck_margin).",
    ),
    meta: Optional[Path] = typer.Option(
        None,
        "--meta",
        help="CSV (or .tsv) of your own document metadata: a file or doc_id column, any others (year, province, "
        "city, county, level, genre, …); it overrides and extends what is read from the documents.",
    ),
    engine: str = typer.Option(
        "plain",
        "--engine",
        help="plain (this process) or ray (a pool of model replicas "
        "on the Ray cluster in RAY_ADDRESS, or a local one; also writes units_parquet/).",
    ),
    workers: Optional[int] = typer.Option(
        None,
        "--workers",
        min=1,
        help="Documents tagged at once, each on its "
        "share of the cores (default: the model's tag.workers, one per core; "
        "1 on a GPU); ray engine: model replicas (default: one per GPU, or "
        "one per CPU).",
    ),
    gpus_per_worker: Optional[float] = typer.Option(
        None,
        "--gpus-per-worker",
        min=0,
        help="Ray engine: GPU "
        "share of a replica, e.g. 0.25 packs 4 on a GPU "
        "(default: 1 on a cluster with GPUs, else 0).",
    ),
) -> None:
    """Tag every sentence of the reports; write units, summary.csv, report.html and errors.jsonl."""
    from importlib.util import find_spec

    from rich.console import Console
    from rich.progress import Progress

    from ..inference.bundle import ModelDirError
    from ..inference.config import BACKENDS
    from ..inference.loading import load_tagger
    from ..inference.meta_file import MetaFileError, read_meta_file
    from ..inference.pipeline import tag_paths
    from ..inference.run_lock import OutputInUse
    from ..training.registry import default_model_dir, resolve

    check_choice("--engine", engine, ("plain", "ray"))
    try:
        meta_rows = read_meta_file(meta) if meta else None
    except MetaFileError as e:
        fail(str(e))
    check_choice("--backend", backend, BACKENDS)
    fmts = tuple(dict.fromkeys(f.strip() for f in formats.split(",") if f.strip()))
    if not fmts:
        fail("--format: name at least one of jsonl,csv,xlsx,parquet")
    if output.exists() and not output.is_dir():
        fail(f"{output}: is a file; -o/--output must be a directory (it gets units, summary.csv, report.html …)")
    if engine == "ray" and find_spec("ray") is None:
        fail("--engine ray needs Ray: pip install -e '.[ray]'")
    model = resolve(model) if model else None  # a registered name or a directory
    if model is None and not default_model_dir().exists():
        fail(
            f"no model at {default_model_dir()}: train the default with `make run` (or `govtag train -o "
            "models/default`), or pass --model DIR"
        )
    err = Console(stderr=True, highlight=False)
    try:  # the ray engine's driver only names the model and writes the outputs: keep it off the GPU
        tagger, notices = load_tagger(
            model or default_model_dir(),
            backend=backend,
            batch_size=batch_size,
            review_threshold=review_threshold,
            recheck_margin=recheck_margin,
            device="cpu" if engine == "ray" else None,
            workers=workers if engine == "plain" else 1,
        )
    except (ModelDirError, FileNotFoundError, OutputInUse) as e:
        fail(str(e))
    for notice in notices:
        err.print(notice, markup=False, soft_wrap=True)
    make_dir_or_fail(output)
    try:
        if engine == "ray":
            from ..inference.ray_engine import ReplicaPool, tag_paths_ray

            summary = tag_paths_ray(
                inputs,
                tagger,
                output,
                fmts,
                resume=resume,
                with_probs=probs,
                pool=ReplicaPool(workers=workers, gpus_per_worker=gpus_per_worker),
                batch_size=batch_size,
                meta=meta_rows,
            )
            for e in summary.errors:  # the plain engine prints these as it goes
                err.print(f"error: {e['path']}: {e['error']}", style="red", markup=False, soft_wrap=True)
        else:
            with Progress(console=err) as progress:
                summary = tag_paths(
                    inputs, tagger, output, fmts, resume=resume, with_probs=probs, progress=progress, meta=meta_rows
                )
    except ValueError as e:
        fail(str(e))
    except KeyboardInterrupt:
        err.print(
            f"interrupted: finished documents are kept in {output}/.parts; run the same command with --resume to go on",
            style="yellow",
        )
        raise typer.Exit(130) from None
    rate = f" ({summary.units / summary.seconds:.0f} units/s)" if summary.seconds and not summary.resumed else ""
    Console(highlight=False).print(
        f"{summary.documents} documents from {summary.files - summary.failed} files "
        f"({summary.resumed} resumed), {summary.units} units{rate}, "
        f"{summary.review} flagged for review, {summary.dropped} boilerplate lines dropped, "
        f"{summary.failed} failed → {output}/ ({', '.join(summary.outputs)})"
    )
    for notice in summary.notices:
        Console(highlight=False).print(notice, markup=False, soft_wrap=True)
    if summary.removed:
        Console(highlight=False).print(
            f"removed {', '.join(summary.removed)} of an earlier run into {output}/: "
            "they would not match this run's units"
        )
    if summary.failed:
        raise typer.Exit(1)


@app.command("export-onnx")
def export_onnx(
    model: Path = typer.Option(..., "--model", "-m", help="Trained model directory or registered name."),
    quantize: bool = typer.Option(True, "--quantize/--no-quantize", help="Also write the int8 model."),
    smoothing: Optional[float] = typer.Option(
        None,
        "--smoothing",
        min=0,
        max=1,
        help="SmoothQuant strength of the int8 model (default: the model's "
        "tag.onnx_smoothing; 0 = feed-forward outputs stay fp32).",
    ),
) -> None:
    """Export the model to MODEL/onnx/ for `--backend onnx`: fp32 and int8 (dynamic quantization)."""
    from ..inference.bundle import ModelDirError
    from ..inference.onnx_export import export_onnx as run_export
    from ..inference.onnx_session import INT8, ONNX_DIR
    from ..training.registry import resolve

    model = resolve(model)
    stale = model / ONNX_DIR / INT8
    remove_stale = not quantize and stale.exists()
    try:
        paths = run_export(model, quantize=quantize, smoothing=smoothing)
    except ModelDirError as e:
        fail(str(e))
    for kind, path in paths.items():
        typer.echo(f"{kind}: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if remove_stale:
        typer.echo(
            f"removed {stale}: it is from an earlier export, and `--backend onnx` runs the int8 file when there is one"
        )


# added without a name: their commands join the top level, listed after the ones above
app.add_typer(training_app)
app.add_typer(labels_app)
app.add_typer(analysis_app)


if __name__ == "__main__":
    app()
