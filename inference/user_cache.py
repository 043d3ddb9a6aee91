"""Where govtag keeps what it derives once per user and machine: `$GOVTAG_CACHE`, else the platform's user
cache directory (~/.cache/govtag on Linux) — the converted embedded backbone, and the record of read-only
model directories whose ONNX export was checked against their weights."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_path


def cache_root() -> Path:
    return Path(os.environ.get("GOVTAG_CACHE") or user_cache_path("govtag"))
