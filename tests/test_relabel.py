import json
from pathlib import Path

from govtag.labels.corpus import data_files, read_units
from govtag.labels.schema import load_schema

REPO = Path(__file__).resolve().parent.parent
RELABEL = sorted((REPO / "labels" / "relabel").glob("*.jsonl"))


def test_every_relabelling_record_matches_its_unit_in_the_data():
    units = {
        (u["doc_id"], u["seq"]): u
        for path in data_files(REPO / "labels" / "data")
        for u in read_units(path, load_schema())
    }
    assert RELABEL
    for path in RELABEL:
        for line in path.read_text(encoding="utf-8").splitlines():
            change = json.loads(line)
            unit = units[(change["doc_id"], change["seq"])]
            assert unit["text"] == change["text"]
            assert {k: unit[k] for k in ("domain", "type")} == change["after"] != change["before"]
            assert change["rule"] and change["why"]
