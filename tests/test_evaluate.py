import json

from typer.testing import CliRunner

from govtag.cli import app
from tests.conftest import SEEDS


def test_evaluate_json_has_the_contract_fields(tiny_model):
    result = CliRunner().invoke(app, ["evaluate", "-m", str(tiny_model), "--data", str(SEEDS), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["n"] == 434
    for task, labels in (("domain", 6), ("type", 4)):
        assert {"accuracy", "macro_f1", "per_class", "ece"} <= set(out[task])
        assert len(out[task]["per_class"]) == labels
        assert 0 <= out[task]["macro_f1"] <= 1
        assert {"accuracy", "macro_f1"} <= set(out["baseline"][task])
        low, high = out[task]["macro_f1_ci"]
        assert low <= out[task]["macro_f1"] <= high
        lead = out["baseline"][task]["model_lead"]
        assert lead["delta"] == round(out[task]["macro_f1"] - out["baseline"][task]["macro_f1"], 4)
        assert lead["ci"][0] <= lead["delta"] <= lead["ci"][1]


def test_evaluate_report_has_plots_bad_cases_and_documents(tiny_model, tmp_path):
    report = tmp_path / "report"
    result = CliRunner().invoke(app, ["evaluate", "-m", str(tiny_model), "--data", str(SEEDS), "--report", str(report)])
    assert result.exit_code == 0, result.output
    for name in (
        "report.md",
        "metrics.json",
        "bad_cases.jsonl",
        "per_document.csv",
        "confusion_domain.png",
        "confusion_type.png",
        "reliability_domain.png",
        "reliability_type.png",
    ):
        assert (report / name).stat().st_size > 0, name
    text = (report / "report.md").read_text(encoding="utf-8")
    assert "baseline macro-F1" in text and "lead over baseline (95% CI)" in text and "gold \\ pred" in text
    cases = [json.loads(line) for line in (report / "bad_cases.jsonl").read_text(encoding="utf-8").splitlines()]
    assert cases and all(c["gold"] != c["pred"] for c in cases)
    assert [c["score"] for c in cases] == sorted((c["score"] for c in cases), reverse=True)
    assert len((report / "per_document.csv").read_text(encoding="utf-8-sig").splitlines()) == 1 + 5


def test_evaluate_names_the_bad_file_and_line(tiny_model, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"doc_id": "d", "seq": 0, "text": "好", "domain": "经济", "type": "achievement"}\n'
        '{"doc_id": "d", "seq": 1, "text": "坏", "domain": "交通", "type": "plan"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["evaluate", "-m", str(tiny_model), "--data", str(bad)])
    assert result.exit_code == 2
    assert "bad.jsonl:2" in result.output and "交通" in result.output
    missing = CliRunner().invoke(app, ["evaluate", "-m", str(tmp_path / "nomodel"), "--data", str(SEEDS)])
    assert missing.exit_code == 2 and "model directory not found" in missing.output


def test_evaluate_on_a_split_of_the_models_own_data(tiny_model, seed_units):
    result = CliRunner().invoke(app, ["evaluate", "-m", str(tiny_model), "--split", "test", "--json", "--no-baseline"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["n"] == sum(u["doc_id"] == "004_493d2021802c45e4" for u in seed_units)
    both = CliRunner().invoke(app, ["evaluate", "-m", str(tiny_model), "--split", "test", "--data", str(SEEDS)])
    assert both.exit_code == 2 and "either --data" in both.output


def test_a_blended_model_is_compared_with_its_own_tfidf_part(tiny_separate_model):
    from govtag.inference.model_inputs import contextualize
    from govtag.inference.tagger import Tagger
    from govtag.labels.corpus import read_units

    units = contextualize(read_units(SEEDS))  # as evaluate reads them
    result = CliRunner().invoke(app, ["evaluate", "-m", str(tiny_separate_model), "--data", str(SEEDS), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    tfidf = Tagger.load(tiny_separate_model).tfidf
    assert out["tfidf_weights"] == tfidf.weights
    predicted = tfidf.predict(units)
    for task in ("domain", "type"):
        accuracy = sum(p == u[task] for p, u in zip(predicted[task], units)) / len(units)
        assert abs(out["baseline"][task]["accuracy"] - accuracy) < 1e-4
    text = CliRunner().invoke(app, ["evaluate", "-m", str(tiny_separate_model), "--data", str(SEEDS)]).output
    assert "blends that baseline into its scores" in text and "what the encoder adds" in text


def test_scores_by_genre_and_by_heading_path(tiny_model, tmp_path, seed_units):
    genres = tmp_path / "genres.yaml"
    genres.write_text("004_493d2021802c45e4: 范文页面\n002_ba0235b38cfe95e8: 网页摘录\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["evaluate", "-m", str(tiny_model), "--data", str(SEEDS), "--json", "--genres", str(genres)]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {g: m["documents"] for g, m in out["by_genre"].items()} == {
        "工作总结": 2,
        "工作报告": 1,
        "网页摘录": 1,
        "范文页面": 1,
    }
    paths = out["by_heading_path"]
    assert set(paths) == {"with heading path", "without heading path"}
    assert sum(m["n"] for m in paths.values()) == sum(m["n"] for m in out["by_genre"].values()) == 434
    for m in [*paths.values(), *out["by_genre"].values()]:
        for task in ("domain", "type"):
            low, high = m[task]["macro_f1_ci"]
            assert 0 <= low <= m[task]["macro_f1"] <= high <= 1
    table = CliRunner().invoke(app, ["evaluate", "-m", str(tiny_model), "--data", str(SEEDS), "--no-baseline"]).output
    assert "by genre" in table and "by heading path" in table and "工作报告" in table
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a list\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["evaluate", "-m", str(tiny_model), "--data", str(SEEDS), "--genres", str(bad)])
    assert refused.exit_code == 2 and "bad.yaml" in refused.output
