"""`govtag tag`: read, segment and tag many files; never lose work; write every output.

Each file's tagged units are first written to OUTDIR/.parts/<content hash>.jsonl (atomically), so a
killed run restarted with `resume=True` skips what is done. The final outputs are then streamed from
those parts in input order, each written atomically: memory stays flat however many files there are.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..labels.atomic import atomic_write
from .document import ReadError
from .interactive_report import DOCS as REPORT_PAGES
from .interactive_report import write_report
from .meta_file import lookup, merge_meta
from .metadata import extract
from .outputs import (
    COLUMNS,
    META_COLUMNS,
    UNIT_COLUMNS,
    WRITERS,
    summary_columns,
    summary_row,
    write_csv,
    write_jsonl,
    write_units,
)
from .read import expand, read_all
from .run_lock import output_lock
from .segment import document_units
from .tagger import Tagger

PARTS = ".parts"
OUTPUT_FILES = ("summary.csv", "report.html", "errors.jsonl")


@dataclass
class RunSummary:
    files: int = 0
    failed: int = 0
    resumed: int = 0
    documents: int = 0
    units: int = 0
    review: int = 0
    dropped: int = 0
    seconds: float = 0.0
    errors: list[dict] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def units_with_metadata(doc, max_unit_chars: int, meta: dict | None = None) -> list[dict]:
    """The units of a read file, each carrying its document's metadata (year, place, level, genre …, read by
    inference/metadata.py, a user's --meta row over it). The units' own `title`, which the model reads, stays."""
    units = document_units(doc, max_unit_chars)
    for doc_id in dict.fromkeys(u["doc_id"] for u in units):
        own = [u for u in units if u["doc_id"] == doc_id]
        found = merge_meta(extract(own, str(doc.path), doc.dropped), lookup(meta or {}, doc_id, str(doc.path)))
        fields = {k: v for k, v in found.items() if k not in ("title", "doc_id", "file")}
        for u in own:
            u.update({k: v for k, v in fields.items() if k not in u})
    return units


def meta_columns(meta: dict | None) -> list[str]:
    """The metadata columns of this run's tables: the standard ones, then a user's own, in their file's order."""
    extra = dict.fromkeys(k for row in (meta or {}).values() for k in row)
    return [*META_COLUMNS, *(k for k in extra if k not in (*UNIT_COLUMNS, "doc_id"))]


def content_key(doc_id: str, text: str) -> str:
    return hashlib.sha256(f"{doc_id}\0{text}".encode()).hexdigest()[:24]


def run_fingerprint(tagger: Tagger, with_probs: bool, meta: dict | None = None) -> dict:
    """What a part depends on besides its document: model, weights, backend (and its int8 re-check margin),
    review threshold, --probs, the user's --meta rows."""
    weights = tagger.backend.weights  # the file this run executes (for ONNX: int8, or fp32 after --no-quantize)
    stat = weights.stat() if weights and weights.exists() else None
    recheck = tagger.cfg.tag.onnx_recheck_margin if tagger.backend.quantized else None
    return {
        "model": str(tagger.model_dir.resolve()) if tagger.model_dir else None,
        "weights": [weights.name, stat.st_size, int(stat.st_mtime)] if stat else None,
        "backend": tagger.backend.name,
        "recheck_margin": recheck,
        "review_threshold": tagger.cfg.tag.review_threshold,
        "probs": with_probs,
        "meta": hashlib.sha256(json.dumps(meta, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
        if meta
        else None,
    }


def prepare_parts(
    out_dir: Path, tagger: Tagger, resume: bool, with_probs: bool = False, meta: dict | None = None
) -> Path:
    """The parts directory; a resumed run must use the settings the parts were made with."""
    parts = out_dir / PARTS
    manifest = parts / "manifest.json"
    fingerprint = run_fingerprint(tagger, with_probs, meta)
    if resume and manifest.exists():
        before = json.loads(manifest.read_text(encoding="utf-8"))
        changed = [k for k in fingerprint if before.get(k) != fingerprint[k]]
        if changed:
            what = {
                "model": "another model",
                "weights": "other weights",
                "backend": f"backend {before.get('backend')}",
                "recheck_margin": f"int8 re-check margin {before.get('recheck_margin')}",
                "review_threshold": f"review threshold {before.get('review_threshold')}",
                "probs": "--probs" if before.get("probs") else "no --probs",
                "meta": "another --meta file" if before.get("meta") else "no --meta file",
            }
            raise ValueError(
                f"{out_dir}: the earlier run there used {', '.join(what[k] for k in changed)}; "
                "resume with the same settings, or run without --resume"
            )
    else:
        shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True, exist_ok=True)
    with atomic_write(manifest) as f:
        json.dump(fingerprint, f)
    return parts


def read_parts(paths: list[Path]) -> Iterator[dict]:
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


def tag_documents(
    inputs: Iterable[str | Path],
    tagger: Tagger,
    parts: Path,
    summary: RunSummary,
    resume: bool,
    with_probs: bool,
    progress=None,
    meta: dict | None = None,
) -> list[Path]:
    """Tag each readable file into its part (`tagger.workers` documents at a time); return the parts in
    input order."""
    seg = tagger.cfg.segment
    items = list(expand(inputs, exclude=parts.parent))  # the output directory may sit inside an input one
    summary.files = len(items)
    done = []
    task = progress.add_task("tagging", total=len(items)) if progress else None

    def to_tag() -> Iterator[tuple[Path, list[dict]]]:
        for doc in read_all(items, int(seg.max_file_mb * 1e6)):
            if isinstance(doc, ReadError):
                summary.failed += 1
                summary.errors.append({"path": doc.path, "error": doc.reason})
                if progress:
                    progress.advance(task)
                    progress.console.print(
                        f"error: {doc.path}: {doc.reason}", style="red", markup=False, soft_wrap=True
                    )
                continue
            part = parts / f"{content_key(doc.doc_id, doc.text)}.jsonl"
            done.append(part)
            summary.dropped += len(doc.dropped)
            if resume and part.exists():
                summary.resumed += 1
                if progress:
                    progress.advance(task)
                continue
            yield part, units_with_metadata(doc, seg.max_unit_chars, meta)

    def tag(document: tuple[Path, list[dict]]) -> None:
        part, units = document
        write_jsonl(part, tagger.predict(units, with_probs=with_probs))
        if progress:
            progress.advance(task)

    for _ in tagger.map_documents(tag, to_tag()):
        pass
    return done


def write_all(
    out_dir: Path,
    done: list[Path],
    tagger: Tagger,
    formats: tuple[str, ...],
    summary: RunSummary,
    meta: dict | None = None,
) -> None:
    described = meta_columns(meta)
    for fmt in formats:
        write_units(fmt, out_dir / f"units.{fmt}", read_parts(done), [*COLUMNS, *described, "file"])
        summary.outputs.append(f"units.{fmt}")
    for fmt in sorted(set(WRITERS) - set(formats)):  # an earlier run's units in another format would not match
        stale = out_dir / f"units.{fmt}"
        if stale.exists():
            stale.unlink()
            summary.removed.append(stale.name)
    rows = []

    def documents() -> Iterator[tuple[str, list[dict]]]:
        """Each document's units, one part in memory at a time; its summary row on the way."""
        for part in done:
            units = list(read_parts([part]))
            for doc_id in dict.fromkeys(u["doc_id"] for u in units):
                doc_units = [u for u in units if u["doc_id"] == doc_id]
                rows.append(summary_row(doc_id, doc_units, tagger.schema, described))
                summary.documents += 1
                summary.units += len(doc_units)
                summary.review += sum(bool(u.get("review")) for u in doc_units)
                yield doc_id, doc_units

    summary_csv, report_html, errors_jsonl = (out_dir / name for name in OUTPUT_FILES)
    write_report(out_dir, documents(), tagger.schema)
    write_csv(summary_csv, rows, summary_columns(tagger.schema, described))
    write_jsonl(errors_jsonl, summary.errors)
    summary.outputs += [*OUTPUT_FILES, f"{REPORT_PAGES}/"]


@contextmanager
def owned_output(out_dir: Path, summary: RunSummary):
    """Hold OUT_DIR for this run (`run_lock`): a second run into it is refused while this one lives. Files an
    earlier killed run left half-written (atomic_write's temporaries) are removed: no writer can be at work."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with output_lock(out_dir) as stale:
        if stale:
            summary.notices.append(
                f"took over the lock of an earlier run into {out_dir} that is no longer running (pid {stale.get('pid')})"
            )
        names = {f"units.{fmt}" for fmt in WRITERS} | set(OUTPUT_FILES) | {"manifest.json"}
        for folder in (out_dir, out_dir / PARTS):
            for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
                if folder.name == PARTS or tmp.name[1:].rsplit(".", 2)[0] in names:
                    tmp.unlink(missing_ok=True)
        yield


def tag_paths(
    inputs: Iterable[str | Path],
    tagger: Tagger,
    out_dir: str | Path,
    formats: tuple[str, ...] = ("jsonl", "csv", "xlsx"),
    resume: bool = False,
    with_probs: bool = False,
    progress=None,
    meta: dict | None = None,
) -> RunSummary:
    """Tag the files into OUT_DIR; `meta`: a user's metadata rows (`meta_file.read_meta_file`)."""
    unknown = set(formats) - set(WRITERS)
    if unknown:
        raise ValueError(f"unknown output format(s) {sorted(unknown)}; choose from {sorted(WRITERS)}")
    start = time.perf_counter()
    out_dir = Path(out_dir)
    summary = RunSummary()
    with owned_output(out_dir, summary):
        parts = prepare_parts(out_dir, tagger, resume, with_probs, meta)
        done = tag_documents(inputs, tagger, parts, summary, resume, with_probs, progress, meta)
        write_all(out_dir, done, tagger, formats, summary, meta)
    summary.seconds = round(time.perf_counter() - start, 2)
    return summary
