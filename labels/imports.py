"""`govtag import`: read corrected labels back from Label Studio, doccano or the review CSV, and merge them.

Rows a human did not label (no label in Label Studio or doccano, empty `domain` and `type` in the CSV)
are skipped and counted: the model's predictions travel in other fields and are never imported. A row
names its unit by (doc_id, seq) and must carry that unit's text; a seq not in the data adds a unit, but
not with a text its document already holds at another seq. Tag output (the model's labels beside their
scores), one unit given two labels, and an unknown doc_id that looks like a mistyped known one holding the
same text are refused. Every row of every file is validated
against labels/schema.yaml and the data first; if any row is bad, every problem is reported with its
file and line (or task) and nothing is written. Otherwise the corrections go to
DATA/imported/<UTC time>.jsonl with `source: imported`, their provenance and the label they replace; a
unit corrected again is removed from the earlier import file, so each (doc_id, seq) lives in one
imported file only, and new documents get a fixed split.
"""

from __future__ import annotations

import csv
import difflib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .atomic import atomic_write
from .corpus import DataError, is_tag_output, iter_jsonl, load_splits, read_units, update_splits
from .schema import TASKS, Schema

IMPORTED = "imported"
CSV_REQUIRED = ("doc_id", "seq", "text", "domain", "type")
TAG_OUTPUT = (
    "is `govtag tag` output: its domain and type are the model's predictions, not corrections; "
    "export units to correct with `govtag review` and import the file you labelled"
)


class ImportFailed(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} problem(s), nothing imported:\n" + "\n".join(errors))
        self.errors = errors


@dataclass
class Row:
    """One corrected unit as read from a file, before validation."""

    file: str
    where: str
    fields: dict
    annotator: str | None = None
    time: str | None = None
    model: dict | None = None  # the model's labels, when the file carries them
    user_id: int | None = None  # Label Studio's numeric completed_by: used only when no name is known


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


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel "Unicode text"), or GB18030 (a file saved on a
    Chinese-locale Windows); UnicodeDecodeError for anything else."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_text(path: Path) -> tuple[str | None, list[str]]:
    try:
        return decode(path.read_bytes()), []
    except UnicodeDecodeError:
        return None, [f"{path}: not a text file in UTF-8, UTF-16 or GB18030"]


def read_csv(path: Path) -> tuple[list[Row], list[str]]:
    text, errors = read_text(path)
    if errors:
        return [], errors
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or [])]
    if is_tag_output(reader.fieldnames or []):
        return [], [f"{path}: this file {TAG_OUTPUT}"]
    if missing and len(reader.fieldnames or []) == 1 and "\t" in reader.fieldnames[0]:
        return [], [f"{path}:1: columns are separated by tabs; save it as CSV (comma-separated)"]
    if missing:
        return [], [f"{path}:1: CSV header lacks column(s) {missing}; keep the header of review.csv"]
    rows = []
    for r in reader:
        if not any((r.get(t) or "").strip() for t in TASKS):
            rows.append(Row(str(path), f"{path}:{reader.line_num}", {}))  # not annotated: skipped, counted
            continue
        model = {t: r[f"model_{t}"] for t in TASKS if r.get(f"model_{t}")}
        rows.append(
            Row(
                str(path),
                f"{path}:{reader.line_num}",
                r,
                r.get("annotator") or None,
                None,
                model if len(model) == len(TASKS) else None,
            )
        )
    return rows, []


def choices(result: list[dict]) -> dict:
    return {r.get("from_name"): (r.get("value", {}).get("choices") or [None])[0] for r in result or []}


def read_label_studio(path: Path) -> tuple[list[Row], list[str]]:
    """A Label Studio JSON export (tasks with annotations) or its JSON-MIN flavour (flat rows)."""
    text, errors = read_text(path)
    if errors:
        return [], errors
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as e:
        return [], [f"{path}:{e.lineno}: not valid JSON ({e.msg})"]
    if not isinstance(tasks, list):
        return [], [f"{path}:1: expected a JSON list of tasks (Label Studio JSON export)"]
    rows, errors = [], []
    for k, task in enumerate(tasks, 1):
        where = f"{path}: task #{k}" + (f" (id {task['id']})" if isinstance(task, dict) and "id" in task else "")
        if not isinstance(task, dict):
            errors.append(f"{where}: expected a JSON object")
            continue
        if "data" not in task and not any(task.get(t) for t in TASKS):
            rows.append(Row(str(path), where, {}))  # JSON-MIN task nobody labeled: skipped, counted
            continue
        if "data" not in task:
            rows.append(
                Row(str(path), where, task, task.get("annotator"), task.get("updated_at") or task.get("created_at"))
            )
            continue
        done = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not done:
            rows.append(Row(str(path), where, {}))  # not annotated yet: skipped, counted
            continue
        a = max(done, key=lambda a: a.get("updated_at") or a.get("created_at") or "")
        by = a.get("completed_by")
        model = choices((task.get("predictions") or [{}])[0].get("result"))
        rows.append(
            Row(
                str(path),
                where,
                {**task["data"], **choices(a.get("result"))},
                by.get("email") if isinstance(by, dict) else None,
                a.get("updated_at") or a.get("created_at"),
                model if set(model) >= set(TASKS) else None,
                by if isinstance(by, int) else None,
            )
        )
    return rows, errors


def read_doccano(path: Path) -> tuple[list[Row], list[str]]:
    """A doccano text-classification export: one JSON object a line, labels "domain:…" and "type:…";
    or units in the guidelines' own format, with `domain` and `type` fields."""
    text, errors = read_text(path)
    if errors:
        return [], errors
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{where}: not valid JSON ({e.msg})")
            continue
        if not isinstance(r, dict):
            errors.append(f"{where}: expected a JSON object")
            continue
        r = {**(r.get("meta") or {}), **r}
        if is_tag_output(r):
            return [], [f"{path}: this file {TAG_OUTPUT}"]
        labels = r.get("label", r.get("labels")) or []
        if not labels and all(t in r for t in TASKS):
            rows.append(Row(str(path), where, r, r.get("annotator")))
            continue
        if not labels:
            rows.append(Row(str(path), where, {}))  # not labeled in doccano: skipped, counted
            continue
        picked = {
            t: [x.split(":", 1)[1] for x in labels if isinstance(x, str) and x.startswith(f"{t}:")] for t in TASKS
        }
        bad = [t for t in TASKS if len(picked[t]) != 1]
        if bad:
            errors.append(
                f"{where}: expected exactly one {' and one '.join(f'{t}:…' for t in bad)} label, got {labels}"
            )
            continue
        model = {t: r[f"model_{t}"] for t in TASKS if r.get(f"model_{t}")}
        rows.append(
            Row(
                str(path),
                where,
                {**r, **{t: picked[t][0] for t in TASKS}},
                r.get("annotator") or r.get("user"),
                None,
                model if len(model) == len(TASKS) else None,
            )
        )
    return rows, errors


READERS = {".csv": read_csv, ".json": read_label_studio, ".jsonl": read_doccano}


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


def identity_errors(pairs: list[tuple[Row, dict]], gold: dict, imported: dict) -> list[str]:
    """Rows whose (doc_id, seq) holds another text, in the data or in an earlier row, whose new seq
    carries a text its document already holds (an edited seq or text, never matched by text alone), whose
    unknown doc_id looks like a mistyped known one holding the same text, or that give a unit two labels."""
    seen = {key: u["text"] for key, u in gold.items()}
    stored_seq = {(doc, u["text"]): seq for (doc, seq), u in gold.items()}
    known_docs = {doc for doc, _ in gold}
    labelled: dict[tuple[str, int], tuple[str, dict]] = {}
    errors, keep = [], "; keep doc_id, seq and text as exported"
    for row, unit in pairs:
        doc, seq, text = unit["doc_id"], unit["seq"], unit["text"]
        labels = {t: unit[t] for t in TASKS}
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
        elif doc not in known_docs:
            twins = [
                d
                for d in difflib.get_close_matches(doc, sorted(known_docs), n=3, cutoff=0.8)
                if (d, text) in stored_seq
            ]
            if twins:
                errors.append(
                    f"{row.where}: unknown document {doc!r}, but this text is {twins[0]} seq "
                    f"{stored_seq[twins[0], text]}: a mistyped doc_id?{keep}"
                )
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
    errors += identity_errors(pairs, gold, imported)
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
    known = load_splits(splits_path)
    result.new_documents = sorted({u["doc_id"] for u in merged.values()} - set(known))
    if result.new_documents:
        update_splits(splits_path, result.new_documents)
    return result
