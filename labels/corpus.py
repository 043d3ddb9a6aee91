"""Labeled units: reading and validating JSONL files, the labeled data of a directory, fixed document splits."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from .atomic import atomic_write
from .schema import Schema

SPLITS = ("train", "dev", "test")
SPLIT_SHARES = (0.70, 0.15, 0.15)
REQUIRED_FIELDS = ("doc_id", "seq", "text", "domain", "type")


LABELS_DIR = Path(__file__).resolve().parent  # the corpus that ships with govtag: data/ and splits.yaml
PACKAGE_ROOT = LABELS_DIR.parent


class DataError(ValueError):
    pass


def in_installed_package(path: str | Path) -> bool:
    """Whether `path` is inside govtag as installed from a wheel (not a checkout): written there, it would be
    lost at the next upgrade."""
    installed = not (PACKAGE_ROOT / "pyproject.toml").exists()
    return installed and Path(path).resolve().is_relative_to(PACKAGE_ROOT)


def copy_corpus(dest: str | Path) -> tuple[Path, Path]:
    """Copy the labeled corpus that ships with govtag to DEST/data and DEST/splits.yaml, for retraining with
    one's own corrections (`govtag import --data DEST/data --splits DEST/splits.yaml`); never overwrites."""
    dest = Path(dest)
    data, splits = dest / "data", dest / "splits.yaml"
    for path in (data, splits):
        if path.exists():
            raise DataError(f"{path}: already exists; copy the corpus into another directory")
    dest.mkdir(parents=True, exist_ok=True)
    for source in data_files(LABELS_DIR / "data"):
        target = data / source.relative_to(LABELS_DIR / "data")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    shutil.copyfile(LABELS_DIR / "splits.yaml", splits)
    return data, splits


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, record); a malformed line raises DataError naming file and line."""
    path = Path(path)
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
            if not isinstance(record, dict):
                raise DataError(f"{path}:{lineno}: expected a JSON object")
            yield lineno, record


def is_tag_output(fields) -> bool:
    """`govtag tag` writes scores beside the model's labels; `govtag review` moves those labels to model_*."""
    return "domain_score" in fields and "model_domain" not in fields


def read_units(path: str | Path, schema: Schema | None = None) -> list[dict]:
    """Read a JSONL file of units; with a schema, every unit must carry valid gold labels."""
    units = []
    for lineno, r in iter_jsonl(path):
        where = f"{path}:{lineno}: "
        needed = REQUIRED_FIELDS if schema else ("text",)
        missing = [k for k in needed if k not in r]
        if missing:
            raise DataError(f"{where}missing field(s) {missing}")
        if not isinstance(r["text"], str) or not r["text"].strip():
            raise DataError(f"{where}empty text")
        if schema and is_tag_output(r):
            raise DataError(
                f"{where}`govtag tag` output: its domain and type are the model's predictions, not gold labels"
            )
        if schema:
            try:
                schema.check(r)
            except ValueError as e:
                raise DataError(f"{where}{e}") from None
        r.setdefault("section", "")
        units.append(r)
    return units


def data_files(data_dir: str | Path) -> list[Path]:
    """The labeled files under a directory (recursively), or the one file given."""
    path = Path(data_dir)
    files = [path] if path.is_file() else sorted(path.rglob("*.jsonl"))
    if not files:
        raise DataError(f"{data_dir}: no labeled *.jsonl files found")
    return files


def load_labeled(data_dir: str | Path, schema: Schema) -> list[dict]:
    """All gold units under data_dir, by document and seq. An imported correction replaces the unit it corrects."""
    by_key: dict[tuple[str, int, str], dict] = {}
    for path in data_files(data_dir):
        for r in read_units(path, schema):
            key = (str(r["doc_id"]), r["seq"], r["text"])
            if key in by_key and r.get("source") != "imported":
                continue
            by_key[key] = r
    return sorted(by_key.values(), key=lambda r: (str(r["doc_id"]), r["seq"]))


def hashed_split(doc_id: str) -> str:
    """Where a document not yet in the splits file goes: stable, by a hash of its id — of its file's, for the
    reports of one file (X, X#2, …) share a page and its wrapper, and so a split."""
    page = doc_id.split("#")[0]
    x = int(hashlib.sha1(page.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "train" if x < SPLIT_SHARES[0] else "dev" if x < SPLIT_SHARES[0] + SPLIT_SHARES[1] else "test"


def load_splits(path: str | Path) -> dict[str, str]:
    """doc_id → split from the fixed splits file."""
    path = Path(path)
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, str] = {}
    for split, docs in raw.items():
        if split not in SPLITS:
            raise DataError(f"{path}: unknown split {split!r}; expected {SPLITS}")
        for doc in docs or []:
            if doc in out:
                raise DataError(f"{path}: document {doc!r} is in both {out[doc]} and {split}")
            out[doc] = split
    return out


def update_splits(path: str | Path, doc_ids: Iterable[str]) -> dict[str, str]:
    """Add new documents to the splits file (by hash); existing assignments never move."""
    splits = load_splits(path)
    for doc in sorted(set(doc_ids) - set(splits)):
        splits[doc] = hashed_split(doc)
    grouped = {s: sorted(d for d, sp in splits.items() if sp == s) for s in SPLITS}
    with atomic_write(path) as f:
        f.write(
            "# Fixed document splits: a document never crosses splits. New documents are added by "
            "`govtag data split`.\n" + yaml.safe_dump(grouped, allow_unicode=True, sort_keys=False)
        )
    return splits


def split_units(units: list[dict], splits: dict[str, str]) -> dict[str, list[dict]]:
    unknown = sorted({str(u["doc_id"]) for u in units} - set(splits))
    if unknown:
        raise DataError(
            f"{len(unknown)} document(s) not in the splits file, e.g. {unknown[:3]}; run `govtag data split`"
        )
    out: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for u in units:
        out[splits[str(u["doc_id"])]].append(u)
    return out


def label_counts(units: list[dict], schema: Schema, task: str) -> list[int]:
    c = Counter(u[task] for u in units)
    return [c[label] for label in schema.labels(task)]
