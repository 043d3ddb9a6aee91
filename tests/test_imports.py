"""`govtag import` (labels/imports.py): corrections merged into the corpus with their provenance, and refused
with every problem named (tests/test_import_refusals.py), new documents given splits (tests/test_import_splits.py);
Label Studio's own exports: tests/test_label_studio_exports.py."""

import json

import pytest
from typer.testing import CliRunner

from govtag.cli import app
from govtag.inference.review import CSV_FILE, DOCCANO, LS_TASKS
from govtag.labels.corpus import load_labeled
from govtag.labels.imports import ImportFailed, merge
from tests.conftest import REPO, SEEDS
from tests.imports_support import (
    DOC,
    LS,
    SCHEMA,
    accept_model,
    imported_units,
    read_csv,
    read_doccano,
    snapshot,
    write_csv,
    write_jsonl,
)


def test_csv_corrections_are_merged_with_provenance_and_previous_label(data, tasks, tmp_path, seed_units):
    rows = read_csv(tasks / CSV_FILE)
    for r in rows:
        r.update(domain="民生", type="achievement", annotator="alice")
    rows[0]["note"] = " 标题像民生，正文是经济？ "
    result = merge([write_csv(tmp_path / "done.csv", rows)], *data, SCHEMA)
    assert result.units == 6 and result.new_units == 0 and not result.new_documents
    merged = imported_units(data[0])
    gold = {u["text"]: u for u in seed_units if u["doc_id"] == DOC}
    assert all(u["source"] == "imported" and u["domain"] == "民生" for u in merged)
    first = merged[0]
    assert first["previous"] == {
        "domain": gold[first["text"]]["domain"],
        "type": gold[first["text"]]["type"],
        "source": "seed",
    }
    assert first["provenance"]["annotator"] == "alice" and first["provenance"]["file"].endswith("done.csv")
    assert first["provenance"]["note"] == "标题像民生，正文是经济？" and "note" not in merged[1]["provenance"]
    assert first["seq"] == gold[first["text"]]["seq"]
    merged_data = load_labeled(data[0], SCHEMA)
    labeled = {(u["doc_id"], u["seq"]): u for u in merged_data}
    assert len(merged_data) == len(load_labeled(SEEDS, SCHEMA))
    assert labeled[(DOC, first["seq"])]["domain"] == "民生"


def choice(name, value):
    return {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}


def test_label_studio_annotations_that_agree_are_taken_with_the_latest_ones_provenance(data, tasks, tmp_path):
    exported = json.loads((tasks / LS_TASKS).read_text(encoding="utf-8"))
    exported[0]["annotations"] = [
        {
            "completed_by": {"email": "bob@example.org"},
            "updated_at": "2025-03-02T10:00:00Z",
            "result": [choice("domain", "党建"), choice("type", "achievement")],
        },
        {
            "completed_by": 7,
            "updated_at": "2025-03-01T10:00:00Z",
            "result": [choice("domain", "党建"), choice("type", "achievement")],
        },
        {"completed_by": 8, "updated_at": "2025-03-03T10:00:00Z", "was_cancelled": True, "result": []},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    result = merge([path], *data, SCHEMA)
    assert result.units == 1 and result.skipped == 5
    (u,) = imported_units(data[0])
    assert (u["domain"], u["type"]) == ("党建", "achievement")
    assert u["provenance"]["annotator"] == "bob@example.org" and u["provenance"]["time"] == "2025-03-02T10:00:00Z"


def test_label_studio_annotations_that_disagree_are_refused_like_two_rows(data, tasks, tmp_path):
    """One unit given two labels is refused everywhere (docs/retraining.md): by two rows of a file, and by two
    annotations of one Label Studio task, which the latest one used to win silently."""
    exported = json.loads((tasks / LS_TASKS).read_text(encoding="utf-8"))
    exported[0]["annotations"] = [
        {
            "id": 11,
            "completed_by": {"email": "bob@example.org"},
            "updated_at": "2025-03-02T10:00:00Z",
            "result": [choice("domain", "党建"), choice("type", "achievement")],
        },
        {
            "id": 12,
            "completed_by": 7,
            "updated_at": "2025-03-03T10:00:00Z",
            "result": [choice("domain", "安全"), choice("type", "plan")],
        },
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    before = snapshot(*data)
    with pytest.raises(ImportFailed) as e:
        merge([path], *data, SCHEMA)
    seq = exported[0]["data"]["seq"]
    assert e.value.errors == [
        f"{path}: task #1 (id 1): {DOC} seq {seq} is labelled 党建/achievement in annotation 11 by bob@example.org "
        "but 安全/plan in annotation 12 by Label Studio user 7; keep one: delete or correct the other annotation "
        "in Label Studio and export again"
    ]
    assert snapshot(*data) == before


def test_label_studio_json_min_rows_are_read(data, tasks, tmp_path):
    task = json.loads((tasks / LS_TASKS).read_text(encoding="utf-8"))[1]
    row = {
        **task["data"],
        "id": 2,
        "domain": "安全",
        "type": "problem",
        "annotator": "dan@example.org",
        "updated_at": "2025-04-01T08:00:00Z",
    }
    path = tmp_path / "min.json"
    path.write_text(json.dumps([row], ensure_ascii=False), encoding="utf-8")
    assert merge([path], *data, SCHEMA).units == 1
    (u,) = imported_units(data[0])
    assert (u["type"], u["provenance"]["annotator"]) == ("problem", "dan@example.org")


def test_doccano_export_and_reimport_replaces_the_earlier_correction(data, tasks, tmp_path):
    rows = read_doccano(tasks / DOCCANO)
    rows[0]["label"] = ["domain:环境", "type:problem"]
    rows[1]["label"] = ["domain:安全", "type:plan"]
    first = merge([write_jsonl(tmp_path / "first.jsonl", rows)], *data, SCHEMA, annotator="carol")
    assert (first.units, first.skipped) == (2, 4)
    rows[0]["label"] = ["domain:环境", "type:plan"]
    result = merge([write_jsonl(tmp_path / "second.jsonl", rows[:1])], *data, SCHEMA)
    assert result.replaced_imports == 1
    merged = imported_units(data[0])
    assert len(merged) == 2 and len({(u["doc_id"], u["seq"]) for u in merged}) == 2
    latest = next(u for u in merged if u["text"] == rows[0]["text"])
    assert latest["type"] == "plan" and latest["previous"]["type"] == "problem"
    assert latest["provenance"]["annotator"] == "unknown"
    assert {u["provenance"]["annotator"] for u in merged if u is not latest} == {"carol"}


def test_untouched_exports_import_nothing_and_edited_rows_only_are_taken(data, tasks, tmp_path):
    before = snapshot(*data)
    for path in (tasks / CSV_FILE, tasks / DOCCANO):
        result = merge([path], *data, SCHEMA)
        assert (result.units, result.skipped, result.path) == (0, 6, None)
    assert snapshot(*data) == before
    rows = read_csv(tasks / CSV_FILE)
    rows[1].update(domain="安全", type="problem")
    rows[4].update(domain=rows[4]["model_domain"], type=rows[4]["model_type"])  # confirmed by a human
    result = merge([write_csv(tmp_path / "two.csv", rows)], *data, SCHEMA)
    assert (result.units, result.skipped, result.changed) == (2, 4, 2)
    assert {u["seq"] for u in imported_units(data[0])} == {int(rows[1]["seq"]), int(rows[4]["seq"])}


def test_utf16_csv_bom_json_and_guideline_jsonl_are_read(data, tasks, tmp_path):
    rows = accept_model(read_csv(tasks / CSV_FILE))
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(write_csv(tmp_path / "plain.csv", rows).read_text(encoding="utf-8-sig").encode("utf-16"))
    assert merge([utf16], *data, SCHEMA).units == 6
    minimal = [{k: r[k] for k in ("doc_id", "seq", "text", "domain", "type")} for r in rows]
    bom = tmp_path / "min.json"
    bom.write_text(json.dumps(minimal, ensure_ascii=False), encoding="utf-8-sig")
    assert merge([bom], *data, SCHEMA).units == 6
    assert merge([write_jsonl(tmp_path / "mine.jsonl", minimal)], *data, SCHEMA).units == 6
    unlabelled = [{k: r[k] for k in ("doc_id", "seq", "text")} for r in rows]
    (tmp_path / "todo.json").write_text(json.dumps(unlabelled, ensure_ascii=False), encoding="utf-8")
    assert merge([tmp_path / "todo.json"], *data, SCHEMA).skipped == 6


def test_a_label_studio_user_id_gives_way_to_the_annotator_option(data, tasks, tmp_path):
    exported = json.loads((tasks / LS_TASKS).read_text(encoding="utf-8"))
    result = [
        {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}
        for name, value in (("domain", "安全"), ("type", "plan"))
    ]
    exported[0]["annotations"] = [{"completed_by": 7, "updated_at": "2025-03-01T10:00:00Z", "result": result}]
    exported[1]["annotations"] = [{"completed_by": 7, "updated_at": "2025-03-01T10:00:00Z", "result": result}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported[:1], ensure_ascii=False), encoding="utf-8")
    merge([path], *data, SCHEMA)
    assert imported_units(data[0])[0]["provenance"]["annotator"] == "Label Studio user 7"
    path.write_text(json.dumps(exported[:2], ensure_ascii=False), encoding="utf-8")
    merge([path], *data, SCHEMA, annotator="王敏")
    assert {u["provenance"]["annotator"] for u in imported_units(data[0])} == {"王敏"}


def ls_default_export(tasks: list[dict], chosen: dict[int, tuple[str, str]]) -> list[dict]:
    """Label Studio 1.23's default JSON export (the Export button) of govtag's label_studio.json after a person
    (user 1) chose `chosen[seq]` for some units: only annotated tasks, predictions as ids, each annotation with
    the prediction it was made over; keys and order as in tests/fixtures/labelstudio/json_export.json."""
    out, at = [], "2026-01-05T09:00:00.000000Z"
    for task_id, task in enumerate(tasks, 1):
        if task["data"]["seq"] not in chosen:
            continue
        prediction = {
            "id": task_id,
            "result": task["predictions"][0]["result"],
            "model_version": task["predictions"][0]["model_version"],
            "created_ago": "0 minutes",
            "score": task["predictions"][0]["score"],
            "cluster": None,
            "neighbors": None,
            "mislabeling": 0.0,
            "created_at": at,
            "updated_at": at,
            "model": None,
            "model_run": None,
            "task": task_id,
            "project": 1,
        }
        domain, type_ = chosen[task["data"]["seq"]]
        annotation = {
            "id": task_id,
            "completed_by": 1,
            "result": [choice("domain", domain), choice("type", type_)],
            "was_cancelled": False,
            "ground_truth": False,
            "created_at": at,
            "updated_at": at,
            "draft_created_at": None,
            "lead_time": 9.5,
            "prediction": prediction,
            "result_count": 1,
            "unique_id": f"00000000-0000-4000-8000-{task_id:012d}",
            "import_id": None,
            "last_action": None,
            "bulk_created": False,
            "task": task_id,
            "project": 1,
            "updated_by": 1,
            "parent_prediction": None,
            "parent_annotation": None,
            "last_created_by": None,
        }
        out.append(
            {
                "id": task_id,
                "annotations": [annotation],
                "file_upload": "8e149ab6-label_studio.json",
                "drafts": [],
                "predictions": [task_id],
                "data": task["data"],
                "meta": {},
                "created_at": at,
                "updated_at": at,
                "allow_skip": True,
                "inner_id": task_id,
                "total_annotations": 1,
                "cancelled_annotations": 0,
                "total_predictions": 1,
                "comment_count": 0,
                "unresolved_comment_count": 0,
                "last_comment_updated_at": None,
                "project": 1,
                "updated_by": 1,
                "comment_authors": [],
            }
        )
    return out


def shape(value):
    """The keys of a JSON value, all the way down (lists by their first item)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k != "data"}
    return [shape(value[0])] if isinstance(value, list) and value else type(value).__name__


def test_review_label_studio_round_trip_gives_back_the_labels_a_person_chose(
    tiny_model, data, tmp_path, monkeypatch, seed_units
):
    """govtag tag → govtag review → Label Studio (a person picks labels) → default JSON export → govtag import."""
    monkeypatch.setenv("GOVTAG_MODELS_DIR", str(tmp_path / "models"))  # no registry: named by its directory
    report = REPO / "examples" / f"{DOC}.txt"
    run = lambda *args: CliRunner().invoke(app, [str(a) for a in args])
    result = run(
        "tag", report, "-o", tmp_path / "tagged", "--model", tiny_model, "--format", "jsonl", "--backend", "torch"
    )
    assert result.exit_code == 0, result.output
    config = tmp_path / "config.yaml"  # review leaves out units corrected in DATA/imported: the test's copy
    config.write_text(json.dumps({"data": {"dir": str(data[0]), "splits": str(data[1])}}), encoding="utf-8")
    result = run("review", tmp_path / "tagged", "-o", tmp_path / "tasks", "--n", 12, "-c", config)
    assert result.exit_code == 0, result.output
    tasks = json.loads((tmp_path / "tasks" / LS_TASKS).read_text(encoding="utf-8"))
    assert tasks[0]["predictions"][0]["model_version"].startswith("tiny@")
    cells = [(d, t) for d in SCHEMA.domain for t in SCHEMA.type if t != "other" or d == SCHEMA.other_domain]
    chosen = {}
    for k, task in enumerate(tasks[:10]):  # two tasks left unlabelled; never the model's own choice
        model = tuple(task["predictions"][0]["result"][i]["value"]["choices"][0] for i in (0, 1))
        chosen[task["data"]["seq"]] = next(c for c in cells[3 * k :] + cells if c != model)
    export = ls_default_export(tasks, chosen)
    fixture = json.loads((LS / "json_export.json").read_text(encoding="utf-8"))
    assert shape(export[0]) == shape(fixture[0])  # Label Studio 1.23's shape, key for key
    path = tmp_path / "project-1-at-2026-01-05.json"
    path.write_text(json.dumps(export, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    result = merge([path], *data, SCHEMA)
    assert (result.units, result.skipped, result.new_units) == (10, 0, 0)
    imported = {u["seq"]: (u["domain"], u["type"]) for u in imported_units(data[0])}
    assert imported == chosen
    texts = {u["seq"]: u["text"] for u in seed_units if u["doc_id"] == DOC}
    assert all(texts[t["data"]["seq"]] == t["data"]["text"] for t in tasks)
