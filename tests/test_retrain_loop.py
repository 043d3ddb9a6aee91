"""One full correction round with the tiny model, through the CLI, as the README walks through it:
train → tag → review → correct the CSV → import → retrain → compare → promote or refuse → roll back."""

import csv
import json

import yaml
from typer.testing import CliRunner

from govtag.cli import app
from govtag.inference.review import CSV_FILE
from govtag.labels.imports import IMPORTED
from govtag.training.registry import ENV, load_registry
from tests.conftest import REPO

EXAMPLES = REPO / "examples"
NEW_DOC = "002_ba0235b38cfe95e8"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_one_correction_round(tmp_path, monkeypatch, seed_units):
    models, data = tmp_path / "models", tmp_path / "data"
    monkeypatch.setenv(ENV, str(models))
    data.mkdir()
    # The labeled data before the round: the seed reports but one, which arrives as a new report.
    (data / "seeds.jsonl").write_text(
        "".join(json.dumps(u, ensure_ascii=False) + "\n" for u in seed_units if u["doc_id"] != NEW_DOC),
        encoding="utf-8",
    )
    splits = yaml.safe_load((REPO / "tests" / "fixtures" / "seed_splits.yaml").read_text(encoding="utf-8"))
    splits["train"].remove(NEW_DOC)
    (tmp_path / "splits.yaml").write_text(yaml.safe_dump(splits), encoding="utf-8")
    config = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text(encoding="utf-8"))
    config["data"] = {"dir": str(data), "splits": str(tmp_path / "splits.yaml")}
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")

    result = run("train", "-c", tmp_path / "tiny.yaml", "-o", models / "v1")
    assert result.exit_code == 0, result.output
    assert load_registry()["default"] == "v1"

    tagged = tmp_path / "tagged"
    result = run(
        "tag",
        EXAMPLES / "000_4b54a07587a75276.txt",
        EXAMPLES / f"{NEW_DOC}.txt",
        "-o",
        tagged,
        "--format",
        "jsonl",
        "--probs",
    )
    assert result.exit_code == 0, result.output

    result = run("review", tagged, "-o", tmp_path / "tasks", "--n", 40)
    assert result.exit_code == 0 and "40 of" in result.output and "from 2 documents" in result.output

    # The annotator labels all but the last two units in the spreadsheet (here: with the seed gold labels);
    # the model's guesses sit in the model_* columns and the two untouched rows are not imported.
    gold = {(u["doc_id"], u["seq"]): u for u in seed_units}
    with (tmp_path / "tasks" / CSV_FILE).open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert all(r["model_type"] and not r["domain"] and not r["type"] for r in rows)
    for r in rows[:-2]:
        g = gold[(r["doc_id"], int(r["seq"]))]
        assert r["text"] == g["text"]
        r.update(domain=g["domain"], type=g["type"], annotator="reviewer-1")
    with (tmp_path / "corrected.csv").open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    result = run("import", tmp_path / "corrected.csv", "--data", data, "--splits", tmp_path / "splits.yaml")
    assert result.exit_code == 0 and "38 units imported" in result.output, result.output
    assert "2 unannotated tasks skipped" in result.output
    assert "1 new document(s)" in result.output
    assert NEW_DOC in (tmp_path / "splits.yaml").read_text(encoding="utf-8")
    (imported,) = (data / IMPORTED).glob("*.jsonl")
    corrections = [json.loads(line) for line in imported.read_text(encoding="utf-8").splitlines()]
    assert {(c["doc_id"], c["seq"]) for c in corrections} == {(r["doc_id"], int(r["seq"])) for r in rows[:-2]}
    assert {c["previous"]["source"] for c in corrections} == {"seed", "model"}

    # The next round neither overwrites the filled spreadsheet nor asks again for the units just corrected.
    result = run("review", tagged, "-o", tmp_path / "tasks", "-c", tmp_path / "tiny.yaml")
    assert result.exit_code == 2 and "already exists" in result.output
    result = run("review", tagged, "-o", tmp_path / "tasks2", "-c", tmp_path / "tiny.yaml", "--n", 40)
    assert result.exit_code == 0 and "38 corrected in an earlier import left out" in result.output
    with (tmp_path / "tasks2" / CSV_FILE).open(encoding="utf-8-sig") as f:
        again = {(r["doc_id"], r["seq"]) for r in csv.DictReader(f)}
    assert not again & {(r["doc_id"], r["seq"]) for r in rows[:-2]}

    result = run("train", "-c", tmp_path / "tiny.yaml", "-o", models / "v2")
    assert result.exit_code == 0, result.output
    registry = load_registry()
    assert registry["models"]["v2"]["parent"] == "v1"
    assert registry["models"]["v2"]["data_hash"] != registry["models"]["v1"]["data_hash"]

    report = tmp_path / "compare.json"
    result = run(
        "compare", "v1", "v2", "--data", data, "--splits", tmp_path / "splits.yaml", "--promote", "--report", report
    )
    comparison = json.loads(report.read_text(encoding="utf-8"))
    assert "rule: promote NEW unless" in " ".join(result.output.split())
    test_doc = [u for u in seed_units if u["doc_id"] == "004_493d2021802c45e4"]
    assert comparison["n"] == len(test_doc)  # the fixed test split; the new report went to dev by its hash
    if comparison["promote"]:
        assert result.exit_code == 0 and load_registry()["default"] == "v2"
        assert run("models", "rollback").exit_code == 0
    else:
        assert result.exit_code == 1 and "left untouched" in result.output
    assert load_registry()["default"] == "v1"
    listing = run("models").output
    assert "v1" in listing and "parent=v1" in listing
