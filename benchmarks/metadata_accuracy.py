"""Document metadata (inference/metadata.py) against the hand-labeled titles in labels/data_meta/.

    python benchmarks/metadata_accuracy.py

Three sets, reported apart: titles.jsonl (written before the rules and used while writing them), held_out.jsonl
(written after the rules were frozen; labels/data_meta/README.md gives its blind figures and the two fixes made
after that run) and seeds.jsonl (the five reports in examples/, only the fields their title or first lines state). A labeled title and its lines go the way a file does (page furniture
dropped, segmented; the dropped lines passed as `extra_lines`). Accuracy is over the documents that state the field:
year (year and period both right), place (province, city, county, township and village all right), level, genre;
"spurious" counts documents that state no year or no place where one was read all the same.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "labels" / "data_meta"
SETS = ("titles", "held_out", "seeds")


def units_of(entry: dict) -> tuple[list[dict], str | None, list[str]]:
    from govtag.inference.read import read, read_text
    from govtag.inference.segment import document_units

    if entry["source"].startswith("examples/"):
        doc = read(REPO / entry["file"])
        return document_units(doc), str(doc.path), doc.dropped
    file = entry.get("file")
    stem = Path(file).stem if file else ""
    doc = read_text(
        "\n".join(x for x in [entry["title"], *entry.get("lines", [])] if x),
        entry["id"],
        title=stem if len(re.findall("[\u4e00-\u9fff]", stem)) >= 4 else "",  # as `read` takes a file name
    )
    return document_units(doc), file, doc.dropped


def expected(entry: dict) -> dict:
    from govtag.inference.places import PLACE_KEYS

    want = {k: entry.get(k) for k in ("year", *PLACE_KEYS, "level", "genre")}
    want["period"] = entry.get("period") or (str(entry["year"]) if entry.get("year") else None)
    return want


def stated(entry: dict) -> set[str]:
    """The fields the entry's title or first lines state: all labeled ones, or a seed's `stated` list."""
    from govtag.inference.places import PLACE_KEYS

    if "stated" in entry:
        fields = set(entry["stated"])
        return fields | ({"place"} if fields & set(PLACE_KEYS) else set())
    want = expected(entry)
    fields = {k for k in ("level", "genre") if want[k]}
    fields |= {"year"} if want["period"] else set()
    fields |= {"place"} if any(want[k] for k in PLACE_KEYS) else set()
    return fields


def score(entries: list[dict]) -> tuple[dict, list[str]]:
    from govtag.inference.metadata import extract
    from govtag.inference.places import PLACE_KEYS

    counts = {f: [0, 0] for f in ("year", "place", "level", "genre", *PLACE_KEYS)}
    spurious = {"year": [0, 0], "place": [0, 0]}
    misses = []
    for entry in entries:
        units, path, dropped = units_of(entry)
        got, want, fields = extract(units, path, dropped), expected(entry), stated(entry)
        right = {
            "year": got["year"] == want["year"] and got["period"] == want["period"],
            "place": all(got[k] == want[k] for k in PLACE_KEYS),
            "level": got["level"] == want["level"],
            "genre": got["genre"] == want["genre"],
            **{k: got[k] == want[k] for k in PLACE_KEYS},
        }
        for field, ok in right.items():
            if field in fields or field in PLACE_KEYS and want[field]:
                counts[field][0] += ok
                counts[field][1] += 1
                if not ok and field in ("year", "place", "level", "genre"):
                    shown = (
                        [got[k] for k in PLACE_KEYS]
                        if field == "place"
                        else (got["year"], got["period"])
                        if field == "year"
                        else got[field]
                    )
                    misses.append(f"  {entry['id']} {field}: got {shown}  ({entry.get('title') or entry['file']})")
        if "stated" not in entry:  # a seed's unstated fields are unknown, not empty
            for field, said in (("year", got["period"]), ("place", got["place"])):
                if field not in fields:
                    spurious[field][0] += said is not None
                    spurious[field][1] += 1
    result = {f: {"right": r, "of": n, "accuracy": round(r / n, 4) if n else None} for f, (r, n) in counts.items()}
    result["spurious"] = {f: {"read": r, "of": n} for f, (r, n) in spurious.items()}
    result["documents"] = len(entries)
    return result, misses


def main() -> None:
    sys.path.insert(0, str(REPO))
    from benchmarks.results import save

    results = {}
    for name in SETS:
        path = DATA / f"{name}.jsonl"
        if not path.exists():
            continue
        entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        result, misses = score(entries)
        results[name] = result
        print(f"\n{name} ({result['documents']} documents; accuracy over those that state the field)")
        for field in ("year", "place", "level", "genre", "province", "city", "county", "township", "village"):
            r = result[field]
            if r["of"]:
                print(f"  {field:<9} {r['accuracy']:7.1%}  ({r['right']}/{r['of']})")
        for field, r in result["spurious"].items():
            if r["of"]:
                print(f"  spurious {field}: {r['read']} of {r['of']} documents that state none")
        if misses:
            print("  misses:")
            print("\n".join(misses))
    save("metadata_accuracy", results)


if __name__ == "__main__":
    main()
