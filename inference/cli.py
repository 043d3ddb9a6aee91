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
    engine: str = typer.Option("plain", "--engine", help="plain (this process) or ray (a pool of model replicas "
                               "on the Ray cluster in RAY_ADDRESS, or a local one; also writes units_parquet/)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Ray engine: model replicas "
                                          "(default: one per GPU, or one per CPU)."),
    gpus_per_worker: Optional[float] = typer.Option(None, "--gpus-per-worker", min=0, help="Ray engine: GPU "
                                                    "share of a replica, e.g. 0.25 packs 4 on a GPU "
                                                    "(default: 1 on a cluster with GPUs, else 0)."),
) -> None:
    """Tag every sentence of the reports; write units, summary.csv, report.html and errors.jsonl."""
    from rich.console import Console
    from rich.progress import Progress

    from training.bundle import ModelDirError
    from training.registry import default_model_dir

    from importlib.util import find_spec

    from .pipeline import tag_paths
    from .tagger import Tagger

    if engine not in ("plain", "ray"):
        fail(f"--engine must be plain or ray, not {engine!r}")
    if engine == "ray" and find_spec("ray") is None:
        fail("--engine ray needs Ray: pip install -e '.[ray]'")
    err = Console(stderr=True, highlight=False)
    try:  # the ray engine's driver only names the model and writes the outputs: keep it off the GPU
        tagger = Tagger.load(model or default_model_dir(), backend=backend, batch_size=batch_size,
                             device="cpu" if engine == "ray" else None)
    except (ModelDirError, FileNotFoundError) as e:
        fail(str(e))
    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    try:
        if engine == "ray":
            from .ray_engine import ReplicaPool, tag_paths_ray

            summary = tag_paths_ray(inputs, tagger, output, fmts, resume=resume, with_probs=probs,
                                    pool=ReplicaPool(workers=workers, gpus_per_worker=gpus_per_worker),
                                    batch_size=batch_size)
        else:
            with Progress(console=err) as progress:
                summary = tag_paths(inputs, tagger, output, fmts, resume=resume, with_probs=probs, progress=progress)
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
    nproc: int = typer.Option(1, "--nproc", min=1, help="Data-parallel processes on this machine (torchrun, DDP); "
                              "train.batch_size is per process."),
) -> None:
    """Fine-tune the two-head model; resumes from its last checkpoint if a previous run was killed."""
    from training.config import DEFAULT_CONFIG, load_config
    from training.data import DataError
    from training.distributed import in_launcher, launch
    from training.train import train as run_train

    if nproc > 1 and not in_launcher():
        args = ["train", "-o", str(output), *(["-c", str(config)] if config else []),
                *(["--data", str(data)] if data else [])]
        raise typer.Exit(launch(nproc, args))
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
    data: Optional[Path] = typer.Option(None, "--data", help="Labeled JSONL file (units with gold domain and type)."),
    split: Optional[str] = typer.Option(None, "--split", help="Or: train, dev or test split of the model's own data."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write a report directory (plots, bad cases)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with the metrics."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Also score the TF-IDF baseline."),
    backend: Optional[str] = typer.Option(None, "--backend", help="torch or onnx (default: from the model)."),
) -> None:
    """Accuracy, macro-F1, per-class scores, calibration and the baseline on a labeled file."""
    from training.bundle import ModelDirError
    from training.data import DataError
    from training.evaluate import run_evaluation, summary_json

    if (data is None) == (split is None):
        fail("give either --data FILE.jsonl or --split train|dev|test")
    if data is not None and not data.exists():
        fail(f"{data}: file not found")
    if split is not None and split not in ("train", "dev", "test"):
        fail(f"--split must be train, dev or test, not {split!r}")
    try:
        result = run_evaluation(model, data, report, baseline=baseline, backend=backend, split=split)
    except (ModelDirError, DataError) as e:
        fail(str(e))
    if as_json:
        typer.echo(summary_json(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{result['data']} ({result['n']} units)")
    for col in ("task", "accuracy", "macro-F1", "baseline macro-F1", "ECE"):
        table.add_column(col)
    for task in ("domain", "type"):
        base = result.get("baseline", {}).get(task, {}).get("macro_f1")
        table.add_row(task, f"{result[task]['accuracy']:.3f}", f"{result[task]['macro_f1']:.3f}",
                      "-" if base is None else f"{base:.3f}", f"{result[task]['ece']:.3f}")
    Console().print(table)
    if report:
        typer.echo(f"report written to {report}/report.md")


@app.command("export-onnx")
def export_onnx(
    model: Path = typer.Option(..., "--model", "-m", help="Trained model directory."),
    quantize: bool = typer.Option(True, "--quantize/--no-quantize", help="Also write the int8 model."),
) -> None:
    """Export the model to MODEL/onnx/ for `--backend onnx`: fp32 and int8 (dynamic quantization)."""
    from training.bundle import ModelDirError

    from .onnx_export import export_onnx as run_export

    try:
        paths = run_export(model, quantize=quantize)
    except ModelDirError as e:
        fail(str(e))
    for kind, path in paths.items():
        typer.echo(f"{kind}: {path} ({path.stat().st_size / 1e6:.1f} MB)")


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


@app.command()
def review(
    tagged: Path = typer.Argument(..., metavar="TAGGED_DIR", help="Output directory of `govtag tag` (or its units.jsonl)."),
    output: Path = typer.Option(..., "--output", "-o", help="Directory for the review tasks."),
    n: Optional[int] = typer.Option(None, "--n", min=1, help="Units to pick (default: review.n in the config)."),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Pick the units most worth a human look; export Label Studio tasks, doccano JSONL and a CSV."""
    from labels.schema import load_schema
    from training.config import DEFAULT_CONFIG, load_config

    from .review import read_tagged, select, tagging_model, write_tasks

    try:
        units = read_tagged(tagged)
    except (FileNotFoundError, ValueError) as e:
        fail(str(e))
    schema = load_schema()
    chosen = select(units, schema, load_config(config or DEFAULT_CONFIG).review, n)
    paths = write_tasks(chosen, output, schema, model=tagging_model(tagged))
    docs = len({u["doc_id"] for u in chosen})
    typer.echo(f"{len(chosen)} of {len(units)} units from {docs} documents → " + ", ".join(str(p) for p in paths))


@app.command("import")
def import_labels(
    files: list[Path] = typer.Argument(..., metavar="FILE...", help="Label Studio .json, doccano .jsonl or review .csv."),
    data: Optional[Path] = typer.Option(None, "--data", help="Labeled data directory (default: from the config)."),
    splits: Optional[Path] = typer.Option(None, "--splits", help="Splits file (default: from the config)."),
    annotator: Optional[str] = typer.Option(None, "--annotator", help="Annotator for rows that do not name one."),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Validate corrected labels and merge them into DATA/imported/; nothing is written if any row is bad."""
    from labels.imports import ImportFailed, merge
    from labels.schema import load_schema
    from training.config import DEFAULT_CONFIG, load_config
    from training.data import DataError

    cfg = load_config(config or DEFAULT_CONFIG)
    try:
        r = merge(files, data or cfg.resolve(cfg.data.dir), splits or cfg.resolve(cfg.data.splits),
                  load_schema(), annotator)
    except ImportFailed as e:
        for line in e.errors:
            typer.secho(line, fg="red", err=True)
        fail(f"{len(e.errors)} problem(s); nothing was imported")
    except DataError as e:
        fail(str(e))
    typer.echo(f"{r.units} units imported ({r.changed} with a new label, {r.new_units} not in the data before, "
               f"{r.replaced_imports} replacing earlier imports, {r.duplicates} duplicate rows, "
               f"{r.skipped} unannotated tasks skipped) → {r.path or 'nothing written'}")
    if r.new_documents:
        typer.echo(f"{len(r.new_documents)} new document(s) added to the splits file")


@app.command()
def compare(
    old: str = typer.Argument(..., help="OLD model: directory or registered name."),
    new: str = typer.Argument(..., help="NEW model: directory or registered name."),
    data: Optional[Path] = typer.Option(None, "--data", help="Gold JSONL file, or a data directory (default: from the config)."),
    split: str = typer.Option("test", "--split", help="Split to use when --data is a directory."),
    splits: Optional[Path] = typer.Option(None, "--splits", help="Splits file (default: from the config)."),
    promote: bool = typer.Option(False, "--promote", help="Make NEW the default unless it is worse beyond noise."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the full comparison as JSON."),
    resamples: int = typer.Option(1000, "--resamples", min=100, help="Bootstrap resamples."),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Metrics of OLD and NEW side by side with paired-bootstrap 95% CIs, the changed units, and promotion."""
    import json

    from rich.console import Console
    from rich.table import Table

    from labels.schema import load_schema
    from training.bundle import ModelDirError
    from training.compare import compare_models, gold_units, promote as promote_new
    from training.config import DEFAULT_CONFIG, load_config
    from training.data import DataError
    from training.registry import resolve

    cfg = load_config(config or DEFAULT_CONFIG)
    try:
        units = gold_units(data or cfg.resolve(cfg.data.dir), splits or cfg.resolve(cfg.data.splits), split,
                           load_schema())
        result = compare_models(resolve(old), resolve(new), units, resamples)
    except (ModelDirError, DataError, ValueError) as e:
        fail(str(e))
    out = Console(highlight=False)
    table = Table(title=f"{result['n']} gold units, {resamples} paired resamples")
    for col in ("metric", "OLD", "NEW", "NEW − OLD", "95% CI"):
        table.add_column(col)
    for name, m in result["metrics"].items():
        table.add_row(name, f"{m['old']:.3f}", f"{m['new']:.3f}", f"{m['delta']:+.3f}",
                      f"[{m['ci'][0]:+.3f}, {m['ci'][1]:+.3f}]")
    out.print(table)
    effects = {e: sum(c["effect"] == e for c in result["changed"]) for e in ("fixed", "broken", "changed")}
    out.print(f"{len(result['changed'])} units changed prediction: " + ", ".join(f"{v} {k}" for k, v in effects.items()))
    for c in result["changed"][:15]:
        out.print(f"  {c['effect']:7} {c['doc_id']}#{c['seq']} gold {c['gold']['domain']}/{c['gold']['type']} "
                  f"old {c['old']['domain']}/{c['old']['type']} new {c['new']['domain']}/{c['new']['type']} "
                  f"{c['text'][:40]}", markup=False, soft_wrap=True)
    if report:
        report.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    out.print(f"rule: {result['rule']}\n{result['reason']}", markup=False)
    if promote:
        if not result["promote"]:
            out.print("the default model is left untouched", markup=False)
            raise typer.Exit(1)
        out.print(f"default model is now {promote_new(result)}", markup=False)


models_app = typer.Typer(help="The model registry: list, set the default, roll back.", invoke_without_command=True)
app.add_typer(models_app, name="models")


@models_app.callback()
def models(ctx: typer.Context) -> None:
    """Without a subcommand: list the registered models."""
    if ctx.invoked_subcommand is None:
        models_list()


@models_app.command("list")
def models_list() -> None:
    """Every registered model: default mark, name, date, parent, data hash, test macro-F1, path."""
    from training.registry import load_registry, registry_path

    registry = load_registry()
    if not registry["models"]:
        typer.echo(f"{registry_path()}: no models registered")
    for name, e in sorted(registry["models"].items(), key=lambda kv: kv[1]["date"]):
        test = e["metrics"].get("test", {})
        scores = " ".join(f"{t} {test[t]['macro_f1']:.3f}" for t in ("domain", "type") if t in test)
        typer.echo(f"{'*' if name == registry['default'] else ' '} {name}  {e['date']}  parent={e['parent'] or '-'}  "
                   f"data={e['data_hash'] or '-'}  test macro-F1: {scores or '-'}  {e['path']}")


@models_app.command("default")
def models_default(name: str = typer.Argument(..., help="Registered model name.")) -> None:
    """Make NAME the default model (used by `govtag tag` without --model)."""
    from training.registry import RegistryError, set_default

    try:
        set_default(name)
    except RegistryError as e:
        fail(str(e))
    typer.echo(f"default model is now {name}")


@models_app.command("rollback")
def models_rollback() -> None:
    """Make the previous default the default again."""
    from training.registry import RegistryError, rollback

    try:
        typer.echo(f"default model is now {rollback()}")
    except RegistryError as e:
        fail(str(e))


@models_app.command("register")
def models_register(model: Path = typer.Argument(..., help="Model directory trained elsewhere.")) -> None:
    """Add a model directory to the registry (its config and metrics are read from it)."""
    from training.bundle import ModelDirError
    from training.registry import register_bundle

    try:
        typer.echo(f"registered as {register_bundle(model)}")
    except ModelDirError as e:
        fail(str(e))


if __name__ == "__main__":
    app()
