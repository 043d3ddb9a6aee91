"""Labeled units: loading, validation, document splits and tokenization."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import yaml

from inference.atomic import atomic_write
from inference.normalize import model_form
from inference.segment import SECTION_SEP, assign_sections, document_title
from labels.schema import TASKS, Schema

SPLITS = ("train", "dev", "test")
SPLIT_SHARES = (0.70, 0.15, 0.15)
REQUIRED_FIELDS = ("doc_id", "seq", "text", "domain", "type")


class DataError(ValueError):
    pass


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
            raise DataError(f"{where}`govtag tag` output: its domain and type are the model's predictions, "
                            "not gold labels")
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


def contextualize(units: list[dict]) -> list[dict]:
    """Recompute the `section` and `title` of every complete document from its units, exactly as `govtag segment`
    does, so the model trains and is evaluated on the context it sees when tagging."""
    docs: dict[str, list[dict]] = {}
    for u in units:
        docs.setdefault(str(u["doc_id"]), []).append(u)
    for doc in docs.values():
        doc.sort(key=lambda u: u["seq"])
        if [u["seq"] for u in doc] != list(range(len(doc))):
            continue  # an excerpt (e.g. imported corrections): its headings are not all here, keep its context
        pairs = [(u["text"], bool(u.get("heading"))) for u in doc]
        title = document_title(pairs)
        for u, section in zip(doc, assign_sections(pairs)):
            u["section"], u["title"] = section, title
    return units


def load_labeled(data_dir: str | Path, schema: Schema) -> list[dict]:
    """All gold units under data_dir. An imported correction replaces the unit it corrects."""
    by_key: dict[tuple[str, int, str], dict] = {}
    for path in data_files(data_dir):
        for r in read_units(path, schema):
            key = (str(r["doc_id"]), r["seq"], r["text"])
            if key in by_key and r.get("source") != "imported":
                continue
            by_key[key] = r
    return contextualize(sorted(by_key.values(), key=lambda r: (str(r["doc_id"]), r["seq"])))


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
        f.write("# Fixed document splits: a document never crosses splits. New documents are added by "
                "`govtag data split`.\n" + yaml.safe_dump(grouped, allow_unicode=True, sort_keys=False))
    return splits


def split_units(units: list[dict], splits: dict[str, str]) -> dict[str, list[dict]]:
    unknown = sorted({str(u["doc_id"]) for u in units} - set(splits))
    if unknown:
        raise DataError(f"{len(unknown)} document(s) not in the splits file, e.g. {unknown[:3]}; "
                        "run `govtag data split`")
    out: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for u in units:
        out[splits[str(u["doc_id"])]].append(u)
    return out


def label_counts(units: list[dict], schema: Schema, task: str) -> list[int]:
    c = Counter(u[task] for u in units)
    return [c[label] for label in schema.labels(task)]


def context(section: str, chars: int) -> str:
    """At most `chars` characters of the heading path: the start of the top-level part (review, problems
    or plans?) and the nearest headings, dropping the middle when it is too long."""
    if len(section) <= chars:
        return section
    top, _, rest = section.partition(" > ")
    head = top[:chars // 3]
    return f"{head} … {rest[-(chars - len(head) - 3):]}" if rest else top[:chars]


def drop_context(units: list[dict], share: float, seed: int) -> list[dict]:
    """Copies of the units with a fixed random `share` of heading paths blanked, as units of an excerpt copied from
    a web page have none, and, drawn apart, the same share of titles; the labels stay."""
    if share <= 0:
        return units
    rng = np.random.default_rng(seed)
    blank = {key: rng.random(len(units)) < share for key in ("section", "title")}
    return [{**u, **{key: "" for key in blank if blank[key][i]}} for i, u in enumerate(units)]


def model_texts(units: list[dict], model) -> list[str]:
    """What the encoder reads of each unit (`model`: a ModelConfig): its text in `model_form`, and for a heading
    or a short unit (an unnumbered sub-heading of a web copy: 社区层面) the start of the unit after it in its
    document too, for a heading is labelled by the part it opens (GUIDELINES rule 1)."""
    chars = model.lookahead_chars
    if not chars:
        return [model_form(u["text"]) for u in units]
    following = {(u.get("doc_id"), u.get("seq")): u["text"] for u in units}
    texts = []
    for u in units:
        after = following.get((u.get("doc_id"), u["seq"] + 1)) if isinstance(u.get("seq"), int) else None
        opens = u.get("heading") or len(u["text"].strip()) <= model.short_unit_chars
        texts.append(model_form(f"{u['text']} → {after[:chars]}" if after and opens else u["text"]))
    return texts


def model_contexts(units: list[dict], model) -> list[str]:
    """What the encoder reads around each unit: the start of its document's title (`model.title_chars`; 0: none)
    and its heading path (`context`), in `model_form`."""
    out = []
    for u in units:
        path = context(u.get("section") or "", model.section_chars)
        title = (u.get("title") or "")[:model.title_chars]
        out.append(model_form(f"{title}{SECTION_SEP}{path}" if title and path else title or path))
    return out


CONTEXT = "context_"  # prefix of the heading path's own token ids when the model reads it separately


def encode(tokenizer, texts: list[str], contexts: list[str], max_length: int, separate: bool = False) -> dict:
    """Unit text paired with its context (`model_contexts`), truncated to the model window, not padded; with
    `separate`, the text alone and the context's ids under context_input_ids/context_attention_mask."""
    if not separate:
        return tokenizer(texts, contexts, truncation=True, max_length=max_length)
    own = tokenizer(texts, truncation=True, max_length=max_length)
    heading = tokenizer(contexts, truncation=True, max_length=max_length)
    return {**own, **{CONTEXT + k: heading[k] for k in ("input_ids", "attention_mask")}}


class Collator:
    """Pads a batch of encoded units: the unit's ids and, read separately, its heading path's."""

    def __init__(self, tokenizer):
        from transformers import DataCollatorWithPadding

        self.pad = DataCollatorWithPadding(tokenizer)

    def __call__(self, features: list[dict]) -> dict:
        batch = self.pad([{k: v for k, v in f.items() if not k.startswith(CONTEXT)} for f in features])
        heading = [{k[len(CONTEXT):]: v for k, v in f.items() if k.startswith(CONTEXT)} for f in features]
        if heading[0]:
            batch.update({CONTEXT + k: v for k, v in self.pad(heading).items()})
        return batch


def to_dataset(units: list[dict], tokenizer, schema: Schema, model):
    """A `datasets.Dataset` of token ids and label ids, ready for the Trainer (`model`: a ModelConfig)."""
    from datasets import Dataset

    index = {task: {label: i for i, label in enumerate(schema.labels(task))} for task in TASKS}
    ds = Dataset.from_dict({
        "text": model_texts(units, model),
        "context": model_contexts(units, model),
        "domain_labels": [index["domain"][u["domain"]] for u in units],
        "type_labels": [index["type"][u["type"]] for u in units],
    })
    return ds.map(lambda b: encode(tokenizer, b["text"], b["context"], model.max_length, model.separate_context),
                  batched=True, remove_columns=["text", "context"])
