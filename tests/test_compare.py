import json
import shutil

import numpy as np
import pytest
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from govtag.cli import app
from govtag.inference.tagger import Tagger
from govtag.labels.schema import TASKS, load_schema
from govtag.training.compare import changed_units, decide
from govtag.training.metrics import paired_bootstrap, task_metrics
from govtag.training.registry import ENV, load_registry, register_bundle, set_default

SCHEMA = load_schema()
SIZES = {t: len(SCHEMA.labels(t)) for t in TASKS}


def both(x):
    return {t: np.asarray(x) for t in TASKS}


def test_point_estimates_match_the_evaluation_metrics():
    rng = np.random.default_rng(1)
    gold, pred = rng.integers(0, 3, 200), rng.integers(0, 4, 200)  # class 3 only ever predicted
    m = paired_bootstrap(both(gold), both(gold), both(pred), SIZES, resamples=200)
    labels = SCHEMA.type
    expected = task_metrics([labels[i] for i in gold], [labels[i] for i in pred], labels)
    assert m["type_accuracy"]["new"] == pytest.approx(expected["accuracy"], abs=1e-4)
    assert m["type_macro_f1"]["new"] == pytest.approx(expected["macro_f1"], abs=1e-4)
    assert m["type_macro_f1"]["old"] == 1.0


def test_identical_models_differ_by_nothing_and_are_promoted():
    gold = np.arange(100) % 4
    m = paired_bootstrap(both(gold), both(gold // 2), both(gold // 2), SIZES)
    assert m["mean_macro_f1"]["delta"] == 0 and m["mean_macro_f1"]["ci"] == [0, 0]
    assert decide(m)[0]


def test_worse_beyond_noise_is_refused_and_within_noise_is_promoted():
    gold = np.arange(200) % 4
    worse = gold.copy()
    worse[:60] = (worse[:60] + 1) % 4
    m = paired_bootstrap(both(gold), both(gold), both(worse), SIZES)
    promote, reason = decide(m)
    assert not promote and m["mean_macro_f1"]["ci"][1] < 0 and "below 0" in reason
    slightly = gold.copy()
    slightly[:2] = (slightly[:2] + 1) % 4
    m = paired_bootstrap(both(gold), both(gold), both(slightly), SIZES)
    assert m["mean_macro_f1"]["delta"] < 0 <= m["mean_macro_f1"]["ci"][1] and decide(m)[0]
    better = paired_bootstrap(both(gold), both(worse), both(gold), SIZES)
    promote, reason = decide(better)
    assert better["mean_macro_f1"]["ci"][0] > 0 and promote and "whole interval is above 0" in reason
    assert "unreliable" in decide(better, documents=1)[1] and "unreliable" not in reason


def test_the_bootstrap_is_paired_and_reproducible():
    rng = np.random.default_rng(2)
    gold = rng.integers(0, 4, 300)
    old = np.where(rng.random(300) < 0.7, gold, rng.integers(0, 4, 300))
    new = np.where(rng.random(300) < 0.75, gold, rng.integers(0, 4, 300))
    a, b = (paired_bootstrap(both(gold), both(old), both(new), SIZES, seed=5) for _ in range(2))
    assert a == b
    low, high = a["type_accuracy"]["ci"]
    assert low <= a["type_accuracy"]["delta"] <= high


def test_the_bootstrap_resamples_whole_documents():
    gold = np.arange(300) % 4
    new = gold.copy()
    new[:30] = (new[:30] + 1) % 4  # every unit of one report in ten broken
    docs = [f"report{i // 30}" for i in range(300)]
    by_unit = paired_bootstrap(both(gold), both(gold), both(new), SIZES)
    by_doc = paired_bootstrap(both(gold), both(gold), both(new), SIZES, docs=docs)
    assert by_doc["type_accuracy"]["delta"] == by_unit["type_accuracy"]["delta"] == -0.1
    # drawn without that report about a third of the time: the difference may be no difference at all
    assert by_doc["type_accuracy"]["ci"][1] == 0 and by_unit["type_accuracy"]["ci"][1] < -0.05
    assert decide(by_doc)[0] and not decide(by_unit)[0]


def test_changed_units_say_what_was_fixed_and_what_broke():
    units = [{"doc_id": "d", "seq": i, "text": str(i), "domain": "民生", "type": "plan"} for i in range(3)]
    d, t = SCHEMA.domain.index("民生"), SCHEMA.type.index("plan")
    old = {"domain": np.array([d, d, 0]), "type": np.array([t, 0, t])}
    new = {"domain": np.array([d, d, d]), "type": np.array([t, t, 0])}
    rows = changed_units(units, old, new, SCHEMA)
    assert [(r["seq"], r["effect"]) for r in rows] == [(1, "fixed"), (2, "changed")]
    assert rows[0]["old"]["type"] == SCHEMA.type[0] and rows[0]["new"]["type"] == "plan"


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "models"))
    return tmp_path / "models"


def sabotaged(model_dir, out, units):
    """A copy whose heads always answer the label the original predicts least: clearly worse."""
    shutil.copytree(model_dir, out)
    tagged = Tagger.load(model_dir).predict(units)
    weights = load_file(str(out / "model.safetensors"))
    for t in TASKS:
        rare = min(SCHEMA.labels(t), key=lambda label: sum(u[t] == label for u in tagged))
        weights[f"{t}_head.bias"][SCHEMA.labels(t).index(rare)] += 100.0
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
    return tagged


def test_cli_refuses_a_worse_model_and_promotes_an_equal_one(tiny_model, seed_units, registry, tmp_path):
    old = register_bundle(tiny_model)
    set_default(old)
    tagged = sabotaged(tiny_model, tmp_path / "broken", seed_units[::3])
    gold = tmp_path / "gold.jsonl"  # gold = OLD's own predictions, so OLD is perfect
    gold.write_text(
        "".join(
            json.dumps({k: u[k] for k in ("doc_id", "seq", "text", "heading", "domain", "type")}, ensure_ascii=False)
            + "\n"
            for u in tagged
        ),
        encoding="utf-8",
    )
    report = tmp_path / "compare.json"
    result = CliRunner().invoke(
        app,
        [
            "compare",
            old,
            str(tmp_path / "broken"),
            "--data",
            str(gold),
            "--promote",
            "--report",
            str(report),
            "--resamples",
            "200",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "refused" in result.output and "left untouched" in result.output
    assert load_registry()["default"] == old
    assert len(json.loads(report.read_text(encoding="utf-8"))["changed"]) > 0
    shutil.copytree(tiny_model, tmp_path / "same")
    result = CliRunner().invoke(app, ["compare", old, str(tmp_path / "same"), "--data", str(gold), "--promote"])
    assert result.exit_code == 0, result.output
    registry_now = load_registry()
    assert registry_now["default"] == "same" and registry_now["models"]["same"]["parent"] == old
    assert registry_now["models"]["same"]["compared"]["against"] == old
