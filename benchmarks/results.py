"""Where benchmark scripts keep what they measured: benchmarks/results/NAME-YYYY-MM-DDTHHMMSS.json (UTC), with the machine,
the commit and the command, so that docs/speed.md and docs/quality.md can cite a file instead of a memory."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
FOLDER = "GOVTAG_BENCH_RESULTS"  # another folder for the results (the tests write theirs to a temporary one)


def cpu_name() -> str:
    """The CPU's name and the vector extensions that decide int8 speed (docs/speed.md)."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                name = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    extensions = [
        label for flag, label in (("avx2", "AVX2"), ("avx512f", "AVX-512"), ("avx512_vnni", "VNNI")) if flag in flags
    ]
    return f"{name} ({', '.join(extensions)})" if extensions else name


def commit() -> str | None:
    run = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=RESULTS.parent, capture_output=True, text=True)
    return run.stdout.strip() or None


def save(name: str, result: dict) -> Path:
    """Write `result` with when, where and how it was measured, one file per run."""
    folder = Path(os.environ.get(FOLDER) or RESULTS)
    now = datetime.now(timezone.utc)
    path = folder / f"{name}-{now:%Y-%m-%dT%H%M%S}.json"
    record = {
        "benchmark": name,
        "measured_at": now.isoformat(timespec="seconds"),
        "cpu": cpu_name(),
        "python": platform.python_version(),
        "commit": commit(),
        "command": sys.argv,
        "result": result,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {path}")
    return path
