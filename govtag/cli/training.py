"""The training-side `govtag` commands: train, evaluate, compare and the models group."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import CONFIG_OPTION, DATA_OPTION, SPLITS_OPTION, check_choice, fail, load_config_or_fail

training_app = typer.Typer()


@training_app.command()
def train(
    output: Path = typer.Option(..., "--output", "-o", help="Model directory to write."),
    config: Optional[Path] = CONFIG_OPTION,
    data: Optional[Path] = DATA_OPTION,
    splits: Optional[Path] = SPLITS_OPTION,
    nproc: int = typer.Option(
        1,
        "--nproc",
        min=1,
        help="Data-parallel processes on this machine (torchrun, DDP); train.batch_size is per process.",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the trained model already in OUTPUT."),
) -> None:
    """Fine-tune the two-head model; resumes from its last checkpoint if a previous run was killed."""
    from ..inference.bundle import WEIGHTS
    from ..labels.corpus import DataError
    from ..training.distributed import in_launcher, launch
    from ..training.registry import models_dir, name_of
    from ..training.train import train as run_train

    cfg = load_config_or_fail(config, data, splits)  # checked before any process starts
    if output.exists() and not output.is_dir():
        fail(f"{output}: is a file; -o names the model directory to write")
    if (output / WEIGHTS).exists() and not overwrite:
        fail(
            f"{output}: already holds a trained model; train into a new directory and promote it with "
            f"`govtag compare {output} NEW --promote`, or pass --overwrite to replace it"
        )
    if nproc > 1 and not in_launcher():
        args = [
            "train",
            "-o",
            str(output),
            *(["-c", str(config)] if config else []),
            *(["--data", str(data)] if data else []),
            *(["--splits", str(splits)] if splits else []),
            *(["--overwrite"] if overwrite else []),
        ]
        raise typer.Exit(launch(nproc, args))
    try:
        metrics = run_train(cfg, output)
    except (DataError, ValueError, FileNotFoundError) as e:
        fail(str(e))
    except KeyboardInterrupt:
        typer.secho(
            f"interrupted: finished epochs are kept in {output.with_name(output.name + '.checkpoints')}; "
            "run the same command to resume",
            fg="yellow",
            err=True,
        )
        raise typer.Exit(130) from None
    if metrics:
        for split in ("dev", "test"):
            if split in metrics:
                m = metrics[split]
                typer.echo(
                    f"{split}: domain macro-F1 {m['domain']['macro_f1']:.3f}, "
                    f"type macro-F1 {m['type']['macro_f1']:.3f} ({m['n']} units)"
                )
        name = name_of(output)
        typer.echo(
            f"model written to {output}"
            + (
                f", registered as {name} (`govtag models`)"
                if name
                else f"; not registered (outside {models_dir()}): `govtag models register {output}` adds it"
            )
        )


@training_app.command()
def evaluate(
    model: Path = typer.Option(..., "--model", "-m", help="Trained model directory or registered name."),
    data: Optional[Path] = typer.Option(None, "--data", help="Labeled JSONL file (units with gold domain and type)."),
    split: Optional[str] = typer.Option(None, "--split", help="Or: train, dev or test split of the model's own data."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write a report directory (plots, bad cases)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with the metrics."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Also score the TF-IDF baseline."),
    backend: Optional[str] = typer.Option(
        None, "--backend", help="onnx (the default, as `govtag tag`) or torch (the torch weights)."
    ),
    genres: Optional[Path] = typer.Option(
        None,
        "--genres",
        help="YAML/JSON map doc_id → genre: the genre of the documents it names, for the breakdown by genre.",
    ),
) -> None:
    """Accuracy, macro-F1, per-class scores, calibration and the baseline on a labeled file, also by genre and
    for units with and without a heading path."""
    from ..inference.bundle import ModelDirError
    from ..inference.config import BACKENDS
    from ..inference.run_lock import OutputInUse
    from ..labels.corpus import SPLITS, DataError
    from ..labels.schema import TASKS, load_schema
    from ..training.eval_report import (
        BREAKDOWN_COLUMNS,
        SCORE_COLUMNS,
        breakdown_rows,
        score_cells,
        score_note,
        summary_json,
        write_report,
    )
    from ..training.evaluate import GROUPINGS, read_genres, run_evaluation
    from ..training.registry import resolve

    if (data is None) == (split is None):
        fail("give either --data FILE.jsonl or --split train|dev|test")
    if data is not None and not data.exists():
        fail(f"{data}: file not found")
    check_choice("--split", split, SPLITS)
    check_choice("--backend", backend, BACKENDS)
    try:
        genre_map = read_genres(genres) if genres else None
        result = run_evaluation(resolve(model), data, baseline=baseline, backend=backend, split=split, genres=genre_map)
    except (ModelDirError, DataError, FileNotFoundError, OutputInUse) as e:
        fail(str(e))
    for notice in result["notices"]:
        typer.echo(notice, err=True)
    if report:
        write_report(report, result, load_schema())
    if as_json:
        typer.echo(summary_json(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{result['data']} ({result['n']} units, {result['backend']} path)")
    for col in SCORE_COLUMNS:
        table.add_column(col)
    for task in TASKS:
        table.add_row(*score_cells(result, task))
    console = Console()
    console.print(table)
    typer.echo(score_note(result))
    for name in GROUPINGS:
        part = Table(title=name.replace("_", " "))
        for col in BREAKDOWN_COLUMNS:
            part.add_column(col)
        for row in breakdown_rows(result, name):
            part.add_row(*row)
        console.print(part)
    if report:
        typer.echo(f"report written to {report}/report.md")


@training_app.command()
def compare(
    old: str = typer.Argument(..., help="OLD model: directory or registered name."),
    new: str = typer.Argument(..., help="NEW model: directory or registered name."),
    data: Optional[Path] = typer.Option(
        None, "--data", help="Gold JSONL file, or a data directory (default: from the config)."
    ),
    split: str = typer.Option("test", "--split", help="Split to use when --data is a directory."),
    splits: Optional[Path] = SPLITS_OPTION,
    promote: bool = typer.Option(False, "--promote", help="Make NEW the default unless it is worse beyond noise."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the full comparison as JSON."),
    resamples: int = typer.Option(1000, "--resamples", min=100, help="Bootstrap resamples."),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Metrics of OLD and NEW side by side with paired-bootstrap 95% CIs, the changed units, and promotion."""
    import json

    from rich.console import Console
    from rich.table import Table

    from ..inference.bundle import ModelDirError
    from ..labels.corpus import SPLITS, DataError
    from ..labels.schema import load_schema
    from ..training.compare import compare_models, gold_units
    from ..training.compare import promote as promote_new
    from ..training.registry import resolve

    check_choice("--split", split, SPLITS)
    cfg = load_config_or_fail(config, splits=splits)
    try:
        units = gold_units(data or cfg.resolve(cfg.data.dir), cfg.resolve(cfg.data.splits), split, load_schema())
        result = compare_models(resolve(old), resolve(new), units, resamples)
    except (ModelDirError, DataError, ValueError) as e:
        fail(str(e))
    out = Console(highlight=False)
    table = Table(title=f"{result['n']} gold units, {resamples} paired resamples")
    for col in ("metric", "OLD", "NEW", "NEW − OLD", "95% CI"):
        table.add_column(col)
    for name, m in result["metrics"].items():
        table.add_row(
            name, f"{m['old']:.3f}", f"{m['new']:.3f}", f"{m['delta']:+.3f}", f"[{m['ci'][0]:+.3f}, {m['ci'][1]:+.3f}]"
        )
    out.print(table)
    effects = {e: sum(c["effect"] == e for c in result["changed"]) for e in ("fixed", "broken", "changed")}
    out.print(
        f"{len(result['changed'])} units changed prediction: " + ", ".join(f"{v} {k}" for k, v in effects.items())
    )
    for c in result["changed"][:15]:
        out.print(
            f"  {c['effect']:7} {c['doc_id']}#{c['seq']} gold {c['gold']['domain']}/{c['gold']['type']} "
            f"old {c['old']['domain']}/{c['old']['type']} new {c['new']['domain']}/{c['new']['type']} "
            f"{c['text'][:40]}",
            markup=False,
            soft_wrap=True,
        )
    if report:
        from ..labels.atomic import atomic_write

        with atomic_write(report) as f:
            f.write(json.dumps(result, ensure_ascii=False, indent=2))
    out.print(f"rule: {result['rule']}\n{result['reason']}", markup=False)
    if promote:
        if not result["promote"]:
            out.print("the default model is left untouched", markup=False)
            raise typer.Exit(1)
        out.print(f"default model is now {promote_new(result)}", markup=False)


models_app = typer.Typer(
    help="The model registry: list, set the default, roll back, register, remove.", invoke_without_command=True
)
training_app.add_typer(models_app, name="models")


@models_app.callback()
def models(ctx: typer.Context) -> None:
    """Without a subcommand: list the registered models."""
    if ctx.invoked_subcommand is None:
        models_list()


@models_app.command("list")
def models_list() -> None:
    """Every registered model: default mark, name, date, parent, data hash, test macro-F1, path."""
    from ..training.registry import load_registry, model_path, registry_path

    registry = load_registry()
    if not registry["models"]:
        typer.echo(f"{registry_path()}: no models registered")
    for name, e in sorted(registry["models"].items(), key=lambda kv: kv[1]["date"]):
        test = e["metrics"].get("test", {})
        scores = " ".join(f"{t} {test[t]['macro_f1']:.3f}" for t in ("domain", "type") if t in test)
        gone = "" if model_path(e).is_dir() else "  (directory gone: `govtag models remove` unregisters it)"
        typer.echo(
            f"{'*' if name == registry['default'] else ' '} {name}  {e['date']}  parent={e['parent'] or '-'}  "
            f"data={e['data_hash'] or '-'}  test macro-F1: {scores or '-'}  {e['path']}{gone}"
        )


@models_app.command("default")
def models_default(name: str = typer.Argument(..., help="Registered model name.")) -> None:
    """Make NAME the default model (used by `govtag tag` without --model)."""
    from ..training.registry import RegistryError, set_default

    try:
        set_default(name)
    except RegistryError as e:
        fail(str(e))
    typer.echo(f"default model is now {name}")


@models_app.command("rollback")
def models_rollback() -> None:
    """Make the previous default the default again."""
    from ..training.registry import RegistryError, rollback

    try:
        typer.echo(f"default model is now {rollback()}")
    except RegistryError as e:
        fail(str(e))


@models_app.command("remove")
def models_remove(
    name: str = typer.Argument(..., help="Registered model name."),
    delete: bool = typer.Option(False, "--delete", help="Also delete the model directory."),
) -> None:
    """Unregister a model (not the default); with --delete also delete its directory."""
    import shutil

    from ..training.registry import RegistryError, remove

    try:
        path = remove(name)
    except RegistryError as e:
        fail(str(e))
    if delete and path.is_dir():
        shutil.rmtree(path)
        typer.echo(f"removed {name} and deleted {path}")
    else:
        typer.echo(f"removed {name} from the registry" + (f"; its directory {path} is kept" if path.is_dir() else ""))


@models_app.command("register")
def models_register(model: Path = typer.Argument(..., help="Model directory trained elsewhere.")) -> None:
    """Add a model directory to the registry (its config and metrics are read from it)."""
    from ..inference.bundle import ModelDirError
    from ..training.registry import register_bundle

    try:
        typer.echo(f"registered as {register_bundle(model)}")
    except ModelDirError as e:
        fail(str(e))
