import copy
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from govtag.inference.config import Config
from govtag.inference.tagger import Tagger
from govtag.training.distributed import threads_per_process, torchrun
from govtag.training.train import train
from tests.conftest import REPO

KILLED_AFTER_FIRST_EPOCH = """
import sys

from transformers import TrainerCallback

from govtag.inference.config import load_config
from govtag.training.train import train


class Kill(TrainerCallback):
    def on_epoch_begin(self, args, state, control, **kwargs):
        if state.epoch and state.epoch >= 1:
            raise SystemExit(3)


train(load_config(sys.argv[1]), sys.argv[2], callbacks=[Kill()])
"""


def test_threads_are_shared_out_between_the_processes_of_a_machine(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert threads_per_process(0) == 4 and threads_per_process(3) == 3
    monkeypatch.delenv("LOCAL_WORLD_SIZE")
    assert threads_per_process(0) == 8


def test_torchrun_uses_this_interpreter():
    cmd = torchrun(2)
    assert cmd[:3] == [sys.executable, "-m", "torch.distributed.run"] and cmd[-1] == "--nproc_per_node=2"


@pytest.fixture
def ddp_config(tiny_config):
    """No dropout, no class weights, random sampling: two processes × batch 4 see the batches of one × 8."""
    cfg = copy.deepcopy(tiny_config)
    cfg.model.dropout, cfg.train.class_weights, cfg.train.sampling = 0.0, "none", "random"
    cfg.train.batch_size = 4
    return cfg


def config_file(cfg: Config, path):
    path.write_text(yaml.safe_dump(cfg.to_dict(), allow_unicode=True), encoding="utf-8")
    return str(path)


def govtag_train(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "govtag.cli", "train", *args], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result


def mean_gap(a: dict, b: dict) -> float:
    return max(float(np.abs(a[t] - b[t]).mean()) for t in a)


@pytest.mark.slow
def test_two_processes_learn_what_one_learns_with_their_joint_batch(ddp_config, tmp_path, seed_units):
    config = config_file(ddp_config, tmp_path / "c.yaml")
    result = govtag_train("--nproc", "2", "-c", config, "-o", str(tmp_path / "ddp"))
    assert result.stdout.count("model written to") == 1  # rank 0 alone evaluates and writes
    metrics = json.loads((tmp_path / "ddp" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["processes"] == 2 and metrics["effective_batch_size"] == 8
    joint = copy.deepcopy(ddp_config)
    joint.train.batch_size = 8
    train(joint, tmp_path / "one")
    train(ddp_config, tmp_path / "half")  # one process, batch 4: another trajectory, the yardstick
    p = {name: Tagger.load(tmp_path / name).probabilities(seed_units) for name in ("ddp", "one", "half")}
    gap = mean_gap(p["ddp"], p["one"])
    assert gap < 0.01 and mean_gap(p["half"], p["one"]) > 5 * gap


@pytest.mark.slow
def test_a_killed_ddp_run_resumes_from_its_checkpoint_and_matches(ddp_config, tmp_path, seed_units):
    cfg = copy.deepcopy(ddp_config)
    cfg.train.epochs, cfg.train.max_steps, cfg.train.early_stopping_patience = 2, -1, 5
    config = config_file(cfg, tmp_path / "c.yaml")
    govtag_train("--nproc", "2", "-c", config, "-o", str(tmp_path / "straight"))
    script = tmp_path / "killed.py"
    script.write_text(KILLED_AFTER_FIRST_EPOCH, encoding="utf-8")
    killed = subprocess.run(
        [*torchrun(2), str(script), config, str(tmp_path / "resumed")], cwd=REPO, capture_output=True, text=True
    )
    assert killed.returncode != 0 and not (tmp_path / "resumed").exists()
    assert any(p.name.startswith("checkpoint-") for p in (tmp_path / "resumed.checkpoints").iterdir())
    govtag_train("--nproc", "2", "-c", config, "-o", str(tmp_path / "resumed"))
    assert not (tmp_path / "resumed.checkpoints").exists()
    a = Tagger.load(tmp_path / "straight").probabilities(seed_units)
    b = Tagger.load(tmp_path / "resumed").probabilities(seed_units)
    assert mean_gap(a, b) < 1e-3
