"""The files of `govtag summarize`, named after the grouping (shares_by_year_level.*, or shares_all.*):

- .csv: the long table, UTF-8 with a byte-order mark: Excel needs the mark to read Chinese text as UTF-8 (without
  it, it takes the Windows code page and shows mojibake), and pandas, R's readr and data.table, and Stata's
  `import delimited` skip it; base R's read.csv wants fileEncoding = "UTF-8-BOM". Shares with 6 decimals,
  missing values empty.
- .parquet: the long table with its types (grouping columns as numbers or text, counts as integers): what
  pandas, R (arrow::read_parquet) and Python read best.
- .dta: the long table for Stata (format 118, Unicode, Stata 14 or later), with variable labels.
- .xlsx: the wide tables for Excel: one row per group, per domain its share and interval; a sheet per measure.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

from ..labels.atomic import atomic_write
from .summarize import MEASURES, wide

LABELS = {  # Stata variable labels
    "measure": "sentences or characters",
    "domain": "governance domain (all: every domain)",
    "type": "statement type (all: every content type)",
    "share": "share of content units (count / total)",
    "ci_low": "interval low (document bootstrap)",
    "ci_high": "interval high (document bootstrap)",
    "count": "content units (or their characters) of this label",
    "total": "content units (or their characters) of the group",
    "documents": "documents in the group",
    "units": "units (sentences) in the group",
    "content_units": "units whose type is not other",
}


def file_stem(by: list[str]) -> str:
    return "shares_by_" + "_".join(re.sub(r"[^\w-]+", "-", c) for c in by) if by else "shares_all"


def write_tables(frame: pd.DataFrame, out_dir: Path) -> tuple[list[Path], list[str]]:
    """Write the long table (.csv, .parquet, .dta) and the wide one (.xlsx); return the paths and notes."""
    stem = out_dir / file_stem(list(frame.attrs.get("by", [])))
    paths, notes = [stem.with_suffix(s) for s in (".csv", ".parquet", ".xlsx", ".dta")], []
    with atomic_write(paths[0], encoding="utf-8-sig") as f:
        frame.to_csv(f, index=False, float_format="%.6f", lineterminator="\n")
    with atomic_write(paths[1], mode="wb") as f:
        frame.to_parquet(f, index=False)
    write_xlsx(paths[2], frame)
    try:
        with warnings.catch_warnings(record=True) as caught, atomic_write(paths[3], mode="wb") as f:
            warnings.simplefilter("always")
            data = frame.copy()
            data.attrs = {}
            for c in data.columns[data.dtypes == "Int64"]:  # pandas writes a nullable integer as a double
                data[c] = data[c].astype("int64" if data[c].notna().all() else "float64")
            data.to_stata(
                f,
                write_index=False,
                version=118,
                data_label="govtag summarize",
                variable_labels={c: v for c, v in LABELS.items() if c in data},
            )
        notes += [f"{paths[3].name}: {w.message}" for w in caught if "name" in str(w.message).lower()]
    except (ValueError, TypeError, OverflowError) as e:  # a value Stata cannot hold
        paths.pop()
        notes.append(f"{stem.name}.dta not written: {e}")
    return paths, notes


def write_xlsx(path: Path, frame: pd.DataFrame) -> None:
    """A sheet per measure, one row per group; shares as percentages, header frozen, filters on."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for measure in MEASURES:
        table = wide(frame, measure)
        ws = wb.create_sheet(measure)
        ws.append(list(table.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in table.itertuples(index=False):
            ws.append([None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row])
        for i, name in enumerate(table.columns, 1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = max(10, min(30, len(str(name)) * 1.6 + 2))
            if name.endswith((" share", " ci_low", " ci_high")):
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = "0.0%"
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
    with atomic_write(path, mode="wb") as f:
        wb.save(f)
