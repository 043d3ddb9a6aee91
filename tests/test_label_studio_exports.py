"""`govtag import` of the files Label Studio 1.23 itself writes (tests/fixtures/labelstudio): every export
format gives back the labels chosen in it, with their annotator and time, and disagreeing annotations are
refused."""

import json

import pytest
from typer.testing import CliRunner

from govtag.cli import app
from govtag.labels.imports import IMPORTED, ImportFailed, merge
from tests.imports_support import DOC, LS, SCHEMA, imported_units, read_csv, snapshot

LS_LABELS = {
    0: ("其他", "achievement"),
    1: ("党建", "achievement"),
    2: ("党建", "achievement"),
    5: ("党建", "achievement"),
}


def ls_rows(name):
    """The annotations of a fixture export: (seq, annotator as exported, updated_at), whatever its format."""
    path = LS / name
    if name.endswith(".csv"):
        return [(int(r["seq"]), r["annotator"], r["updated_at"]) for r in read_csv(path)]
    tasks = json.loads(path.read_text(encoding="utf-8"))
    if "data" not in tasks[0]:
        return [(r["seq"], r["annotator"], r["updated_at"]) for r in tasks]
    return [
        (t["data"]["seq"], a["completed_by"], a["updated_at"])
        for t in tasks
        for a in t["annotations"]
        if not a["was_cancelled"]
    ]


@pytest.mark.parametrize(
    "name, skipped, duplicates, annotator, by_option",
    [
        ("json_export.json", 1, 0, "Label Studio user 1", "王敏"),  # predictions: [ids]; completed_by: 1
        ("json_snapshot.json", 2, 0, "tester@example.org", "tester@example.org"),  # predictions and users expanded
        ("json_min.json", 0, 1, "Label Studio user 1", "王敏"),  # one row per annotation; annotator: 1
        ("csv_export.csv", 0, 1, "Label Studio user 1", "王敏"),  # the same rows; annotator: "1"
    ],
)
def test_label_studio_1_23_exports_import_as_labelled(name, skipped, duplicates, annotator, by_option, data, tmp_path):
    """Each export Label Studio 1.23 writes gives back the labels chosen in it; an email names the annotator, a
    bare user id gives way to --annotator; the annotation's updated_at is the label's time."""
    result = merge([LS / name], *data, SCHEMA)
    assert (result.units, result.skipped, result.duplicates, result.new_units) == (4, skipped, duplicates, 0)
    units = {u["seq"]: u for u in imported_units(data[0])}
    assert {seq: (u["domain"], u["type"]) for seq, u in units.items()} == LS_LABELS
    assert all(u["doc_id"] == DOC and u["previous"]["source"] == "seed" for u in units.values())
    times = {seq: time for seq, _, time in ls_rows(name)}
    assert {seq: u["provenance"]["time"] for seq, u in units.items() if seq != 2} == {
        seq: times[seq] for seq in (0, 1, 5)
    }
    assert units[0]["provenance"] == {"file": str(LS / name), "annotator": annotator, "time": times[0]}
    merge([LS / name], *data, SCHEMA, annotator="王敏")
    assert {u["provenance"]["annotator"] for u in imported_units(data[0]) if u["seq"] != 2} == {by_option}


def test_the_default_exports_model_labels_come_from_each_annotations_prediction(data, tmp_path):
    """The default JSON export lists predictions by id ("predictions": [1]); the model's labels, recorded as the
    label a new unit replaces, are in each annotation's `prediction`."""
    tasks = json.loads((LS / "json_export.json").read_text(encoding="utf-8"))
    assert all(isinstance(p, int) for t in tasks for p in t["predictions"])
    for t in tasks:
        t["data"] = {**t["data"], "doc_id": "new-report-2", "text": t["data"]["text"] + "（新）"}
    path = tmp_path / "new.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    assert merge([path], *data, SCHEMA).new_documents == ["new-report-2"]
    assert {json.dumps(u["previous"], ensure_ascii=False) for u in imported_units(data[0])} == {
        json.dumps({"domain": "经济", "type": "plan", "source": "model"}, ensure_ascii=False)
    }


@pytest.mark.parametrize(
    "name, where",
    [
        (
            "conflict_json_export.json",
            "task #1 (id 1): " + DOC + " seq 0 is labelled 其他/achievement in annotation 1 "
            "by Label Studio user 1 but 经济/plan in annotation 7 by Label Studio user 2; keep one: delete or correct "
            "the other annotation in Label Studio and export again",
        ),
        (
            "conflict_json_min.json",
            "row #2 (task id 1): " + DOC + " seq 0 is labelled 其他/achievement here but "
            "经济/plan at {path}: row #1 (task id 1); keep one",
        ),
        (
            "conflict_csv_export.csv",
            "3: " + DOC + " seq 0 is labelled 其他/achievement here but 经济/plan at {path}:2; keep one",
        ),
    ],
)
def test_label_studio_1_23_exports_with_disagreeing_annotations_are_refused(name, where, data):
    before = snapshot(*data)
    with pytest.raises(ImportFailed) as e:
        merge([LS / name], *data, SCHEMA)
    path = LS / name
    sep = ":" if name.endswith(".csv") else ": "
    assert e.value.errors == [f"{path}{sep}{where.format(path=path)}"]
    assert snapshot(*data) == before


def test_cli_imports_label_studios_default_export_and_refuses_its_conflicts(data):
    """`govtag import` of the default export crashed (AttributeError: 'int' object has no attribute 'get')."""
    args = ["--data", str(data[0]), "--splits", str(data[1])]
    result = CliRunner().invoke(app, ["import", str(LS / "conflict_json_export.json"), *args])
    assert result.exit_code == 2 and "task #1 (id 1): " in result.output and "nothing was imported" in result.output
    assert not (data[0] / IMPORTED).exists()
    result = CliRunner().invoke(app, ["import", str(LS / "json_export.json"), *args, "--annotator", "王敏"])
    assert result.exit_code == 0 and "4 units imported" in result.output, result.output
    assert {u["provenance"]["annotator"] for u in imported_units(data[0])} == {"王敏"}
