"""One run at a time per output directory (inference/run_lock.py) and what a killed run leaves behind."""

import json
import os
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from govtag.cli import app
from govtag.inference.pipeline import PARTS, tag_paths
from govtag.inference.run_lock import LOCK, OutputInUse, output_lock
from govtag.inference.tagger import Tagger
from tests.conftest import REPO

EXAMPLES = sorted((REPO / "examples").glob("*.txt"))


def test_a_second_lock_on_the_same_directory_is_refused_naming_the_owner(tmp_path):
    with output_lock(tmp_path) as stale:
        assert stale is None
        owner = json.loads((tmp_path / LOCK).read_text(encoding="utf-8"))
        assert owner["pid"] == os.getpid()
        with pytest.raises(OutputInUse, match=rf"in use by another govtag run \(pid {os.getpid()} "):
            with output_lock(tmp_path):
                pass
    assert not (tmp_path / LOCK).exists()


def test_the_lock_of_a_dead_process_is_taken_over_and_said(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK).write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename}), encoding="utf-8")
    with output_lock(tmp_path) as stale:
        assert stale["pid"] == dead.pid
    assert not (tmp_path / LOCK).exists()


def test_a_run_into_a_directory_in_use_is_refused_at_once_and_loses_nothing(tiny_model, tmp_path):
    out = tmp_path / "out"
    first = subprocess.Popen(  # holds the lock as a running `govtag tag` does, for a few seconds
        [
            sys.executable,
            "-c",
            "import sys, time; from govtag.inference.run_lock import output_lock\n"
            f"with output_lock({str(out)!r}):\n    print('locked', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout.readline().strip() == "locked"
        (out / PARTS).mkdir()
        (out / PARTS / "keep.jsonl").write_text("{}\n", encoding="utf-8")
        start = time.perf_counter()
        result = CliRunner().invoke(app, ["tag", str(EXAMPLES[0]), "-m", str(tiny_model), "-o", str(out)])
        assert time.perf_counter() - start < 20
        assert result.exit_code == 2, result.output
        assert f"pid {first.pid}" in result.output and "in use by another govtag run" in result.output
        assert "Traceback" not in result.output
        assert (out / PARTS / "keep.jsonl").exists()  # the running run's parts are untouched
    finally:
        first.kill()
        first.wait()
    result = CliRunner().invoke(app, ["tag", str(EXAMPLES[0]), "-m", str(tiny_model), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "took over the lock of an earlier run" in result.output
    assert not (out / LOCK).exists()


def test_temporaries_of_a_run_killed_while_writing_are_removed_by_the_next(tiny_model, tmp_path):
    out = tmp_path / "out"
    (out / PARTS).mkdir(parents=True)
    left = [out / ".units.csv.k1x2y3.tmp", out / ".summary.csv.a8b9.tmp", out / PARTS / ".abc.jsonl.z1.tmp"]
    for path in left:
        path.write_text("half", encoding="utf-8")
    mine = out / ".notes.txt.tmp"  # not govtag's: kept
    mine.write_text("the user's", encoding="utf-8")
    tag_paths([EXAMPLES[0]], Tagger.load(tiny_model), out, formats=("csv",))
    assert not any(path.exists() for path in left)
    assert mine.read_text(encoding="utf-8") == "the user's"
    assert (out / "units.csv").exists()
