"""Data-parallel training: the same `govtag train` in N processes (DDP), launched by `torchrun`.

The `transformers` Trainer sees the launcher's environment (RANK, WORLD_SIZE, LOCAL_WORLD_SIZE) and
wraps the model in DistributedDataParallel: every process trains on its share of each batch and the
gradients are averaged (gloo on CPU, NCCL on GPUs). `train.batch_size` is per process, so the
effective batch is batch_size × processes. Rank 0 alone evaluates, calibrates and writes the model.
"""

from __future__ import annotations

import os
import subprocess
import sys


def local_processes() -> int:
    """Training processes on this machine (1 outside a launcher)."""
    return int(os.environ.get("LOCAL_WORLD_SIZE", 1))


def threads_per_process(threads: int) -> int:
    """`train.threads: 0` means all cores, shared out between this machine's processes."""
    return threads or max(1, (os.cpu_count() or 1) // local_processes())


def in_launcher() -> bool:
    return "LOCAL_RANK" in os.environ


def torchrun(nproc: int) -> list[str]:
    """`torchrun --standalone --nproc_per_node N` with this interpreter; a script or `-m module` follows."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]


def launch(nproc: int, cli_args: list[str]) -> int:
    """Run a `govtag` command in `nproc` local processes; return the launcher's exit code."""
    return subprocess.run([*torchrun(nproc), "-m", "govtag.cli", *cli_args]).returncode
