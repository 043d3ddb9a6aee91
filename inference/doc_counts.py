"""Tagged units → per-document counts, for `summarize`: each document's units per domain × type, in sentences and
in characters (the sum of len(text)), and its document-level columns. One pass in flat memory: units.parquet a
row group at a time, units.jsonl line by line, or a pandas DataFrame; only the counts and a few values per
document are kept (metadata from a table: `doc_meta`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..labels.corpus import DataError, iter_jsonl
from ..labels.schema import Schema

UNITS_FILES = ("units.parquet", "units.jsonl")
REQUIRED = ("doc_id", "text", "domain", "type")
# a unit's own fields: never a document's metadata, so never a grouping column
PER_UNIT = {"seq", "text", "section", "heading", "split", "domain", "type", "domain_score", "type_score", "review"}
PER_UNIT |= {"domain_probs", "type_probs"}
CHUNK = 65_536


class SummaryError(ValueError):
    """Input that cannot be summarized; the message names the file and the problem."""


@dataclass
class DocCounts:
    docs: pd.DataFrame  # one row per document, in order of appearance: doc_id, file, kept metadata columns
    counts: np.ndarray  # (documents, 2, domains × types): units and characters per domain × type cell
    source: str  # what was read, for messages
    columns: list[str] = field(default_factory=list)  # document-level columns available to group by
    notes: list[str] = field(default_factory=list)


def missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


class _Counter:
    """Adds units one at a time; flushes their cells into the count matrix every CHUNK units."""

    def __init__(self, schema: Schema, keep: list[str]):
        n_types = len(schema.type)
        self.schema, self.keep = schema, keep
        self.cell = {(d, t): i * n_types + j for i, d in enumerate(schema.domain) for j, t in enumerate(schema.type)}
        self.row: dict[str, int] = {}
        self.values: list[list] = []  # per document: the kept columns' first non-missing values
        self.counts = np.zeros((1024, 2, len(self.cell)), np.int64)
        self.rows: list[int] = []
        self.cells: list[int] = []
        self.chars: list[int] = []

    def add(self, doc_id, chars: int, domain, type_, extra: tuple, where) -> None:
        if missing(doc_id):
            raise SummaryError(f"{where()}: no doc_id")
        cell = self.cell.get((domain, type_))
        if cell is None:
            for task, value in (("domain", domain), ("type", type_)):
                if value not in self.schema.labels(task):
                    raise SummaryError(
                        f"{where()}: unknown {task} label {value!r}; expected one of {list(self.schema.labels(task))}"
                    )
        key = str(doc_id)
        row = self.row.get(key)
        if row is None:
            row = self.row[key] = len(self.values)
            self.values.append([None if missing(v) else v for v in extra])
        elif extra:
            values = self.values[row]
            for k, v in enumerate(extra):
                if values[k] is None and not missing(v):
                    values[k] = v
        self.rows.append(row)
        self.cells.append(cell)
        self.chars.append(chars)
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if len(self.values) > len(self.counts):
            grown = np.zeros((max(len(self.values), 2 * len(self.counts)), *self.counts.shape[1:]), np.int64)
            grown[: len(self.counts)] = self.counts
            self.counts = grown
        rows, cells = np.asarray(self.rows, np.int64), np.asarray(self.cells, np.int64)
        np.add.at(self.counts, (rows, 0, cells), 1)
        np.add.at(self.counts, (rows, 1, cells), np.asarray(self.chars, np.int64))
        self.rows, self.cells, self.chars = [], [], []

    def result(self, source: str, available: set[str]) -> DocCounts:
        self.flush()
        docs = pd.DataFrame(self.values, columns=self.keep, dtype=object)
        docs.insert(0, "doc_id", list(self.row))
        columns = ["doc_id", *sorted(available - PER_UNIT - {"doc_id"})]
        return DocCounts(docs, self.counts[: len(docs)].copy(), source, columns)


def units_path(path: str | Path, wanted: set[str] = frozenset()) -> Path:
    """The units file of a `govtag tag` output directory (or the file itself): units.parquet, read fastest,
    unless it lacks a column in `wanted` that units.jsonl may have."""
    path = Path(path)
    if path.is_file():
        if path.suffix not in (".parquet", ".jsonl"):
            raise SummaryError(f"{path}: not a units file (expected units.jsonl or units.parquet)")
        return path
    if not path.is_dir():
        raise SummaryError(f"{path}: no such directory (expected the output directory of `govtag tag`)")
    parquet, jsonl = (path / name for name in UNITS_FILES)
    if parquet.is_file() and (not jsonl.is_file() or wanted <= set(_parquet_columns(parquet))):
        return parquet
    if jsonl.is_file():
        return jsonl
    raise SummaryError(f"{path}: no units.jsonl or units.parquet in it (run `govtag tag FILES -o {path}` first)")


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path).names
    except (OSError, ValueError) as e:
        raise SummaryError(f"{path}: not a readable Parquet file ({e})") from None


def count_units(source, schema: Schema, keep: list[str]) -> DocCounts:
    """Per-document counts of `source`: a units file, a `govtag tag` output directory or a DataFrame of units;
    `keep`: the document-level columns to keep (each document's first non-missing value)."""
    counter = _Counter(schema, keep)
    if isinstance(source, pd.DataFrame):
        _check_columns(list(source.columns), "the units frame")
        columns = {c: source[c].tolist() if c in source else [None] * len(source) for c in (*REQUIRED, *keep)}
        columns["text"] = [len(t) if isinstance(t, str) else 0 for t in columns["text"]]
        for k, unit in enumerate(zip(*columns.values())):
            counter.add(*unit[:4], unit[4:], lambda k=k: f"the units frame, row {k}")
        if not counter.values:
            raise SummaryError("the units frame: no units in it")
        return counter.result("the units frame", set(source.columns))
    path = Path(source)
    if path.suffix == ".parquet":
        available = _read_parquet(path, counter)
    else:
        available = _read_jsonl(path, counter)
    if not counter.values:
        raise SummaryError(f"{path}: no units in it")
    return counter.result(str(path), available)


def _check_columns(columns: list[str], where: str) -> None:
    lacking = [c for c in REQUIRED if c not in columns]
    if lacking:
        raise SummaryError(f"{where}: not tagged units, missing {lacking}")


def _read_jsonl(path: Path, counter: _Counter) -> set[str]:
    keys: set[str] = set()
    keep = counter.keep
    try:
        for lineno, r in iter_jsonl(path):
            where = lambda lineno=lineno: f"{path}:{lineno}"  # noqa: E731
            if not keys:
                _check_columns(list(r), where())
            keys.update(r)
            extra = tuple(r.get(c) for c in keep)
            text = r.get("text")
            chars = len(text) if isinstance(text, str) else 0
            counter.add(r.get("doc_id"), chars, r.get("domain"), r.get("type"), extra, where)
    except DataError as e:  # a malformed line, named by file and line
        raise SummaryError(str(e)) from None
    except UnicodeDecodeError as e:
        raise SummaryError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise SummaryError(f"{path}: cannot read it ({e.strerror or e})") from None
    return keys


def _read_parquet(path: Path, counter: _Counter) -> set[str]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    names = _parquet_columns(path)
    _check_columns(names, str(path))
    keep = [c for c in counter.keep if c in names]
    try:
        offset, file = 0, pq.ParquetFile(path)
        for group in range(file.metadata.num_row_groups):  # one at a time: `iter_batches` reads ahead
            batch = file.read_row_group(group, columns=[*REQUIRED, *keep], use_threads=False)
            cols = [batch.column(c).to_pylist() for c in ("doc_id",)]
            cols.append(pc.utf8_length(batch.column("text")).fill_null(0).to_numpy().tolist())
            cols += [batch.column(c).to_pylist() for c in ("domain", "type")]
            extra = [batch.column(c).to_pylist() if c in keep else [None] * batch.num_rows for c in counter.keep]
            for k, unit in enumerate(zip(*cols, *extra)):
                counter.add(*unit[:4], unit[4:], lambda k=offset + k: f"{path}: row {k + 1}")
            offset += batch.num_rows
    except (OSError, ValueError) as e:
        if isinstance(e, SummaryError):
            raise
        raise SummaryError(f"{path}: not a readable Parquet file ({e})") from None
    return set(names)
