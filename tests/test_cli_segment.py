import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govtag.cli import app
from govtag.labels.atomic import atomic_write

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "read"
runner = CliRunner()


def _units(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_segment_the_seed_reports(tmp_path):
    out = tmp_path / "units.jsonl"
    result = runner.invoke(app, ["segment", str(REPO / "examples"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    units = _units(out)
    assert len(units) == 434
    assert len({u["doc_id"] for u in units}) == 5
    assert set(units[0]) == {"doc_id", "seq", "text", "heading", "section", "title", "file"}
    for name, value in (("files read", 5), ("files failed", 0), ("units", 434), ("boilerplate lines dropped", 5)):
        assert any(name in line and f" {value} " in line for line in result.stdout.splitlines()), name
    assert "004_493d2021802c45e4.txt: 5 boilerplate line(s) dropped, first: ............试读结束" in result.stdout


def test_bad_inputs_are_reported_and_the_rest_processed(tmp_path):
    out = tmp_path / "units.jsonl"
    bad = sorted((FIXTURES / "bad").iterdir())
    result = runner.invoke(
        app, ["segment", *map(str, bad), str(FIXTURES / "utf8.txt"), str(tmp_path / "gone.txt"), "-o", str(out)]
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(bad) + 1
    for path in [*bad, tmp_path / "gone.txt"]:
        assert sum(line.startswith(f"error: {path}: ") for line in errors) == 1, path
    assert {u["doc_id"] for u in _units(out)} == {"utf8"}


def test_size_limit_and_unit_length_from_options(tmp_path):
    out = tmp_path / "units.jsonl"
    result = runner.invoke(app, ["segment", str(REPO / "examples"), "--max-file-mb", "0.013", "-o", str(out)])
    assert result.exit_code == 1
    assert "001_106a58ce61b0fd06.txt: file is 0.0169 MB, over the 0.013 MB limit (segment.max_file_mb)" in result.stderr
    result = runner.invoke(app, ["segment", str(REPO / "examples"), "--max-unit-chars", "60", "-o", str(out)])
    assert result.exit_code == 0
    units = _units(out)
    assert max(len(u["text"]) for u in units) <= 60 and any(u.get("split") for u in units)


def test_settings_come_from_the_config(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("segment:\n  max_file_mb: 0.001\n  max_unit_chars: 100\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "segment",
            str(FIXTURES / "utf8.txt"),
            str(REPO / "examples"),
            "--config",
            str(config),
            "-o",
            str(tmp_path / "u.jsonl"),
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.count("over the 0.001 MB limit") == 5
    assert _units(tmp_path / "u.jsonl")[0]["doc_id"] == "utf8"


def test_no_input_files_fails(tmp_path):
    (tmp_path / "empty_dir").mkdir()
    result = runner.invoke(app, ["segment", str(tmp_path / "empty_dir"), "-o", str(tmp_path / "u.jsonl")])
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'empty_dir'}: no reports in this directory" in result.stderr


def test_many_files_with_progress(tmp_path):
    for i in range(30):
        shutil.copy(FIXTURES / "gbk.txt", tmp_path / f"r{i:02d}.txt")
    out = tmp_path / "out" / "units.jsonl"
    result = runner.invoke(app, ["segment", str(tmp_path / "r*.txt"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len({u["doc_id"] for u in _units(out)}) == 30


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    path = tmp_path / "units.jsonl"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write("half")
            raise RuntimeError("killed")
    assert path.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [path]
    with atomic_write(path) as f:
        f.write("new\n")
    assert path.read_text() == "new\n"
    assert list(tmp_path.iterdir()) == [path]
    with atomic_write(tmp_path / "b.bin", "wb") as f:
        f.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
