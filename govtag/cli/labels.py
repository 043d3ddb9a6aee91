"""The labeled-data `govtag` commands: review and import (the correction loop) and the data group."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import CONFIG_OPTION, DATA_OPTION, SPLITS_OPTION, fail, load_config_or_fail, writable_corpus_or_fail

labels_app = typer.Typer()
data_app = typer.Typer(
    help="The labeled corpus: statistics, document splits, a copy to retrain with.", no_args_is_help=True
)
labels_app.add_typer(data_app, name="data")


@labels_app.command()
def review(
    tagged: Path = typer.Argument(
        ..., metavar="TAGGED_DIR", help="Output directory of `govtag tag` (or its units.jsonl)."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Directory for the review tasks."),
    n: Optional[int] = typer.Option(None, "--n", min=1, help="Units to pick (default: review.n in the config)."),
    config: Optional[Path] = CONFIG_OPTION,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the task files already in OUTPUT."),
) -> None:
    """Pick the units most worth a human look; export Label Studio tasks, doccano JSONL and a CSV.
    Units a person already corrected (in the data's imported/ folder, same text) are not picked again."""
    from ..inference.review import TASK_FILES, model_version, read_tagged, select, tagging_model, write_tasks
    from ..labels.corpus import DataError
    from ..labels.imports import corrected_texts
    from ..labels.schema import load_schema
    from ..training.registry import name_of

    cfg = load_config_or_fail(config)
    if output.exists() and not output.is_dir():
        fail(f"{output}: is a file; -o names the directory for the review tasks")
    taken = [output / name for name in TASK_FILES if (output / name).exists()]
    if taken and not overwrite:
        fail(f"{taken[0]}: already exists and may hold labels being filled in; choose another -o or pass --overwrite")
    try:
        units = read_tagged(tagged)
        corrected = corrected_texts(cfg.resolve(cfg.data.dir))
    except (FileNotFoundError, ValueError, DataError) as e:
        fail(str(e))
    schema = load_schema()
    fresh = [u for u in units if corrected.get((str(u["doc_id"]), u["seq"])) != u["text"]]
    chosen = select(fresh, schema, cfg.review, n)
    model = tagging_model(tagged)  # predictions carry NAME@HASH: the registered name, the weights' sha256
    paths = write_tasks(chosen, output, schema, model=model_version(model, name_of(model) if model else None))
    docs = len({u["doc_id"] for u in chosen})
    skipped = f" ({len(units) - len(fresh)} corrected in an earlier import left out)" if len(fresh) < len(units) else ""
    typer.echo(
        f"{len(chosen)} of {len(units)} units from {docs} documents{skipped} → " + ", ".join(str(p) for p in paths)
    )


@labels_app.command("import")
def import_labels(
    files: list[Path] = typer.Argument(
        ...,
        metavar="FILE...",
        help="Label Studio export (.json: JSON or JSON-MIN; .csv: CSV), doccano .jsonl or review .csv.",
    ),
    data: Optional[Path] = DATA_OPTION,
    splits: Optional[Path] = SPLITS_OPTION,
    annotator: Optional[str] = typer.Option(
        None,
        "--annotator",
        help="Annotator for rows that do not name one (also in place of Label Studio's numeric user ids).",
    ),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Validate corrected labels and merge them into DATA/imported/; nothing is written if any row is bad."""
    from ..labels.corpus import DataError
    from ..labels.imports import ImportFailed, merge
    from ..labels.schema import load_schema

    cfg = load_config_or_fail(config, data, splits)
    writable_corpus_or_fail(cfg)
    try:
        r = merge(files, cfg.resolve(cfg.data.dir), cfg.resolve(cfg.data.splits), load_schema(), annotator)
    except ImportFailed as e:
        for line in e.errors:
            typer.secho(line, fg="red", err=True)
        fail(f"{len(e.errors)} problem(s); nothing was imported")
    except DataError as e:
        fail(str(e))
    typer.echo(
        f"{r.units} units imported ({r.changed} with a new label, {r.new_units} not in the data before, "
        f"{r.replaced_imports} replacing earlier imports, {r.duplicates} duplicate rows, "
        f"{r.skipped} unannotated tasks skipped) → {r.path or 'nothing written'}"
    )
    if r.new_documents:
        typer.echo(f"{len(r.new_documents)} new document(s) added to the splits file")


@data_app.command("stats")
def data_stats(
    config: Optional[Path] = CONFIG_OPTION,
    data: Optional[Path] = DATA_OPTION,
    splits: Optional[Path] = SPLITS_OPTION,
) -> None:
    """Counts per split × domain × type, and per source."""
    from ..labels.corpus import DataError
    from ..labels.stats import corpus_tables

    cfg = load_config_or_fail(config, data, splits)
    data = cfg.resolve(cfg.data.dir)
    if not data.exists():
        fail(f"{data}: labeled data directory not found")
    try:
        typer.echo(corpus_tables(data, cfg.resolve(cfg.data.splits)))
    except DataError as e:
        fail(str(e))


@data_app.command("split")
def data_split(
    config: Optional[Path] = CONFIG_OPTION, data: Optional[Path] = DATA_OPTION, splits: Optional[Path] = SPLITS_OPTION
) -> None:
    """Add documents that are not yet in the splits file; existing assignments never move."""
    from ..labels.corpus import DataError, load_labeled, load_splits, update_splits
    from ..labels.schema import load_schema

    cfg = load_config_or_fail(config, data, splits)
    writable_corpus_or_fail(cfg)
    path = cfg.resolve(cfg.data.splits)
    try:
        before = len(load_splits(path))
        docs = {str(u["doc_id"]) for u in load_labeled(cfg.resolve(cfg.data.dir), load_schema())}
        after = update_splits(path, docs)
    except DataError as e:
        fail(str(e))
    typer.echo(f"{path}: {len(after) - before} new document(s), {len(after)} in all")


@data_app.command("copy")
def data_copy(dest: Path = typer.Argument(..., metavar="DIR", help="Directory to copy the corpus into.")) -> None:
    """Copy the labeled corpus that ships with govtag to DIR/data and DIR/splits.yaml, to add your own
    corrections to (`govtag import --data DIR/data --splits DIR/splits.yaml`) and retrain on."""
    from ..labels.corpus import DataError, copy_corpus

    try:
        data, splits = copy_corpus(dest)
    except (DataError, OSError) as e:
        fail(str(e))
    typer.echo(
        f"{sum(1 for _ in data.rglob('*.jsonl'))} labeled files → {data}, splits → {splits}; "
        f"retrain with: govtag train --data {data} --splits {splits} -o DIR"
    )
