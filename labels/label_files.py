"""The files corrections come back in — Label Studio 1.23 exports (JSON, snapshot, JSON-MIN, CSV), doccano
JSONL and the review CSV — read into rows, one per corrected unit, before `imports` validates them."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from .corpus import is_tag_output
from .schema import TASKS

CSV_REQUIRED = ("doc_id", "seq", "text", "domain", "type")
TAG_OUTPUT = (
    "is `govtag tag` output: its domain and type are the model's predictions, not corrections; "
    "export units to correct with `govtag review` and import the file you labelled"
)


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
        name, user = who(r.get("annotator"))  # Label Studio's CSV export: its user id, its updated_at
        time = (r.get("updated_at") or r.get("created_at") or "").strip() or None
        where = f"{path}:{reader.line_num}"
        rows.append(Row(str(path), where, r, name, time, model if len(model) == len(TASKS) else None, user))
    return rows, []


def choices(result) -> dict:
    """{control name: its one choice} of a Label Studio result list."""
    picked = {}
    for r in result if isinstance(result, list) else []:
        if isinstance(r, dict) and r.get("from_name"):
            picked[r["from_name"]] = ((r.get("value") or {}).get("choices") or [None])[0]
    return picked


def who(value) -> tuple[str | None, int | None]:
    """(name, Label Studio user id) of completed_by or a JSON-MIN/CSV `annotator`: an email or a user object
    names the annotator; a bare number is only Label Studio's user id, which `--annotator` overrides."""
    if isinstance(value, dict):
        return who(value.get("email") or value.get("id"))
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, int) or str(value).strip().isdigit():
        return None, int(value)
    return str(value).strip() or None, None


def by_whom(annotation: dict) -> str:
    name, user = who(annotation.get("completed_by"))
    number = f" {annotation['id']}" if annotation.get("id") is not None else ""
    return f"annotation{number} by {name or (f'Label Studio user {user}' if user is not None else 'unknown')}"


def model_labels(task: dict) -> dict | None:
    """The model's labels of a task: its predictions when exported as objects (a snapshot export), else the
    prediction each annotation records (Label Studio's default JSON export lists predictions by id only)."""
    found = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    found += [a["prediction"] for a in task.get("annotations") or [] if isinstance(a.get("prediction"), dict)]
    for prediction in found:
        labels = choices(prediction.get("result"))
        if all(labels.get(t) for t in TASKS):
            return {t: labels[t] for t in TASKS}
    return None


def annotation_conflict(where: str, data: dict, done: list[dict]) -> str | None:
    """Annotations of one task that give its unit two labels: refused, as two rows that disagree are."""
    labels = [(a, "/".join(str(choices(a.get("result")).get(t)) for t in TASKS)) for a in done]
    (first, mine), other = labels[0], next((x for x in labels[1:] if x[1] != labels[0][1]), None)
    if other is None:
        return None
    return (
        f"{where}: {data.get('doc_id')} seq {data.get('seq')} is labelled {mine} in {by_whom(first)} but "
        f"{other[1]} in {by_whom(other[0])}; keep one: delete or correct the other annotation in Label Studio "
        "and export again"
    )


def read_label_studio(path: Path) -> tuple[list[Row], list[str]]:
    """A Label Studio export: JSON (tasks with their annotations; predictions as ids, or as objects in a
    snapshot export) or JSON-MIN (one flat row per annotation)."""
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
        if not isinstance(task, dict):
            errors.append(f"{path}: task #{k}: expected a JSON object")
            continue
        if "data" not in task:  # JSON-MIN: the task's data and one annotation's choices side by side
            where = f"{path}: row #{k}" + (f" (task id {task['id']})" if "id" in task else "")
            if not any(task.get(t) for t in TASKS):
                rows.append(Row(str(path), where, {}))  # nobody labeled it: skipped, counted
                continue
            name, user = who(task.get("annotator"))
            rows.append(Row(str(path), where, task, name, task.get("updated_at") or task.get("created_at"), None, user))
            continue
        where = f"{path}: task #{k}" + (f" (id {task['id']})" if "id" in task else "")
        annotations = task.get("annotations") or []
        if (
            not isinstance(task["data"], dict)
            or not isinstance(annotations, list)
            or not all(isinstance(a, dict) for a in annotations)
        ):
            errors.append(f"{where}: expected `data` and `annotations` as Label Studio exports them")
            continue
        done = [
            a for a in annotations if not a.get("was_cancelled") and any(choices(a.get("result")).get(t) for t in TASKS)
        ]
        if not done:
            rows.append(Row(str(path), where, {}))  # not annotated, or skipped: skipped, counted
            continue
        conflict = annotation_conflict(where, task["data"], done)
        if conflict:
            errors.append(conflict)
            continue
        a = max(done, key=lambda a: a.get("updated_at") or a.get("created_at") or "")  # they agree: the latest
        name, user = who(a.get("completed_by"))
        time = a.get("updated_at") or a.get("created_at")
        rows.append(
            Row(str(path), where, {**task["data"], **choices(a.get("result"))}, name, time, model_labels(task), user)
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
