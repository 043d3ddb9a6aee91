"""The analysis commands over tagged output: summarize (group comparisons with intervals)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import fail, make_dir_or_fail

analysis_app = typer.Typer()
SHOWN = 40  # groups printed; the files hold all


@analysis_app.command()
def summarize(
    outdir: Path = typer.Argument(
        ..., metavar="OUTDIR", help="Output directory of `govtag tag` (or its units.jsonl or units.parquet)."
    ),
    by: str = typer.Option(
        "", "--by", help="Grouping columns, comma-separated: year,level,place … (none: all documents, one group)."
    ),
    meta: Optional[Path] = typer.Option(
        None,
        "--meta",
        help="Per-document metadata (.csv or .xlsx) with a doc_id or file column (file path or name); its columns "
        "can be grouped by and replace the units' own.",
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Directory for the tables (default: OUTDIR)."),
    resamples: int = typer.Option(
        1000, "--resamples", min=0, help="Resamples of the documents of each group (0: no intervals)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the resampling (each group draws from it and its values)."),
) -> None:
    """Compare groups of documents: the share of content units (type not other) per domain, type and domain ×
    type, in sentences and in characters, with 95% intervals from resampling documents. Writes
    shares_by_GROUPS.csv, .parquet and .dta (long) and .xlsx (one row per group)."""
    from rich.console import Console

    from ..inference.summarize import SummaryError, summarize_with_notes
    from ..inference.summary_files import write_tables

    if not outdir.exists():
        fail(f"{outdir}: no such directory (expected the output directory of `govtag tag`)")
    target = output or (outdir if outdir.is_dir() else outdir.parent)
    if target.exists() and not target.is_dir():
        fail(f"{target}: is a file; -o names the directory for the tables")
    try:
        frame, notes = summarize_with_notes(outdir, by, meta, resamples, seed)
    except SummaryError as e:
        fail(str(e))
    make_dir_or_fail(target)
    try:
        paths, file_notes = write_tables(frame, target)
    except OSError as e:
        fail(f"{target}: cannot write the tables: {e.strerror or e}")
    out, err = Console(highlight=False), Console(stderr=True, highlight=False)
    if not out.is_terminal:  # a file or a pipe: no line to fit
        out = Console(highlight=False, width=max(out.width, 200))
    out.print(group_table(frame, out.width))
    for note in notes + file_notes:
        err.print(f"note: {note}", style="yellow", markup=False, soft_wrap=True)
    out.print("→ " + ", ".join(str(p) for p in paths), markup=False, soft_wrap=True)


def group_table(frame, width: int = 200):
    """The groups and their domain shares of content sentences, as a rich table; with the intervals where they
    fit in `width` columns."""
    from rich import box
    from rich.table import Table

    from ..inference.summarize import wide

    table = wide(frame, "sentences").head(SHOWN)
    by = list(frame.attrs.get("by", []))
    domains = [c[: -len(" share")] for c in table.columns if c.endswith(" share")]
    fixed = [*((c, c) for c in by), ("documents", "docs"), ("content_units", "content")]
    text = {c: [("–" if _na(v) else str(v)) if c in by else f"{v:,}" for v in table[c]] for c, _ in fixed}
    widths = [max([len(name), *map(len, text[c])]) for c, name in fixed]
    intervals = sum(widths) + 11 * len(domains) + 2 * (len(fixed) + len(domains)) <= width
    level = frame.attrs.get("level", 0.95)
    view = Table(
        title=f"% of content sentences per domain, {level:.0%} interval from {frame.attrs.get('resamples')} "
        "document resamples (characters: in the files)"
        if intervals
        else "% of content sentences per domain (intervals and characters: in the files, or in a wider terminal)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    for (c, name), w in zip(fixed, widths):
        view.add_column(name, justify="left" if c in by else "right", no_wrap=True, min_width=w)
    for d in domains:
        view.add_column(d, justify="right", no_wrap=True)
    for k, row in enumerate(table.itertuples(index=False)):
        values = dict(zip(table.columns, row))
        cells = [text[c][k] for c, _ in fixed]
        for d in domains:
            share, low, high = (values[f"{d} {c}"] for c in ("share", "ci_low", "ci_high"))
            cells.append(_share(share, low, high) if intervals else _share(share, None, None))
        view.add_row(*cells)
    total = len(frame.drop_duplicates(by)) if by else 1
    if total > SHOWN:
        view.caption = f"… {total - SHOWN} more groups in the files"
    return view


def _na(v) -> bool:
    import pandas as pd

    return bool(pd.isna(v))


def _share(share, low, high) -> str:
    if _na(share):
        return "–"
    return f"{share * 100:.1f}" if _na(low) else f"{share * 100:.1f}\n{low * 100:.1f}–{high * 100:.1f}"
