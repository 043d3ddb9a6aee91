import csv
import hashlib
import json
import xml.dom.minidom
from dataclasses import replace

import pytest

from govtag.inference.config import default_config
from govtag.inference.review import (
    CSV_COLUMNS,
    CSV_FILE,
    DOCCANO,
    DOCCANO_LABELS,
    LS_CONFIG,
    LS_TASKS,
    model_version,
    priority,
    read_tagged,
    section_cue,
    select,
    write_tasks,
)
from govtag.labels.schema import load_schema

SCHEMA = load_schema()
CUES = default_config().review.section_cues


def unit(doc, seq, score=0.9, type_="achievement", section="", heading=False, text=None):
    return {
        "doc_id": doc,
        "seq": seq,
        "text": text or f"{doc} 第{seq}句。",
        "heading": heading,
        "section": section,
        "domain": "民生",
        "type": type_,
        "domain_score": score,
        "type_score": score,
    }


@pytest.mark.parametrize(
    "section, heading, text, expected",
    [
        ("二、存在的问题 > (一)基层治理", False, "x", "problem"),
        ("一、工作完成情况 > (二)下一步打算", False, "x", "plan"),  # the nearest heading wins
        ("三、其他", False, "x", None),
        ("", True, "三、2025年工作思路", "plan"),  # a heading reads its own words
    ],
)
def test_section_cue_table(section, heading, text, expected):
    assert section_cue({"section": section, "heading": heading, "text": text}, CUES) == expected


def test_priority_rises_with_doubt_and_section_disagreement():
    cfg = default_config().review
    sure, unsure = priority(unit("a", 0, 0.95), SCHEMA, cfg)[0], priority(unit("a", 0, 0.4), SCHEMA, cfg)[0]
    assert unsure > sure
    agrees = unit("a", 0, 0.9, "problem", "二、存在的问题")
    disagrees = unit("a", 0, 0.9, "achievement", "二、存在的问题")
    score, reasons = priority(disagrees, SCHEMA, cfg)
    assert score == pytest.approx(priority(agrees, SCHEMA, cfg)[0] + 1.0)
    assert "section suggests problem" in reasons
    byline = unit("a", 9, 0.9, "other", "三、下一步工作打算")  # a date or signature after the last part
    assert "section suggests plan" not in priority(byline, SCHEMA, cfg)[1]


def test_full_probabilities_are_used_for_entropy():
    flat = {**unit("a", 0, 0.5), "type_probs": {"achievement": 0.5, "problem": 0.5, "plan": 0.0, "other": 0.0}}
    spread = {**unit("a", 0, 0.5), "type_probs": {"achievement": 0.5, "problem": 0.2, "plan": 0.2, "other": 0.1}}
    cfg = replace(default_config().review, low_confidence=0, section_disagreement=0)
    assert priority(spread, SCHEMA, cfg)[0] > priority(flat, SCHEMA, cfg)[0]


def test_selection_is_spread_over_documents():
    units = [unit("long", i, 0.2) for i in range(20)] + [unit("short", i, 0.6) for i in range(3)]
    picked = select(units, SCHEMA, default_config().review, n=4)
    assert [u["doc_id"] for u in picked] == ["long", "short", "long", "short"]
    assert len(select(units, SCHEMA, default_config().review, n=100)) == 23


def test_read_tagged_refuses_untagged_units(tmp_path):
    (tmp_path / "units.jsonl").write_text(json.dumps({"doc_id": "a", "seq": 0, "text": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not tagged"):
        read_tagged(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_tagged(tmp_path / "nowhere")


def test_exports_show_predictions_apart_from_the_human_labels(tmp_path):
    picked = select([unit("a", i, 0.5, section="二、存在的问题") for i in range(3)], SCHEMA, default_config().review)
    picked[0]["type_score"] = 0.3
    write_tasks(picked, tmp_path, SCHEMA, model="models/v1")
    tasks = json.loads((tmp_path / LS_TASKS).read_text(encoding="utf-8"))
    assert len(tasks) == 3 and tasks[0]["data"]["doc_id"] == "a" and "annotations" not in tasks[0]
    prediction = tasks[0]["predictions"][0]
    result = {r["from_name"]: r["value"]["choices"] for r in prediction["result"]}
    assert result == {"domain": ["民生"], "type": ["achievement"]}
    assert picked[0]["priority"] > 1 and prediction["score"] == 0.3  # a probability, not the review priority
    view = xml.dom.minidom.parse(str(tmp_path / LS_CONFIG))
    by_name = {
        c.getAttribute("name"): [x.getAttribute("value") for x in c.getElementsByTagName("Choice")]
        for c in view.getElementsByTagName("Choices")
    }
    assert by_name == {"domain": list(SCHEMA.domain), "type": list(SCHEMA.type)}
    rows = [json.loads(line) for line in (tmp_path / DOCCANO).read_text(encoding="utf-8").splitlines()]
    assert "label" not in rows[0] and (rows[0]["model_domain"], rows[0]["model_type"]) == ("民生", "achievement")
    labels = [x["text"] for x in json.loads((tmp_path / DOCCANO_LABELS).read_text(encoding="utf-8"))]
    assert len(labels) == len(SCHEMA.domain) + len(SCHEMA.type)
    with (tmp_path / CSV_FILE).open(encoding="utf-8-sig") as f:
        table = list(csv.DictReader(f))
    assert tuple(table[0]) == CSV_COLUMNS and table[0]["model_type"] == "achievement"
    assert table[0]["domain"] == table[0]["type"] == "" and table[0]["type_score"] == "0.3"
    assert "section suggests problem" in table[0]["reason"]


def test_model_version_is_the_registered_name_and_the_weights_hash(tmp_path):
    model = tmp_path / "models" / "2025-06"
    model.mkdir(parents=True)
    (model / "model.safetensors").write_bytes(b"weights")
    digest = hashlib.sha256(b"weights").hexdigest()[:12]
    assert model_version(model, "default") == f"default@{digest}"
    assert model_version(model) == f"2025-06@{digest}"  # not registered: the directory's name
    assert model_version(tmp_path / "gone", "v1") == "v1" and model_version(None) == "unknown"


def test_review_predictions_name_the_model_by_its_registry_name_not_its_path(tmp_path, monkeypatch):
    """A path says nothing after a promote; the registered name and the weights' hash do."""
    from typer.testing import CliRunner

    from govtag.cli import app
    from govtag.training.registry import ENV, save_registry

    monkeypatch.setenv(ENV, str(tmp_path / "models"))
    model = tmp_path / "elsewhere" / "run-17"
    model.mkdir(parents=True)
    weights = bytes(range(256)) * 4
    (model / "model.safetensors").write_bytes(weights)
    save_registry({"default": "v7", "history": [], "models": {"v7": {"path": str(model)}}})
    tagged = tmp_path / "tagged"
    (tagged / ".parts").mkdir(parents=True)
    (tagged / ".parts" / "manifest.json").write_text(json.dumps({"model": str(model)}), encoding="utf-8")
    units = [unit("a", i, 0.5) for i in range(3)]
    (tagged / "units.jsonl").write_text("".join(json.dumps(u, ensure_ascii=False) + "\n" for u in units), "utf-8")
    for source, out in ((tagged, "tasks"), (tagged / "units.jsonl", "tasks2")):
        result = CliRunner().invoke(app, ["review", str(source), "-o", str(tmp_path / out)])
        assert result.exit_code == 0, result.output
        tasks = json.loads((tmp_path / out / LS_TASKS).read_text(encoding="utf-8"))
        expected = f"v7@{hashlib.sha256(weights).hexdigest()[:12]}"
        assert {p["model_version"] for t in tasks for p in t["predictions"]} == {expected}
