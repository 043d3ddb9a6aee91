"""A user's own document metadata (`--meta meta.csv`): one row per document, keyed by doc_id or file name, any
extra columns kept; it overrides and extends what inference/metadata.py reads from the documents."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .places import LEVELS, PLACE_KEYS


class MetaFileError(ValueError):
    """A user's meta file that cannot be read: names the file and, where one is to blame, the row."""

    def __init__(self, path: str | Path, row: int | None, reason: str):
        super().__init__(f"{path}, row {row}: {reason}" if row else f"{path}: {reason}")
        self.path, self.row, self.reason = str(path), row, reason


_LEVEL_NAMES = {"中央": "central", "省": "province", "市": "city", "县": "county", "乡镇": "township"} | {
    "乡": "township",
    "镇": "township",
    "街道": "township",
    "村": "village",
    "社区": "village",
}


def _check(path, row: int, values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if value in (None, ""):
            continue
        if key == "year":
            if not re.fullmatch(r"\d{4}", value):
                raise MetaFileError(path, row, f"year {value!r} is not a year (four digits)")
            value = int(value)
        elif key == "period" and not re.fullmatch(r"\d{4}(-\d{4})?", value):
            raise MetaFileError(path, row, f"period {value!r} is neither a year nor a span such as 2021-2025")
        elif key == "level":
            value = _LEVEL_NAMES.get(value, value)
            if value not in LEVELS:
                raise MetaFileError(path, row, f"level {value!r} is not one of {', '.join(LEVELS)}")
        out[key] = value
    return out


def read_meta_file(path: str | Path) -> dict[str, dict]:
    """A user's metadata, one row per document: a CSV (a .tsv: tab-separated) file with a header row and a `file`
    (file name) or `doc_id` column, any other columns kept. Keyed by doc_id, else by file name; empty cells set
    nothing. Raises MetaFileError (a ValueError) naming the file and the row."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise MetaFileError(path, None, f"cannot be read ({e.strerror or e})") from e
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise MetaFileError(path, None, "neither UTF-8 nor GB18030 text")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise MetaFileError(path, None, "empty: a header row with a file or doc_id column is needed") from None
    except csv.Error as e:
        raise MetaFileError(path, 1, f"not CSV ({e})") from None
    if not {"file", "doc_id"} & set(header):
        raise MetaFileError(path, 1, f"the header has no file or doc_id column (it has: {', '.join(header)})")
    table, seen = {}, {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise MetaFileError(path, reader.line_num, f"not CSV ({e})") from None
        number = reader.line_num  # the file's line: a row whose quoted cell holds a line break counts its last line
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise MetaFileError(path, number, f"{len(cells)} cells, the header has {len(header)}")
        values = _check(path, number, dict(zip(header, (c.strip() for c in cells))))
        key = values.get("doc_id") or (Path(values["file"]).name if values.get("file") else None)
        if not key:
            raise MetaFileError(path, number, "no file or doc_id")
        if key in seen:
            raise MetaFileError(path, number, f"{key!r} is already described in row {seen[key]}")
        seen[key], table[key] = number, values
    return table


def lookup(table: dict[str, dict], doc_id: str | None = None, file: str | None = None) -> dict:
    """The user's row for a document: by its doc_id (a file's second report, doc_id#2, also by the file's), else by
    its file name; {} when none."""
    for key in (doc_id, doc_id and doc_id.split("#")[0], file and Path(file).name):
        if key and key in table:
            return table[key]
    return {}


def merge_meta(extracted: dict, user: dict) -> dict:
    """`extracted` with the user's values over it, field by field (extra fields added); `period` follows a user's
    year and `place` the user's place names unless the user gives them too."""
    given = {k: v for k, v in user.items() if v not in (None, "")}
    merged = {**extracted, **given}
    if "year" in given and "period" not in given:
        merged["period"] = str(given["year"])
    if set(PLACE_KEYS) & set(given) and "place" not in given:
        merged["place"] = "".join(merged[k] for k in PLACE_KEYS if merged.get(k)) or None
    return merged
