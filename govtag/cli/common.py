"""Pieces the `govtag` command modules share: the error exit, output directory creation, and the --config,
--data and --splits options and their loading."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import typer

CONFIG_OPTION = typer.Option(None, "--config", "-c", help="YAML config (default: configs/default.yaml).")
DATA_OPTION = typer.Option(None, "--data", help="Labeled data directory (default: data.dir in the config).")
SPLITS_OPTION = typer.Option(None, "--splits", help="Splits file (default: data.splits in the config).")


def fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)


def check_choice(option: str, value, choices: tuple[str, ...]) -> None:
    """End the command when an option's value is not one of its choices (None: the option was not given)."""
    if value is not None and value not in choices:
        fail(f"{option} must be {', '.join(choices[:-1])} or {choices[-1]}, not {value!r}")


def make_dir_or_fail(path: Path) -> None:
    """Create an output directory (and its parents); one that cannot be made ends the command."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fail(f"{path}: cannot create this output directory: {e.strerror or e}")
    if not os.access(path, os.W_OK):
        fail(f"{path}: the output directory is not writable")


def load_config_or_fail(path, data: Path | None = None, splits: Path | None = None):
    """The config at path (default: configs/default.yaml), with --data/--splits in place of its data.dir and
    data.splits (so a trained model records what it was trained on); a bad file ends the command with its error."""
    from ..inference.config import DEFAULT_CONFIG, ConfigError, load_config

    try:
        cfg = load_config(path or DEFAULT_CONFIG)
    except ConfigError as e:
        fail(str(e))
    if data:
        cfg.data.dir = str(data.resolve())
    if splits:
        cfg.data.splits = str(splits.resolve())
    return cfg


def writable_corpus_or_fail(cfg) -> None:
    """Commands that write labeled data refuse the corpus inside an installed package (lost at the next upgrade)."""
    from ..labels.corpus import in_installed_package

    for path in (cfg.resolve(cfg.data.dir), cfg.resolve(cfg.data.splits)):
        if in_installed_package(path):
            fail(
                f"{path}: the labeled corpus inside the installed govtag package is read-only; copy it with "
                "`govtag data copy DIR` and pass --data DIR/data --splits DIR/splits.yaml"
            )
