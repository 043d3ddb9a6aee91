"""Group comparisons with uncertainty: per group of documents (by year, level, place, …), the share of content
units (type != other) per domain, per statement type and per domain × type, as share of sentences and as share of
characters, with percentile intervals from resampling documents within the group.

    frame = summarize("out/", by=["year", "level"], meta="meta.csv")   # long: one row per group × measure × label
    wide(frame)                                                         # one row per group, domain shares

The units are read once into per-document counts (`doc_counts`); each bootstrap resample is a row of document
weights (how often each document was drawn), so a block of resamples is one matrix product with the documents'
counts. Every group draws from its own seed (the run's seed and the group's values): a group's intervals do not
move when documents of other groups are added to the data. Resampling documents, not sentences, keeps the
dependence of the sentences of one report; with few documents in a group the percentile interval is too narrow
(a group of one document has none: its interval is the point), so read the `documents` column beside it.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..labels.schema import Schema, load_schema
from .doc_counts import SummaryError, count_units, units_path
from .doc_meta import KEYS, attach_meta, read_meta, typed

MEASURES = ("sentences", "characters")
ALL = "all"  # the domain or type column of a row that sums over it
OTHER_TYPE = "other"  # units without content: counted in `units`, left out of every share
VALUES = ("measure", "domain", "type", "share", "ci_low", "ci_high", "count", "total")
SIZES = ("documents", "units", "content_units")
BLOCK = 2_000_000  # resample weights held at once (resamples × documents of a group)

__all__ = ["ALL", "MEASURES", "SummaryError", "by_columns", "summarize", "summarize_with_notes", "wide"]


def by_columns(by: str | Iterable[str] | None) -> list[str]:
    """The grouping columns from "year,level" or ["year", "level"], checked."""
    names = by.split(",") if isinstance(by, str) else list(by or ())
    names = [str(n).strip() for n in names if str(n).strip()]
    taken = [n for n in names if n in (*VALUES, *SIZES)]
    if taken:
        raise SummaryError(f"cannot group by {taken[0]!r}: it names a column of the summary; rename it in the metadata")
    if len(set(names)) < len(names):
        raise SummaryError(f"a grouping column is named twice: {','.join(names)}")
    return names


def labels_and_design(schema: Schema) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The (domain, type) label of each row of one measure, and the matrix that turns a document's domain × type
    cells into those rows' counts, with the content total (the shares' denominator) as its last column."""
    content = [t for t in schema.type if t != OTHER_TYPE]
    labels = [(d, ALL) for d in schema.domain] + [(ALL, t) for t in content]
    labels += [(d, t) for d in schema.domain for t in content]
    cells = [(d, t) for d in schema.domain for t in schema.type]
    design = np.zeros((len(cells), len(labels) + 1), np.int64)
    for i, (d, t) in enumerate(cells):
        if t == OTHER_TYPE:
            continue
        design[i, -1] = 1
        for r, (rd, rt) in enumerate(labels):
            design[i, r] = rd in (ALL, d) and rt in (ALL, t)
    return labels, design


def bootstrap(y: np.ndarray, resamples: int, rng: np.random.Generator, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of count / total for every column of y (documents × measures × [counts…, total]),
    resampling documents with replacement."""
    n, m, k = y.shape
    if resamples == 0 or n == 0:
        nan = np.full((m, k - 1), np.nan)
        return nan, nan.copy()
    if n == 1:  # every resample is the one document
        with np.errstate(invalid="ignore", divide="ignore"):
            share = y[0, :, :-1] / y[0, :, -1:]
        return share, share.copy()
    flat = y.reshape(n, m * k).astype(np.float64)
    sums = np.empty((resamples, m * k))
    step = max(1, BLOCK // n)
    for a in range(0, resamples, step):
        b = min(step, resamples - a)
        drawn = rng.integers(0, n, (b, n)) + n * np.arange(b)[:, None]
        weights = np.bincount(drawn.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        sums[a : a + b] = weights @ flat
    sums = sums.reshape(resamples, m, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = sums[..., :-1] / sums[..., -1:]  # NaN: a resample without content units
    return nanquantiles(shares, ((1 - level) / 2, (1 + level) / 2))


def nanquantiles(values: np.ndarray, qs: Iterable[float]) -> list[np.ndarray]:
    """np.nanquantile(values, q, axis=0) for each q (linear interpolation), without its slow path for NaN."""
    ordered = np.sort(values, axis=0)  # NaN last
    last = np.maximum((~np.isnan(values)).sum(0) - 1, 0)
    out = []
    for q in qs:
        position = q * last
        below = np.floor(position).astype(int)
        low, high = (np.take_along_axis(ordered, i[None], 0)[0] for i in (below, np.minimum(below + 1, last)))
        out.append(low + (position - below) * (high - low))  # NaN where no resample had content units
    return out


def groups(docs: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """The groups' values (one row each, sorted, missing values last) and the document rows of each."""
    if not by:
        return pd.DataFrame(index=[0]), [np.arange(len(docs))]
    keys = pd.DataFrame({c: typed(docs[c]) for c in by})
    number = keys.groupby(by, dropna=False, sort=True).ngroup().to_numpy()
    order = np.argsort(number, kind="stable")
    bounds = np.searchsorted(number[order], np.arange(number.max() + 2))
    members = [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return keys.iloc[[m[0] for m in members]].reset_index(drop=True), members


def summarize_with_notes(
    units,
    by: str | Iterable[str] | None = None,
    meta=None,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    schema: Schema | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """`summarize`, with the notes (documents without metadata, …) returned instead of warned."""
    schema = schema or load_schema()
    by = by_columns(by)
    if not 0 < level < 1:
        raise SummaryError(f"level must be between 0 and 1, not {level}")
    if resamples < 0:
        raise SummaryError(f"resamples must be 0 or more, not {resamples}")
    meta_frame, meta_name = read_meta(meta) if meta is not None else (None, "")
    from_meta = set(meta_frame.columns) - set(KEYS) if meta_frame is not None else set()
    keep = ["file", *(c for c in by if c not in ("doc_id", "file"))]
    if not isinstance(units, pd.DataFrame):
        wanted = {c for c in keep if c not in from_meta and c != "file"}
        units = units_path(units, wanted | ({"file"} if meta_frame is not None and "file" in meta_frame else set()))
    counts = count_units(units, schema, keep)
    if meta_frame is not None:
        attach_meta(counts, meta_frame, meta_name)
    for c in by:
        if c not in counts.columns:
            where = f"{counts.source}" + (f" or {meta_name}" if meta_name else "")
            raise SummaryError(
                f"no column {c!r} to group by in {where}; available: {', '.join(counts.columns)}"
                + (
                    ""
                    if meta_name
                    else " (per-document metadata can come from --meta FILE.csv keyed by doc_id or file)"
                )
            )
    labels, design = labels_and_design(schema)
    keys, members = groups(counts.docs, by)
    names = ["|".join(map(str, k)) for k in keys.itertuples(index=False)] if by else [""]
    totals, lows, highs, sizes = [], [], [], []
    for name, rows in zip(names, members):
        x = counts.counts[rows]  # documents × measures × cells
        y = x @ design  # documents × measures × [label counts…, content total]
        rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
        low, high = bootstrap(y, resamples, rng, level)
        totals.append(y.sum(0))
        lows.append(low)
        highs.append(high)
        sizes.append((len(rows), x[:, 0].sum()))
    frame = long_frame(keys, labels, np.array(totals), np.array(lows), np.array(highs), np.array(sizes))
    frame.attrs = {"by": by, "resamples": resamples, "seed": seed, "level": level, "source": counts.source}
    return frame, counts.notes


def long_frame(keys, labels, totals, lows, highs, sizes) -> pd.DataFrame:
    """The long table from the groups' values and their arrays (groups × measures × labels)."""
    n, per_group = len(totals), len(MEASURES) * len(labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = totals[..., :-1] / totals[..., -1:]
    frame = pd.DataFrame({c: keys[c].repeat(per_group).reset_index(drop=True) for c in keys.columns})
    frame["measure"] = np.tile(np.repeat(MEASURES, len(labels)), n)
    frame["domain"] = np.tile([d for d, _ in labels], n * len(MEASURES))
    frame["type"] = np.tile([t for _, t in labels], n * len(MEASURES))
    frame["share"], frame["ci_low"], frame["ci_high"] = share.ravel(), lows.ravel(), highs.ravel()
    frame["count"] = totals[..., :-1].ravel()
    frame["total"] = np.repeat(totals[..., -1].ravel(), len(labels))
    frame["documents"] = np.repeat(sizes[:, 0], per_group)
    frame["units"] = np.repeat(sizes[:, 1], per_group)
    frame["content_units"] = np.repeat(totals[:, 0, -1], per_group)
    return frame


def summarize(
    units,
    by: str | Iterable[str] | None = None,
    meta=None,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    schema: Schema | None = None,
) -> pd.DataFrame:
    """Shares of content units per group of documents, long: one row per group × measure × (domain, type).

    units: a `govtag tag` output directory, its units.jsonl or units.parquet, or a DataFrame of units (doc_id,
    text, domain, type and the grouping columns); by: grouping columns ("year,level" or a list; none: all
    documents as one group), from the units or from meta: a table (.csv, .xlsx or a DataFrame) keyed by doc_id or
    file whose values replace the units' own. Columns: the grouping columns, measure (sentences, characters),
    domain, type ("all" where the row sums over it), share = count / total (total: content units, or their
    characters), ci_low and ci_high (the `level` percentile interval over `resamples` document resamples; empty
    for 0 resamples), documents, units and content_units of the group. Raises SummaryError on bad input; notes
    (documents without metadata, …) are warnings."""
    frame, notes = summarize_with_notes(units, by, meta, resamples, seed, level, schema)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return frame


def wide(frame: pd.DataFrame, measure: str = "sentences") -> pd.DataFrame:
    """One row per group: its sizes, the content total in `measure`, and per domain its share with the interval
    (columns "党建 share", "党建 ci_low", "党建 ci_high", …)."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, not {measure!r}")
    columns = list(frame.columns)
    by = list(frame.attrs.get("by") or columns[: columns.index("measure")])
    sub = frame[(frame["measure"] == measure) & (frame["type"] == ALL) & (frame["domain"] != ALL)]
    number = sub.groupby(by, dropna=False, sort=False).ngroup().to_numpy() if by else np.zeros(len(sub), int)
    first = np.unique(number, return_index=True)[1]
    out = sub.iloc[first][[*by, *SIZES, "total"]].rename(columns={"total": f"content {measure}"})
    out = out.reset_index(drop=True)
    for d in pd.unique(sub["domain"]):
        mine = (sub["domain"] == d).to_numpy()
        for c in ("share", "ci_low", "ci_high"):
            out[f"{d} {c}"] = pd.Series(sub[c].to_numpy()[mine], index=number[mine]).reindex(range(len(out))).values
    out.attrs = dict(frame.attrs)
    return out
