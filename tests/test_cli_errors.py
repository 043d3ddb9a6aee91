"""Bad input to any command is one `error: ...` line naming the file and the problem, exit code 2."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from govtag.cli import app
from tests.conftest import REPO

REPORT = str(REPO / "examples" / "001_106a58ce61b0fd06.txt")
runner = CliRunner()


def error_line(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


CONFIGS = {
    "epochs.yaml": ("train:\n  epochs: one\n", "train.epochs: expected float, got 'one'"),
    "size.yaml": ("segment:\n  max_file_mb: big\n", "segment.max_file_mb: expected float, got 'big'"),
    "typo.yaml": ("train:\n  batch_szie: 3\n", "train.batch_szie: unknown key (did you mean batch_size?)"),
    "zero.yaml": ("review:\n  n: 0\n", "review.n: must be at least 1, got 0"),
    "broken.yaml": ("train: [\n", "not valid YAML: expected the node content, but found '<stream end>' at line 2"),
}
COMMANDS = {
    "train": ["train", "-o", "{tmp}/m"],
    "segment": ["segment", REPORT, "-o", "{tmp}/u.jsonl"],
    "review": ["review", "{tmp}", "-o", "{tmp}/r"],
    "compare": ["compare", "a", "b"],
    "import": ["import", "x.json"],
    "data stats": ["data", "stats"],
    "data split": ["data", "split"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", [*CONFIGS, "nonexistent.yaml"])
def test_bad_config_files(command, name, tmp_path):
    config = tmp_path / name
    if name in CONFIGS:
        config.write_text(CONFIGS[name][0], encoding="utf-8")
    message = CONFIGS[name][1] if name in CONFIGS else "config file not found"
    args = [a.replace("{tmp}", str(tmp_path)) for a in COMMANDS[command]]
    assert error_line([*args, "-c", str(config)]).startswith(f"error: {config}: {message}")


def test_tag_options_are_checked_before_loading_the_model(tmp_path):
    assert (
        error_line(["tag", REPORT, "-o", str(tmp_path), "--backend", "tensorrt"])
        == "error: --backend must be torch or onnx, not 'tensorrt'"
    )
    file = tmp_path / "out.txt"
    file.write_text("x", encoding="utf-8")
    assert error_line(["tag", REPORT, "-o", str(file)]).startswith(
        f"error: {file}: is a file; -o/--output must be a directory"
    )
    for bad in ("0", "-3"):
        result = runner.invoke(app, ["tag", REPORT, "-o", str(tmp_path), "--batch-size", bad])
        assert result.exit_code == 2 and "--batch-size" in result.output


def test_output_that_cannot_be_created(tiny_model, tmp_path):
    file = tmp_path / "out.txt"
    file.write_text("x", encoding="utf-8")
    assert (
        error_line(["tag", REPORT, "-m", str(tiny_model), "-o", str(file / "sub")])
        == f"error: {file / 'sub'}: cannot create this output directory: Not a directory"
    )
    assert (
        error_line(["segment", REPORT, "-o", str(file / "units.jsonl")])
        == f"error: {file}: cannot create this output directory: File exists"
    )


def test_damaged_model_directory(tiny_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    (model / "model.safetensors").write_bytes((tiny_model / "model.safetensors").read_bytes()[:5000])
    args = ["tag", REPORT, "-m", str(model), "-o", str(tmp_path / "out")]
    assert error_line(args).startswith(f"error: {model / 'model.safetensors'}: cannot read the weights")
    (model / "calibration.json").unlink()
    assert error_line(args) == f"error: {model}: not a govtag model directory, missing calibration.json"


def test_data_stats_on_a_missing_or_empty_directory(tmp_path):
    assert (
        error_line(["data", "stats", "--data", str(tmp_path / "gone")])
        == f"error: {tmp_path / 'gone'}: labeled data directory not found"
    )
    assert (
        error_line(["data", "stats", "--data", str(tmp_path)]) == f"error: {tmp_path}: no labeled *.jsonl files found"
    )


def test_tag_without_a_trained_default_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVTAG_MODELS_DIR", str(tmp_path / "models"))
    assert error_line(["tag", REPORT, "-o", str(tmp_path / "out")]) == (
        f"error: no model at {tmp_path / 'models' / 'default'}: train the default with `make run` "
        "(or `govtag train -o models/default`), or pass --model DIR"
    )


def test_segment_output_must_be_a_file(tmp_path):
    assert (
        error_line(["segment", REPORT, "-o", str(tmp_path)])
        == f"error: {tmp_path}: is a directory; -o/--output is the units JSONL file to write"
    )


def test_review_compare_and_evaluate_arguments(tiny_model, tmp_path, seed_units):
    file = tmp_path / "review.csv"
    file.write_text("x", encoding="utf-8")
    assert (
        error_line(["review", str(tmp_path), "-o", str(file)])
        == f"error: {file}: is a file; -o names the directory for the review tasks"
    )
    assert (
        error_line(["compare", "a", "b", "--split", "bogus"])
        == "error: --split must be train, dev or test, not 'bogus'"
    )
    assert error_line(["evaluate", "--model", str(tmp_path / "nosuch"), "--split", "test"]).startswith(
        f"error: {tmp_path / 'nosuch'}: model directory not found and not a registered name"
    )
    tagged = tmp_path / "units.jsonl"  # `govtag tag` output: the model's labels beside their scores
    tagged.write_text(
        "".join(
            json.dumps({**u, "domain_score": 0.9, "type_score": 0.9}, ensure_ascii=False) + "\n" for u in seed_units[:3]
        ),
        encoding="utf-8",
    )
    assert (
        error_line(["evaluate", "--model", str(tiny_model), "--data", str(tagged)])
        == f"error: {tagged}:1: `govtag tag` output: its domain and type are the model's predictions, not gold labels"
    )


def test_tag_and_segment_report_a_symbolic_link_loop_and_write_the_other_files(tiny_model, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(REPORT, folder / "ok.txt")
    (folder / "a.txt").symlink_to(folder / "b.txt")
    (folder / "b.txt").symlink_to(folder / "a.txt")
    result = runner.invoke(app, ["tag", str(folder), "-m", str(tiny_model), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "symbolic link loop" in result.output
    errors = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {e["error"] for e in errors} == {"symbolic link loop: the link leads back to itself"}
    units = (tmp_path / "out" / "units.jsonl").read_text(encoding="utf-8").splitlines()
    assert units and {json.loads(line)["doc_id"] for line in units} == {"ok"}
    segmented = runner.invoke(app, ["segment", str(folder), "-o", str(tmp_path / "u.jsonl")])
    assert segmented.exit_code == 1 and "symbolic link loop" in segmented.output
    assert "broken symbolic link" not in segmented.output
