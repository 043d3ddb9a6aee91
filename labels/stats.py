"""Statistics of the labeled corpus: per split × domain × type, and per source."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .corpus import load_labeled, load_splits, split_units
from .schema import load_schema


def corpus_tables(data_dir: str | Path, splits_path: str | Path) -> str:
    """Markdown tables: one domain × type grid per split, then units and documents per source."""
    schema = load_schema()
    units = load_labeled(data_dir, schema)
    splits = load_splits(splits_path)
    by_split = split_units([u for u in units if str(u["doc_id"]) in splits], splits)
    unsplit = [u for u in units if str(u["doc_id"]) not in splits]
    if unsplit:  # new files someone is checking before `govtag data split`
        by_split["not in the splits file yet (`govtag data split` adds them)"] = unsplit
    out = []
    for split, rows in by_split.items():
        cells = Counter((u["domain"], u["type"]) for u in rows)
        out += [
            f"### {split}: {len(rows)} units, {len({u['doc_id'] for u in rows})} documents",
            "",
            "| domain | " + " | ".join(schema.type) + " | total |",
            "|---" * (len(schema.type) + 2) + "|",
        ]
        for d in schema.domain:
            counts = [cells[(d, t)] for t in schema.type]
            out.append(f"| {d} | " + " | ".join(map(str, counts)) + f" | {sum(counts)} |")
        totals = [sum(cells[(d, t)] for d in schema.domain) for t in schema.type]
        out += ["| total | " + " | ".join(map(str, totals)) + f" | {len(rows)} |", ""]
    sources = Counter(u.get("source", "unknown") for u in units)
    docs = Counter(source for source, _ in {(u.get("source", "unknown"), u["doc_id"]) for u in units})
    out += ["### sources", "", "| source | units | documents |", "|---|---|---|"]
    out += [f"| {s} | {n} | {docs[s]} |" for s, n in sorted(sources.items())]
    return "\n".join(out) + "\n"
