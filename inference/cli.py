"""The `govtag` command. Each subcommand is a thin wrapper; heavy imports happen inside it."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    help="Tag Chinese government work reports: governance domain × statement type per sentence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

CONFIG_OPTION = typer.Option(None, "--config", "-c", help="YAML config (default: configs/default.yaml).")
data_app = typer.Typer(help="The labeled corpus: statistics and document splits.", no_args_is_help=True)
app.add_typer(data_app, name="data")


def fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)


@app.command()
def segment(
    inputs: list[str] = typer.Argument(..., metavar="FILES/DIRS...", help="Files, directories (recursive) or globs."),
    output: Path = typer.Option(..., "--output", "-o", help="Units JSONL to write."),
    config: Optional[Path] = CONFIG_OPTION,
    max_file_mb: Optional[float] = typer.Option(None, min=0, help="Skip larger files (default: segment.max_file_mb)."),
    max_unit_chars: Optional[int] = typer.Option(None, min=1, help="Split longer sentences (default: segment.max_unit_chars)."),
) -> None:
    """Read reports (.txt .docx .pdf .html) and split them into units: sentences and headings with their section."""
    import json

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from training.config import DEFAULT_CONFIG, load_config

    from .atomic import atomic_write
    from .read import ReadError, expand, read_all
    from .segment import segment as split_units

    cfg = load_config(config or DEFAULT_CONFIG).segment
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
            units = split_units(doc.text, doc.doc_id, limit)
            f.writelines(json.dumps(u, ensure_ascii=False) + "\n" for u in units)
            n_read, n_units = n_read + 1, n_units + len(units)
            if doc.dropped:
                boilerplate.append((str(doc.path), doc.dropped))
    summary = Table(title="govtag segment", show_header=False)
    for name, value in (("files read", n_read), ("files failed", n_failed), ("units", n_units),
                        ("boilerplate lines dropped", sum(len(d) for _, d in boilerplate)), ("output", str(output))):
        summary.add_row(name, str(value))
    out.print(summary)
    for path, dropped in boilerplate[:20]:
        out.print(f"{path}: {len(dropped)} boilerplate line(s) dropped, first: {dropped[0][:40]}", soft_wrap=True, markup=False)
    if len(boilerplate) > 20:
        out.print(f"… and {len(boilerplate) - 20} more files with boilerplate dropped")
    if n_failed or not n_read:
        raise typer.Exit(1)


@app.command()
def tag(
    inputs: list[str] = typer.Argument(..., metavar="FILES/DIRS...", help="Files, directories (recursive) or globs."),
    output: Path = typer.Option(..., "--output", "-o", help="Output directory."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model directory (default: the registry's default, models/default)."),
    formats: str = typer.Option("jsonl,csv,xlsx", "--format", help="Unit files to write: jsonl,csv,xlsx,parquet."),
    resume: bool = typer.Option(False, "--resume", help="Skip documents an interrupted run already tagged."),
    probs: bool = typer.Option(False, "--probs", help="Add the full probabilities of both heads to units.jsonl."),
    backend: Optional[str] = typer.Option(None, "--backend", help="torch or onnx (default: from the model)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Units per forward pass."),
) -> None:
    """Tag every sentence of the reports; write units, summary.csv, report.html and errors.jsonl."""
    from rich.console import Console
    from rich.progress import Progress

    from training.bundle import ModelDirError
    from training.registry import default_model_dir

    from .pipeline import tag_paths
    from .tagger import Tagger

    err = Console(stderr=True, highlight=False)
    try:
        tagger = Tagger.load(model or default_model_dir(), backend=backend, batch_size=batch_size)
    except (ModelDirError, FileNotFoundError) as e:
        fail(str(e))
    try:
        with Progress(console=err) as progress:
            summary = tag_paths(inputs, tagger, output, tuple(f.strip() for f in formats.split(",") if f.strip()),
                                resume=resume, with_probs=probs, progress=progress)
    except ValueError as e:
        fail(str(e))
    except KeyboardInterrupt:
        err.print(f"interrupted: finished documents are kept in {output}/.parts; "
                  "run the same command with --resume to go on", style="yellow")
        raise typer.Exit(130)
    rate = summary.units / summary.seconds if summary.seconds else 0.0
    Console(highlight=False).print(
        f"{summary.documents} documents from {summary.files - summary.failed} files "
        f"({summary.resumed} resumed), {summary.units} units ({rate:.0f} units/s), "
        f"{summary.review} flagged for review, {summary.dropped} boilerplate lines dropped, "
        f"{summary.failed} failed → {output}/ ({', '.join(summary.outputs)})")
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def train(
    output: Path = typer.Option(..., "--output", "-o", help="Model directory to write."),
    config: Optional[Path] = CONFIG_OPTION,
    data: Optional[Path] = typer.Option(None, "--data", help="Labeled data directory (default: from the config)."),
) -> None:
    """Fine-tune the two-head model; resumes from its last checkpoint if a previous run was killed."""
    from training.config import DEFAULT_CONFIG, load_config
    from training.data import DataError
    from training.train import train as run_train

    try:
        cfg = load_config(config or DEFAULT_CONFIG)
        metrics = run_train(cfg, output, data)
    except (DataError, ValueError, FileNotFoundError) as e:
        fail(str(e))
    if metrics:
        for split in ("dev", "test"):
            if split in metrics:
                m = metrics[split]
                typer.echo(f"{split}: domain macro-F1 {m['domain']['macro_f1']:.3f}, "
                           f"type macro-F1 {m['type']['macro_f1']:.3f} ({m['n']} units)")
        typer.echo(f"model written to {output}")


@app.command()
def evaluate(
    model: Path = typer.Option(..., "--model", "-m", help="Trained model directory."),
    data: Path = typer.Option(..., "--data", help="Labeled JSONL file (units with gold domain and type)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write a report directory (plots, bad cases)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with the metrics."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Also score the TF-IDF baseline."),
    backend: Optional[str] = typer.Option(None, "--backend", help="torch or onnx (default: from the model)."),
) -> None:
    """Accuracy, macro-F1, per-class scores, calibration and the baseline on a labeled file."""
    from training.bundle import ModelDirError
    from training.data import DataError
    from training.evaluate import run_evaluation, summary_json

    if not data.exists():
        fail(f"{data}: file not found")
    try:
        result = run_evaluation(model, data, report, baseline=baseline, backend=backend)
    except (ModelDirError, DataError) as e:
        fail(str(e))
    if as_json:
        typer.echo(summary_json(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{data} ({result['n']} units)")
    for col in ("task", "accuracy", "macro-F1", "baseline macro-F1", "ECE"):
        table.add_column(col)
    for task in ("domain", "type"):
        base = result.get("baseline", {}).get(task, {}).get("macro_f1")
        table.add_row(task, f"{result[task]['accuracy']:.3f}", f"{result[task]['macro_f1']:.3f}",
                      "-" if base is None else f"{base:.3f}", f"{result[task]['ece']:.3f}")
    Console().print(table)
    if report:
        typer.echo(f"report written to {report}/report.md")


@data_app.command("stats")
def data_stats(
    config: Optional[Path] = CONFIG_OPTION,
    data: Optional[Path] = typer.Option(None, "--data", help="Labeled data directory (default: from the config)."),
) -> None:
    """Counts per split × domain × type, and per source."""
    from labels.corpus import corpus_tables
    from training.config import DEFAULT_CONFIG, load_config

    cfg = load_config(config or DEFAULT_CONFIG)
    typer.echo(corpus_tables(data or cfg.resolve(cfg.data.dir), cfg.resolve(cfg.data.splits)))


@data_app.command("split")
def data_split(config: Optional[Path] = CONFIG_OPTION) -> None:
    """Add documents that are not yet in the splits file; existing assignments never move."""
    from labels.schema import load_schema
    from training.config import DEFAULT_CONFIG, load_config
    from training.data import load_labeled, load_splits, update_splits

    cfg = load_config(config or DEFAULT_CONFIG)
    path = cfg.resolve(cfg.data.splits)
    before = len(load_splits(path))
    docs = {str(u["doc_id"]) for u in load_labeled(cfg.resolve(cfg.data.dir), load_schema())}
    after = update_splits(path, docs)
    typer.echo(f"{path}: {len(after) - before} new document(s), {len(after)} in all")


if __name__ == "__main__":
    app()
