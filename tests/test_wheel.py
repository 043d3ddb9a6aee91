"""The wheel built from this repository, installed into a fresh virtual environment outside the checkout: the
CLI and the Python API run there, with models and the registry in the user's locations (not site-packages).
Marked `wheel`: `make test` runs it after the fast suite (about a minute)."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.wheel


def run(args, cwd, env, ok=True):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if ok:
        assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv with the wheel installed; its other dependencies come from this environment's site-packages
    (a .pth file: no network, and the test does not download gigabytes of torch)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a copy of the tracked files: the build writes nothing into the checkout
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO, capture_output=True
    )
    if listed.returncode == 0:
        for name in listed.stdout.decode().split("\0"):
            if name and (REPO / name).is_file():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, source / name)
    else:  # not a git checkout (an unpacked source archive)
        shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "models", "outputs", "build"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVTAG_", "PYTHON"))}
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(root / "dist"),
        ],
        root,
        env,
    )
    wheel = next((root / "dist").glob("govtag-*.whl"))
    venv.create(root / "venv", with_pip=False)
    site = next((root / "venv" / "lib").glob("python*/site-packages"))
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    python = root / "venv" / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)], root, env)
    work = root / "work"  # the user's directory, nowhere near the checkout
    work.mkdir()
    env.update(
        HOME=str(root / "home"),
        XDG_DATA_HOME=str(root / "home" / "data"),
        XDG_CACHE_HOME=str(root / "home" / "cache"),
        PATH=f"{root / 'venv' / 'bin'}:{env['PATH']}",
    )
    return {
        "root": root,
        "site": site,
        "python": python,
        "govtag": root / "venv" / "bin" / "govtag",
        "work": work,
        "env": env,
    }


def test_the_wheel_holds_the_package_data_and_no_generic_top_level_packages(installed):
    site = installed["site"]
    assert (site / "govtag" / "configs" / "default.yaml").exists()
    assert (site / "govtag" / "labels" / "schema.yaml").exists()
    assert (site / "govtag" / "labels" / "data" / "seeds.jsonl").exists()
    assert not any((site / name).exists() for name in ("training", "inference", "labels", "configs"))
    where = run(
        [installed["python"], "-c", "import govtag.cli, govtag.api; print(govtag.api.__file__)"],
        installed["work"],
        installed["env"],
    ).stdout.strip()
    assert Path(where).is_relative_to(site)


def test_train_evaluate_tag_and_the_python_api_run_outside_the_checkout(installed):
    work, env, govtag = installed["work"], installed["env"], str(installed["govtag"])
    shutil.copy(REPO / "configs" / "tiny.yaml", work / "tiny.yaml")
    shutil.copy(REPO / "labels" / "data" / "seeds.jsonl", work / "seeds.jsonl")
    shutil.copy(REPO / "tests" / "fixtures" / "seed_splits.yaml", work / "splits.yaml")
    (work / "reports").mkdir()
    (work / "reports" / "report.txt").write_text(
        "2023年工作总结\n一、经济发展\n全年地区生产总值增长6%。\n二、民生保障\n新建学校3所。\n", encoding="utf-8"
    )

    models = Path(env["XDG_DATA_HOME"]) / "govtag" / "models"  # the user's data directory
    run(
        [
            govtag,
            "train",
            "-c",
            "tiny.yaml",
            "--data",
            "seeds.jsonl",
            "--splits",
            "splits.yaml",
            "-o",
            str(models / "tiny"),
        ],
        work,
        env,
    )
    assert "tiny" in json.loads((models / "registry.json").read_text(encoding="utf-8"))["models"]
    assert "tiny" in run([govtag, "models"], work, env).stdout
    assert not (installed["site"] / "govtag" / "models").exists()

    result = run([govtag, "evaluate", "-m", "tiny", "--data", "seeds.jsonl", "--json", "--no-baseline"], work, env)
    metrics = json.loads(result.stdout)
    assert 0 <= metrics["domain"]["macro_f1"] <= 1

    run([govtag, "tag", "reports", "-m", "tiny", "-o", "out", "--format", "jsonl"], work, env)
    units = [json.loads(line) for line in (work / "out" / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [u["text"] for u in units][-1] == "新建学校3所。"

    api = (
        "import govtag, json; t = govtag.load('tiny'); rows = t.tag_files(['reports']); "
        "print(json.dumps([[r['text'], r['domain'], r['type']] for r in rows], ensure_ascii=False))"
    )
    rows = json.loads(run([installed["python"], "-c", api], work, env).stdout)
    assert rows == [[u["text"], u["domain"], u["type"]] for u in units]

    # the corpus that ships with the package is read-only there; a copy takes corrections
    refused = run([govtag, "data", "split"], work, env, ok=False)
    assert refused.returncode == 2 and "read-only" in refused.stderr and "govtag data copy" in refused.stderr
    run([govtag, "data", "copy", "corpus"], work, env)
    run([govtag, "data", "stats", "--data", "corpus/data", "--splits", "corpus/splits.yaml"], work, env)
