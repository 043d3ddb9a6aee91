"""Pieces the `govtag` command modules share: the error exit and the --config option."""
from __future__ import annotations

from typing import NoReturn

import typer

CONFIG_OPTION = typer.Option(None, "--config", "-c", help="YAML config (default: configs/default.yaml).")


def fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)
