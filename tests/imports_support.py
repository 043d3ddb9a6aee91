"""What the tests of `govtag import` share (their fixtures `data` and `tasks` are in conftest.py): readers and
writers of the files an annotator hands back, and of what an import wrote."""

import csv
import json

from govtag.labels.imports import IMPORTED
from govtag.labels.schema import load_schema
from tests.conftest import REPO

SCHEMA = load_schema()
DOC = "000_4b54a07587a75276"
LS = REPO / "tests" / "fixtures" / "labelstudio"  # written by Label Studio 1.23.2: see its README.md


def snapshot(*paths):
    return {
        str(p): p.read_bytes() for root in paths for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file()
    }


def read_csv(path):
    with path.open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def write_csv(path, rows, header=None):
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, header or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def accept_model(rows):
    """Review CSV rows as an annotator who agrees with every prediction fills them in."""
    return [{**r, "domain": r["model_domain"], "type": r["model_type"]} for r in rows]


def label_doccano(rows):
    """doccano rows as an annotator who agrees with every prediction labels them."""
    return [{**r, "label": [f"domain:{r['model_domain']}", f"type:{r['model_type']}"]} for r in rows]


def read_doccano(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def imported_units(data_dir):
    return [
        json.loads(line)
        for p in sorted((data_dir / IMPORTED).glob("*.jsonl"))
        for line in p.read_text(encoding="utf-8").splitlines()
    ]
