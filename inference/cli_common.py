"""Pieces the `govtag` command modules share: the error exit and the --config option and its loading."""
from __future__ import annotations

from typing import NoReturn

import typer

CONFIG_OPTION = typer.Option(None, "--config", "-c", help="YAML config (default: configs/default.yaml).")


def fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)


def load_config_or_fail(path):
    """The config at path (default: configs/default.yaml); a bad file ends the command with its error."""
    from training.config import DEFAULT_CONFIG, ConfigError, load_config

    try:
        return load_config(path or DEFAULT_CONFIG)
    except ConfigError as e:
        fail(str(e))
