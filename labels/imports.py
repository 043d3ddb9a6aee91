"""`govtag import`: validate corrected labels read back from Label Studio, doccano or the review CSV (read by
label_files.py), and merge them.

Rows a human did not label (no label in Label Studio or doccano, empty `domain` and `type` in the CSV)
are skipped and counted: the model's predictions travel in other fields and are never imported. A row
names its unit by (doc_id, seq) and must carry that unit's text; a seq not in the data adds a unit, but
not with a text its document already holds at another seq, nor with a text that only documents of another
split hold (a dev sentence would enter train). Tag output (the model's labels beside their scores), one
unit given two labels (by two rows, or by two annotations of one Label Studio task), and an unknown doc_id
that looks like a mistyped known one holding the same text are refused. Every row of every file is
validated against labels/schema.yaml and the data first; if any row is bad, every problem is reported with
its file and line (or task) and nothing is written. Otherwise the corrections go to
DATA/imported/<UTC time>.jsonl with `source: imported`, their provenance and the label they replace; a
unit corrected again is removed from the earlier import file, so each (doc_id, seq) lives in one
imported file only, and new documents are appended to their fixed split in the splits file.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .atomic import atomic_write
from .corpus import (
    DataError,
    hashed_split,
    iter_jsonl,
    load_splits,
    read_units,
    splits_with,
    write_splits,
)
from .label_files import READERS, Row
from .schema import TASKS, Schema

IMPORTED = "imported"


class ImportFailed(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} problem(s), nothing imported:\n" + "\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    path: Path | None = None
    units: int = 0
    changed: int = 0
    new_units: int = 0
    replaced_imports: int = 0
    duplicates: int = 0
    skipped: int = 0  # tasks or rows nobody labeled
    new_documents: list[str] = field(default_factory=list)


def unit_from(row: Row, schema: Schema) -> tuple[dict | None, list[str]]:
    """The validated unit of a row, or the reasons it is refused."""
    f, errors = row.fields, []
    if isinstance(f.get("doc_id"), str):
        f["doc_id"] = f["doc_id"].strip()  # a spreadsheet may pad it; doc_ids never start or end with spaces
    for key in ("doc_id", "text"):
        if not isinstance(f.get(key), str) or not f[key].strip():
            errors.append(f"{row.where}: missing unit: no {key}")
    seq = f.get("seq")
    if isinstance(seq, bool) or not (isinstance(seq, int) or (isinstance(seq, str) and seq.strip().isdigit())):
        errors.append(f"{row.where}: missing unit: seq must be a whole number, got {seq!r}")
    filled = [t for t in TASKS if str(f.get(t) or "").strip()]
    for t in TASKS:
        if filled and t not in filled:
            errors.append(
                f"{row.where}: half-labelled: {filled[0]} is filled but {t} is empty; fill both or leave both empty"
            )
        elif f.get(t) not in schema.labels(t):
            errors.append(f"{row.where}: unknown {t} label {f.get(t)!r}; expected one of {list(schema.labels(t))}")
    if f.get("type") == "other" and f.get("domain") in schema.domain and f["domain"] != schema.other_domain:
        errors.append(f"{row.where}: type other implies domain {schema.other_domain}, got {f['domain']!r}")
    if errors:
        return None, errors
    heading = f.get("heading")
    return {
        "doc_id": f["doc_id"],
        "seq": int(seq),
        "text": f["text"],
        "heading": heading if isinstance(heading, bool) else str(heading).strip().lower() in ("true", "1"),
        "section": f.get("section") or "",
        "domain": f["domain"],
        "type": f["type"],
    }, []


def read_corrections(files: list[str | Path], schema: Schema) -> tuple[list[tuple[Row, dict]], int, list[str]]:
    """Validated (row, unit) pairs of all files, the count of unannotated tasks, and the problems found."""
    pairs, errors, skipped = [], [], 0
    for name in files:
        path = Path(name)
        reader = READERS.get(path.suffix.lower())
        if not path.is_file():
            errors.append(f"{path}: file not found")
        elif reader is None:
            errors.append(f"{path}: unknown format; expected .csv, .json (Label Studio) or .jsonl (doccano)")
        else:
            rows, read_errors = reader(path)
            errors += read_errors
            for row in rows:
                if not row.fields:
                    skipped += 1
                    continue
                unit, row_errors = unit_from(row, schema)
                errors += row_errors
                if unit:
                    pairs.append((row, unit))
    return pairs, skipped, errors


def existing_units(data_dir: Path, schema: Schema) -> tuple[dict, dict[tuple[str, int], Path]]:
    """Gold units by (doc_id, seq), an import winning over the unit it corrects; and each imported key's file."""
    gold: dict[tuple[str, int], dict] = {}
    imported: dict[tuple[str, int], Path] = {}
    for path in sorted(data_dir.rglob("*.jsonl"), key=lambda p: (p.parent.name == IMPORTED, p)):
        for u in read_units(path, schema):
            key = (str(u["doc_id"]), u["seq"])
            gold[key] = u
            if path.parent.name == IMPORTED:
                imported[key] = path
    return gold, imported


def corrected_texts(data_dir: Path) -> dict[tuple[str, int], str]:
    """The text of every unit a person corrected in an earlier import, by (doc_id, seq)."""
    return {
        (str(u["doc_id"]), u["seq"]): u["text"]
        for path in sorted((data_dir / IMPORTED).glob("*.jsonl"))
        for u in read_units(path)
    }


def split_homes(gold: dict, splits: dict[str, str]) -> dict[str, dict[str, str]]:
    """text → {split: the first unit holding it there}, over the data."""
    homes: dict[str, dict[str, str]] = {}
    for (doc, seq), u in sorted(gold.items()):
        homes.setdefault(u["text"], {}).setdefault(splits.get(doc) or hashed_split(doc), f"{doc} seq {seq}")
    return homes


def crossing(row: Row, unit: dict, splits: dict[str, str], homes: dict) -> str | None:
    """A new unit whose text belongs to documents of other splits only (and to none of its own document's
    split) would put a dev or test sentence into train, or the reverse: refused. Else its text is recorded."""
    doc, text = unit["doc_id"], unit["text"]
    split, there = splits.get(doc) or hashed_split(doc), homes.setdefault(text, {})
    if not there or split in there:
        there.setdefault(split, f"{doc} seq {unit['seq']}")
        return None
    other_split, other = sorted(there.items())[0]
    return (
        f"{row.where}: this text is {other}, a {other_split} document, but {doc} "
        f"{'is in' if doc in splits else 'goes to'} {split}: one sentence in two splits; keep doc_id and seq "
        "as exported, or leave this row out"
    )


def identity_errors(pairs: list[tuple[Row, dict]], gold: dict, imported: dict, splits: dict[str, str]) -> list[str]:
    """Rows whose (doc_id, seq) holds another text, in the data or in an earlier row, whose new seq
    carries a text its document already holds (an edited seq or text, never matched by text alone), whose
    unknown doc_id looks like a mistyped known one holding the same text, whose new unit's text belongs to
    another split's documents, or that give a unit two labels."""
    seen = {key: u["text"] for key, u in gold.items()}
    stored_seq = {(doc, u["text"]): seq for (doc, seq), u in gold.items()}
    known_docs = {doc for doc, _ in gold}
    homes, close = split_homes(gold, splits), {}
    labelled: dict[tuple[str, int], tuple[str, dict]] = {}
    errors, keep = [], "; keep doc_id, seq and text as exported"
    for row, unit in pairs:
        doc, seq, text = unit["doc_id"], unit["seq"], unit["text"]
        labels = {t: unit[t] for t in TASKS}
        if doc not in close:
            close[doc] = (
                [] if doc in known_docs else difflib.get_close_matches(doc, sorted(known_docs), n=3, cutoff=0.8)
            )
        twins = [d for d in close[doc] if (d, text) in stored_seq]
        if seen.setdefault((doc, seq), text) != text:
            undo = (
                f" (it came from {imported[doc, seq]}: if that import was wrong, delete that file and import again)"
                if (doc, seq) in imported
                else ""
            )
            errors.append(
                f"{row.where}: {doc} seq {seq} is the unit {seen[doc, seq][:30]!r}, not this text{keep}{undo}"
            )
        elif (doc, seq) not in gold and (doc, text) in stored_seq:
            errors.append(f"{row.where}: this text is {doc} seq {stored_seq[doc, text]} in the data, not {seq}{keep}")
        elif twins:
            errors.append(
                f"{row.where}: unknown document {doc!r}, but this text is {twins[0]} seq "
                f"{stored_seq[twins[0], text]}: a mistyped doc_id?{keep}"
            )
        elif (doc, seq) not in gold and (error := crossing(row, unit, splits, homes)):
            errors.append(error)
        if labelled.setdefault((doc, seq), (row.where, labels))[1] != labels:
            first = labelled[doc, seq]
            errors.append(
                f"{row.where}: {doc} seq {seq} is labelled {'/'.join(labels.values())} here but "
                f"{'/'.join(first[1].values())} at {first[0]}; keep one"
            )
    return errors


def merge(
    files: list[str | Path], data_dir: str | Path, splits_path: str | Path, schema: Schema, annotator: str | None = None
) -> ImportResult:
    """Validate every file, then write the corrections and update the splits; nothing is written on error."""
    data_dir = Path(data_dir)
    if data_dir.is_file():
        raise DataError(f"{data_dir}: the data must be a directory; corrections go to its {IMPORTED}/ folder")
    pairs, skipped, errors = read_corrections(files, schema)
    now = datetime.now(timezone.utc)
    gold, imported = existing_units(data_dir, schema)
    known = load_splits(splits_path)
    errors += identity_errors(pairs, gold, imported, known)
    if errors:
        raise ImportFailed(errors)
    result = ImportResult(skipped=skipped)
    merged: dict[tuple[str, int], dict] = {}
    for row, unit in pairs:
        key = (unit["doc_id"], unit["seq"])
        result.duplicates += key in merged
        old = gold.get(key)
        if old:
            unit.update(heading=bool(old.get("heading")), section=old.get("section", ""))
            previous = {"domain": old["domain"], "type": old["type"], "source": old.get("source", "unknown")}
        else:
            previous = {**row.model, "source": "model"} if row.model else None
        user = f"Label Studio user {row.user_id}" if row.user_id is not None else "unknown"
        provenance = {
            "file": row.file,
            "annotator": row.annotator or annotator or user,
            "time": row.time or now.isoformat(timespec="seconds"),
        }
        note = str(row.fields.get("note") or "").strip()  # review.csv's note column: the annotator's remark
        merged[key] = {
            **unit,
            "source": "imported",
            "previous": previous,
            "provenance": {**provenance, "note": note} if note else provenance,
        }
    if not merged:
        return result
    result.units = len(merged)
    result.changed = sum(
        1 for u in merged.values() if not u["previous"] or any(u[t] != u["previous"][t] for t in TASKS)
    )
    result.new_units = sum(1 for key in merged if key not in gold)
    result.new_documents = sorted({u["doc_id"] for u in merged.values()} - set(known))
    splits_text, _ = splits_with(splits_path, result.new_documents)  # checked before anything is written
    result.path = data_dir / IMPORTED / f"{now.strftime('%Y%m%dT%H%M%S%fZ')}.jsonl"
    with atomic_write(result.path) as f:
        f.writelines(json.dumps(u, ensure_ascii=False) + "\n" for u in merged.values())
    for path in sorted({imported[k] for k in merged if k in imported}):
        keep = [u for _, u in iter_jsonl(path) if (str(u["doc_id"]), u["seq"]) not in merged]
        result.replaced_imports += sum(1 for k in merged if imported.get(k) == path)
        if keep:
            with atomic_write(path) as f:
                f.writelines(json.dumps(u, ensure_ascii=False) + "\n" for u in keep)
        else:
            path.unlink()
    write_splits(splits_path, splits_text)
    return result
