"""`govtag review`: pick the tagged units most worth a human look and export them for correction.

A unit's priority is a weighted sum of three signals (weights in the config's `review:` section):
low confidence (1 − the lower of its two top scores), entropy (mean over both heads, normalised to
[0, 1]; estimated from the top score when the units carry no probabilities) and section disagreement
(1 when the section's cue word, e.g. 存在的问题 → problem, names another type than the type head).
Cue words only rank units; they never produce labels. Units are then taken round-robin over
documents, best document first, so one long report cannot fill the whole batch.

The model's labels are shown to the annotator but never sit where `govtag import` reads the human's
label (Label Studio predictions, doccano metadata, the CSV's `model_*` columns), so an untouched task is
skipped on import instead of turning a model guess into gold.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

from ..labels.atomic import atomic_write
from ..labels.corpus import iter_jsonl
from ..labels.schema import TASKS, Schema
from .config import ReviewConfig
from .outputs import write_csv
from .segment import SECTION_SEP

CSV_COLUMNS = (
    "doc_id",
    "seq",
    "heading",
    "section",
    "text",
    "model_domain",
    "model_type",
    "domain_score",
    "type_score",
    "reason",
    "domain",
    "type",
    "annotator",
    "note",
)
LS_TASKS, LS_CONFIG, DOCCANO, DOCCANO_LABELS, CSV_FILE = (
    "label_studio.json",
    "label_studio_config.xml",
    "doccano.jsonl",
    "doccano_labels.json",
    "review.csv",
)
TASK_FILES = (LS_TASKS, LS_CONFIG, DOCCANO, DOCCANO_LABELS, CSV_FILE)
WEIGHTS = "model.safetensors"  # bundle.WEIGHTS; importing bundle would load transformers for `govtag review`


def section_cue(unit: dict, cues: dict[str, list[str]]) -> str | None:
    """The type a cue word in the unit's headings suggests, nearest heading first (a heading counts itself)."""
    headings = [h for h in (unit.get("section") or "").split(SECTION_SEP) if h]
    if unit.get("heading"):
        headings.append(unit["text"])
    for heading in reversed(headings):
        for type_, words in cues.items():
            if any(w in heading for w in words):
                return type_
    return None


def normalised_entropy(unit: dict, task: str, k: int) -> float:
    probs = unit.get(f"{task}_probs")
    if probs:
        p = list(probs.values())
    else:  # no probabilities written: assume the rest of the mass is spread evenly
        top = unit[f"{task}_score"]
        p = [top] + [(1 - top) / (k - 1)] * (k - 1) if top < 1 else [1.0]
    return -sum(v * math.log(v) for v in p if v > 0) / math.log(k)


def priority(unit: dict, schema: Schema, cfg: ReviewConfig) -> tuple[float, list[str]]:
    """The unit's review priority and the reasons behind it, for the annotator to read."""
    confidence = min(unit["domain_score"], unit["type_score"])
    entropy = sum(normalised_entropy(unit, t, len(schema.labels(t))) for t in TASKS) / len(TASKS)
    cue = section_cue(unit, cfg.section_cues)
    disagrees = cue is not None and unit["type"] not in (cue, "other")  # bylines and dates sit under the last part
    reasons = [f"confidence {confidence:.2f}", f"entropy {entropy:.2f}"]
    if disagrees:
        reasons.append(f"section suggests {cue}")
    score = cfg.low_confidence * (1 - confidence) + cfg.entropy * entropy + cfg.section_disagreement * disagrees
    return score, reasons


def select(units: list[dict], schema: Schema, cfg: ReviewConfig, n: int | None = None) -> list[dict]:
    """The `n` units most worth a look, spread round-robin over documents (best document first)."""
    n = cfg.n if n is None else n
    by_doc: dict[str, list[dict]] = {}
    for u in units:
        score, reasons = priority(u, schema, cfg)
        by_doc.setdefault(str(u["doc_id"]), []).append({**u, "priority": round(score, 4), "reason": "; ".join(reasons)})
    queues = sorted(
        (sorted(q, key=lambda u: (-u["priority"], u["seq"])) for q in by_doc.values()),
        key=lambda q: (-q[0]["priority"], str(q[0]["doc_id"])),
    )
    chosen: list[dict] = []
    for depth in range(max((len(q) for q in queues), default=0)):
        chosen += [q[depth] for q in queues if depth < len(q)][: n - len(chosen)]
        if len(chosen) >= n:
            break
    return chosen


def read_tagged(path: str | Path) -> list[dict]:
    """Units from `govtag tag`: OUTDIR/units.jsonl, or a units JSONL file given directly."""
    path = Path(path)
    path = path / "units.jsonl" if path.is_dir() else path
    if not path.exists():
        raise FileNotFoundError(f"{path}: no tagged units (run `govtag tag ... -o DIR` first)")
    units = [r for _, r in iter_jsonl(path)]
    missing = [
        f
        for f in ("doc_id", "seq", "text", "domain", "type", "domain_score", "type_score")
        if units and f not in units[0]
    ]
    if missing:
        raise ValueError(f"{path}: not tagged units, missing {missing}")
    return units


def tagging_model(tagged: str | Path) -> Path | None:
    """The model directory `govtag tag` used for TAGGED (its output directory, or the units.jsonl in it), as
    the run's manifest records it; None without a readable manifest."""
    tagged = Path(tagged)
    manifest = (tagged if tagged.is_dir() else tagged.parent) / ".parts" / "manifest.json"
    try:
        model = json.loads(manifest.read_text(encoding="utf-8")).get("model")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(model) if isinstance(model, str) and model else None


def model_version(model_dir: Path | None, name: str | None = None) -> str:
    """The predictions' model_version: NAME@HASH, the model's registered name (given by the caller, which may
    read the registry; else the directory's name) and the first 12 hex digits of the sha256 of its weights,
    e.g. default@3fa2b9c01d2e. A path says nothing once a model is promoted or moved; the hash names the weights."""
    if model_dir is None:
        return name or "unknown"
    name, weights = name or model_dir.name, model_dir / WEIGHTS
    if not weights.is_file():
        return name
    digest = hashlib.sha256()
    with weights.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return f"{name}@{digest.hexdigest()[:12]}"


def unit_fields(u: dict) -> dict:
    return {
        "doc_id": u["doc_id"],
        "seq": u["seq"],
        "heading": bool(u.get("heading")),
        "section": u.get("section") or "",
        "text": u["text"],
        "reason": u["reason"],
    }


def model_fields(u: dict) -> dict:
    """The model's labels and scores, in fields import never takes as the human's label."""
    return {
        "model_domain": u["domain"],
        "model_type": u["type"],
        "domain_score": u["domain_score"],
        "type_score": u["type_score"],
    }


def label_studio(units: list[dict], model: str) -> list[dict]:
    """Tasks with the model's labels as predictions, so the annotator only corrects. A prediction's score
    is the lower of the two heads' top probabilities (0–1), the confidence review ranks by."""
    return [
        {
            "id": i,
            "data": unit_fields(u),
            "predictions": [
                {
                    "model_version": model,
                    "score": min(u["domain_score"], u["type_score"]),
                    "result": [
                        {"from_name": t, "to_name": "text", "type": "choices", "value": {"choices": [u[t]]}}
                        for t in TASKS
                    ],
                }
            ],
        }
        for i, u in enumerate(units, 1)
    ]


def label_studio_config(schema: Schema) -> str:
    """The labeling interface: the unit with its section, one required single choice per task."""
    blocks = ['  <Header value="$section"/>\n  <Text name="text" value="$text"/>']
    for t in TASKS:
        choices = "\n".join(
            f"    <Choice value={quoteattr(label)} hint={quoteattr(schema.definitions[t][label])}/>"
            for label in schema.labels(t)
        )
        blocks.append(
            f'  <Header value="{t}"/>\n  <Choices name="{t}" toName="text" choice="single" '
            f'required="true">\n{choices}\n  </Choices>'
        )
    return "<View>\n" + "\n".join(blocks) + "\n</View>\n"


def doccano(units: list[dict]) -> list[dict]:
    """Text-classification rows without labels (the annotator adds "domain:党建" and "type:plan", one of
    each); the model's labels are metadata, which doccano shows beside the text."""
    return [{**unit_fields(u), **model_fields(u)} for u in units]


def write_tasks(units: list[dict], out_dir: str | Path, schema: Schema, model: str = "") -> list[Path]:
    """Write the Label Studio tasks and config, the doccano rows and labels, and the CSV."""
    out = Path(out_dir)
    with atomic_write(out / LS_TASKS) as f:
        json.dump(label_studio(units, model), f, ensure_ascii=False, indent=1)
    with atomic_write(out / LS_CONFIG) as f:
        f.write(label_studio_config(schema))
    with atomic_write(out / DOCCANO) as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in doccano(units))
    with atomic_write(out / DOCCANO_LABELS) as f:
        json.dump(
            [
                {
                    "text": f"{t}:{label}",
                    "background_color": "#4a90d9" if t == "domain" else "#d98c4a",
                    "text_color": "#ffffff",
                }
                for t in TASKS
                for label in schema.labels(t)
            ],
            f,
            ensure_ascii=False,
        )
    write_csv(
        out / CSV_FILE,
        ({**unit_fields(u), **model_fields(u), "domain": "", "type": "", "annotator": "", "note": ""} for u in units),
        CSV_COLUMNS,
    )
    return [out / name for name in TASK_FILES]
