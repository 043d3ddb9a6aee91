"""Per-document metadata for `summarize` from a table (CSV, XLSX or a DataFrame) keyed by doc_id or file name,
until the units carry it themselves; and grouping columns typed as R and Stata want them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .doc_counts import DocCounts, SummaryError, missing
from .meta_file import MetaFileError, read_meta_file

KEYS = ("doc_id", "file")  # what a metadata table may be keyed by
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")  # "2019" is a number, "0101" (a code) stays text


def read_meta(source) -> tuple[pd.DataFrame, str]:
    """A metadata table (a .csv, .tsv, .xlsx file or a DataFrame) with a doc_id or file column; text cells,
    stripped, empty ones missing. CSV and TSV are read by `meta_file.read_meta_file`, as `govtag tag --meta`
    reads them."""
    if isinstance(source, pd.DataFrame):
        meta, name = source.copy(), "the metadata frame"
    else:
        path, name = Path(source), str(source)
        if not path.is_file():
            raise SummaryError(f"{path}: metadata file not found")
        try:
            if path.suffix.lower() in (".xlsx", ".xlsm"):
                meta = pd.read_excel(path, dtype=str, keep_default_na=False)
            else:  # the reader `govtag tag --meta` uses: the same keys, checks and messages
                meta = pd.DataFrame(list(read_meta_file(path).values()), dtype=object)
        except MetaFileError as e:
            raise SummaryError(str(e)) from None
        except Exception as e:  # noqa: BLE001 - whatever the parser met: a bad zip, a bad row
            raise SummaryError(f"{path}: cannot read the metadata ({str(e).strip() or type(e).__name__})") from None
    meta.columns = [str(c).strip() for c in meta.columns]
    if not any(k in meta.columns for k in KEYS):
        raise SummaryError(f"{name}: needs a doc_id or file column to match documents; it has {list(meta.columns)}")
    dup = [c for c in set(meta.columns) if list(meta.columns).count(c) > 1]
    if dup:
        raise SummaryError(f"{name}: column {dup[0]!r} appears twice")
    meta = meta.astype(object).map(lambda v: None if missing(v) else (v.strip() if isinstance(v, str) else v))
    return meta, name


def attach_meta(counts: DocCounts, meta: pd.DataFrame, name: str) -> None:
    """Give every document its row of `meta`: the same doc_id (doc_id#2, #3 … take the file's doc_id), else the
    same file path, file name or file name without extension. A metadata value replaces the units' own."""
    lookup: dict[str, int | None] = {}
    for key in KEYS:
        if key not in meta:
            continue
        seen: dict[str, int] = {}
        for i, v in enumerate(meta[key]):
            if missing(v):
                continue
            v = str(v)
            if v in seen:
                raise SummaryError(f"{name}: {key} {v!r} appears twice (data rows {seen[v] + 1} and {i + 1})")
            seen[v] = i
            names = {v, Path(v).name} if key == "file" else {v}
            for n in names:
                lookup[f"{key}:{n}"] = None if lookup.get(f"{key}:{n}", i) != i else i  # ambiguous → None
    docs = counts.docs
    files = docs["file"] if "file" in docs else pd.Series([None] * len(docs))
    matched = []
    for doc_id, file in zip(docs["doc_id"], files):
        tries = [f"doc_id:{doc_id}", f"doc_id:{doc_id.rsplit('#', 1)[0]}"]
        if not missing(file):
            tries += [f"file:{file}", f"file:{Path(str(file)).name}", f"file:{Path(str(file)).stem}"]
        matched.append(next((lookup[t] for t in tries if lookup.get(t) is not None), None))
    rows = pd.Series(matched, dtype="Int64")
    extra = [c for c in meta.columns if c not in KEYS]
    for c in extra:
        values = [None if i is pd.NA else meta[c].iat[i] for i in rows]
        own = docs[c].tolist() if c in docs else [None] * len(docs)
        docs[c] = pd.Series([o if missing(m) else m for m, o in zip(values, own)], dtype=object)
    counts.columns += [c for c in extra if c not in counts.columns]
    lost = [d for d, i in zip(docs["doc_id"], rows) if i is pd.NA]
    if lost:
        counts.notes.append(
            f"{len(lost)} of {len(docs)} documents have no row in {name} (first: {lost[0]}); "
            "their values come from the units, if any"
        )
    unused = len(meta) - rows.dropna().nunique()
    if unused:
        counts.notes.append(f"{unused} of {len(meta)} rows of {name} match no document")


def typed(values: pd.Series) -> pd.Series:
    """A grouping column as R and Stata want it: numbers when every value is one (years), else text."""
    present = [v for v in values if not missing(v)]
    numeric = all(
        (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
        or (isinstance(v, str) and _NUMBER.fullmatch(v.strip()))
        for v in present
    )
    if present and numeric:
        numbers = pd.to_numeric(values.map(lambda v: None if missing(v) else v), errors="coerce")
        return numbers.astype("Int64") if (numbers.dropna() % 1 == 0).all() else numbers.astype(float)
    return values.map(lambda v: pd.NA if missing(v) else str(v)).astype("string")
