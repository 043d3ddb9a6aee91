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
# The folder that holds configs/, labels/ and inference/: the repository in a checkout, the installed package
# (site-packages/govtag) in a wheel.
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
    with path.open(encoding="utf-8-sig") as f:  # a byte-order mark (Notepad, Excel) is not part of line 1
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


SPLITS_HEADER = (
    "# Fixed document splits: a document never crosses splits. New documents are added by `govtag data split`.\n"
)


def yaml_item(doc: str) -> str:
    """A doc_id as a YAML block-list item's text, quoted when YAML would read it otherwise (e.g. `001`)."""
    return yaml.safe_dump([doc], allow_unicode=True, width=10**6)[2:].rstrip("\n")


def add_to_splits_text(text: str, added: dict[str, list[str]], path: Path) -> str:
    """The splits file with new doc_ids appended: after the last item of their split's block list (inside
    the brackets of a flow list `[a, b]`, the one line that changes), or as a new block at the end."""
    lines = text.splitlines(keepends=True)
    nl = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl
    root = yaml.compose(text)
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise DataError(f"{path}: expected a mapping of splits to document lists")
    nodes = {key.value: value for key, value in (root.value if root else [])}
    edits = []  # (line, column, text to insert there, lines to insert after that line)
    for split in SPLITS:
        items = [yaml_item(d) for d in added.get(split, [])]
        node = nodes.get(split)
        if not items:
            continue
        if node is None:
            lines += [f"{split}:{nl}", *(f"- {item}{nl}" for item in items)]
        elif isinstance(node, yaml.SequenceNode) and node.flow_style:
            end = node.end_mark  # just after "]"
            edits.append((end.line, end.column - 1, (", " if node.value else "") + ", ".join(items), []))
        elif isinstance(node, yaml.SequenceNode) and node.value:
            first, last = node.value[0], node.value[-1]
            prefix = lines[first.start_mark.line][: first.start_mark.column]  # "- ", with its indentation
            edits.append((last.end_mark.line, None, "", [f"{prefix}{item}{nl}" for item in items]))
        elif isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            start = node.start_mark  # "dev:" with nothing after it, or "dev: null"
            edits.append((start.line, start.column, None, [f"- {item}{nl}" for item in items]))
        else:
            raise DataError(f"{path}: {split} must be a list of doc_ids")
    for line, column, insert, after in sorted(edits, key=lambda e: (e[0], e[1] or 0), reverse=True):
        if insert is None:  # a null value: drop "null"/"~", keep the key
            lines[line] = lines[line][:column].rstrip() + nl
        elif column is not None:
            lines[line] = lines[line][:column] + insert + lines[line][column:]
        lines[line + 1 : line + 1] = after
    return "".join(lines)


def splits_with(path: str | Path, doc_ids: Iterable[str]) -> tuple[str | None, dict[str, str]]:
    """The splits file's text with the documents it lacks added (None when it lacks none) and the doc_id →
    split map it then holds; raises DataError before anything is written when they cannot be added."""
    path = Path(path)
    splits = load_splits(path)
    new = sorted(set(doc_ids) - set(splits))
    if not new and path.exists():
        return None, splits
    text = path.read_bytes().decode("utf-8") if path.exists() else SPLITS_HEADER  # keeps CRLF line ends
    text = add_to_splits_text(text, {s: [d for d in new if hashed_split(d) == s] for s in SPLITS}, path)
    expected = {**splits, **{d: hashed_split(d) for d in new}}
    written = {d: s for s, docs in (yaml.safe_load(text) or {}).items() for d in docs or []}
    if written != expected:  # a layout this cannot append to without rewriting it
        raise DataError(f"{path}: cannot add {new[:3]} without rewriting the file; add them by hand")
    return text, expected


def write_splits(path: str | Path, text: str | None) -> None:
    if text is not None:
        with atomic_write(path, "wb") as f:
            f.write(text.encode("utf-8"))


def update_splits(path: str | Path, doc_ids: Iterable[str]) -> dict[str, str]:
    """Add new documents to the splits file (each to the split its hash picks); existing assignments never
    move and the file is never reordered: new doc_ids are appended to their split's list, every existing line
    stays byte for byte in its order."""
    text, splits = splits_with(path, doc_ids)
    write_splits(path, text)
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
