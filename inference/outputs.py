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
FORMATS = ("jsonl", "csv", "xlsx", "parquet")


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with atomic_write(path) as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def write_csv(path: Path, rows: Iterable[dict], columns: tuple[str, ...] | list[str] = COLUMNS) -> None:
    """UTF-8 with a byte-order mark, so Excel shows the Chinese text correctly."""
    with atomic_write(path, encoding="utf-8-sig") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_xlsx(path: Path, rows: Iterable[dict], columns: tuple[str, ...] | list[str] = COLUMNS) -> None:
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


def write_parquet(path: Path, rows: Iterable[dict], chunk: int = 10_000) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("doc_id", pa.string()),
            ("seq", pa.int64()),
            ("section", pa.string()),
            ("text", pa.string()),
            ("heading", pa.bool_()),
            ("domain", pa.string()),
            ("type", pa.string()),
            ("domain_score", pa.float64()),
            ("type_score", pa.float64()),
            ("review", pa.bool_()),
        ]
    )
    with atomic_write(path, mode="wb") as f, pq.ParquetWriter(f, schema) as writer:
        buffer: list[dict] = []
        for r in rows:
            buffer.append({c: r.get(c) for c in COLUMNS})
            if len(buffer) == chunk:
                writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
                buffer = []
        writer.write_table(pa.Table.from_pylist(buffer, schema=schema))


def summary_row(doc_id: str, units: list[dict], schema: Schema) -> dict:
    """One document: units, units flagged for review, and count and share of every domain × type cell."""
    cells = Counter((u["domain"], u["type"]) for u in units)
    row: dict = {"doc_id": doc_id, "units": len(units), "review": sum(bool(u.get("review")) for u in units)}
    for d in schema.domain:
        for t in schema.type:
            row[f"{d}/{t}"] = cells[(d, t)]
    for d in schema.domain:
        for t in schema.type:
            row[f"{d}/{t} share"] = round(cells[(d, t)] / max(len(units), 1), 4)
    return row


def summary_columns(schema: Schema) -> list[str]:
    cells = [f"{d}/{t}" for d in schema.domain for t in schema.type]
    return ["doc_id", "units", "review", *cells, *(f"{c} share" for c in cells)]


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet}
