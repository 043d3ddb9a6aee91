"""Tagged units to files an analyst opens: JSONL, CSV (Excel-ready), XLSX, Parquet, and a per-document summary."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ..labels.atomic import atomic_write
from ..labels.schema import Schema

COLUMNS = ("doc_id", "seq", "section", "text", "heading", "domain", "type", "domain_score", "type_score", "review")
# per-document metadata (inference/metadata.py, a user's --meta file), on every unit row and in summary.csv
META_COLUMNS = (
    "title",
    "year",
    "period",
    "province",
    "city",
    "county",
    "township",
    "village",
    "place",
    "level",
    "genre",
)
UNIT_COLUMNS = (*COLUMNS, *META_COLUMNS, "file")
_TYPES = {
    "seq": "int64",
    "heading": "bool_",
    "review": "bool_",
    "domain_score": "float64",
    "type_score": "float64",
    "year": "int64",
}
FORMATS = ("jsonl", "csv", "xlsx", "parquet")


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with atomic_write(path) as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def write_csv(path: Path, rows: Iterable[dict], columns: tuple[str, ...] | list[str] = UNIT_COLUMNS) -> None:
    """UTF-8 with a byte-order mark, so Excel shows the Chinese text correctly."""
    with atomic_write(path, encoding="utf-8-sig") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_xlsx(path: Path, rows: Iterable[dict], columns: tuple[str, ...] | list[str] = UNIT_COLUMNS) -> None:
    """One sheet, frozen header row, filters on every column; streamed (write-only workbook)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("units")
    ws.freeze_panes = "A2"
    for i, width in enumerate((24, 6, 40, 80, 8, 8, 12, 8, 8, 8)[: len(columns)], 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.append(list(columns))
    n = 0
    for r in rows:
        cells = [WriteOnlyCell(ws, r.get(c)) for c in columns]
        for cell in cells:
            if cell.data_type == "f":  # report text that starts with "=" is text, not a formula
                cell.data_type = "s"
        ws.append(cells)
        n += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n + 1}"
    with atomic_write(path, mode="wb") as f:
        wb.save(f)


def write_parquet(
    path: Path, rows: Iterable[dict], columns: tuple[str, ...] | list[str] = UNIT_COLUMNS, chunk: int = 10_000
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, getattr(pa, _TYPES.get(c, "string"))()) for c in columns])
    with atomic_write(path, mode="wb") as f, pq.ParquetWriter(f, schema) as writer:
        buffer: list[dict] = []
        for r in rows:
            buffer.append({c: _cell(r.get(c), _TYPES.get(c, "string")) for c in columns})
            if len(buffer) == chunk:
                writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
                buffer = []
        writer.write_table(pa.Table.from_pylist(buffer, schema=schema))


def _cell(value, kind: str):
    """A value as its Parquet column holds it: text columns take a user's numbers as text."""
    return None if value is None else str(value) if kind == "string" else value


def summary_row(doc_id: str, units: list[dict], schema: Schema, meta_columns: Iterable[str] = META_COLUMNS) -> dict:
    """One document: its metadata, units, units flagged for review, and count and share of every domain × type
    cell."""
    cells = Counter((u["domain"], u["type"]) for u in units)
    first = units[0] if units else {}
    row: dict = {
        "doc_id": doc_id,
        **{c: first.get(c) for c in meta_columns},
        "units": len(units),
        "review": sum(bool(u.get("review")) for u in units),
    }
    for d in schema.domain:
        for t in schema.type:
            row[f"{d}/{t}"] = cells[(d, t)]
    for d in schema.domain:
        for t in schema.type:
            row[f"{d}/{t} share"] = round(cells[(d, t)] / max(len(units), 1), 4)
    return row


def summary_columns(schema: Schema, meta_columns: Iterable[str] = META_COLUMNS) -> list[str]:
    cells = [f"{d}/{t}" for d in schema.domain for t in schema.type]
    return ["doc_id", *meta_columns, "units", "review", *cells, *(f"{c} share" for c in cells)]


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet}


def write_units(
    fmt: str, path: Path, rows: Iterable[dict], columns: tuple[str, ...] | list[str] = UNIT_COLUMNS
) -> None:
    """Unit rows in one format: JSONL keeps every field, the tables the given columns."""
    if fmt == "jsonl":
        write_jsonl(path, rows)
    else:
        WRITERS[fmt](path, rows, columns)
