"""One `govtag tag` run at a time per output directory: a lock file holding the owner's pid, taken atomically
(O_EXCL); the lock of a process that is gone is taken over, and the run says so."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK = ".govtag.lock"


class OutputInUse(ValueError):
    pass


def _alive(owner: dict) -> bool:
    if owner.get("host") != socket.gethostname():
        return True  # another machine's process (a shared disk): it cannot be checked, so it is respected
    try:
        os.kill(int(owner["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, KeyError, TypeError, ValueError):
        return True
    return True


def _read(path: Path) -> dict | None:
    try:
        owner = json.loads(path.read_text(encoding="utf-8"))
        return owner if isinstance(owner, dict) else {}
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # being written this instant, or damaged


@contextmanager
def output_lock(out_dir: str | Path) -> Iterator[dict | None]:
    """Hold OUT_DIR's lock while the block runs; yields the stale owner taken over (None if there was none).
    Raises OutputInUse naming the running process if another live run holds it."""
    path = Path(out_dir) / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    me = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join(sys.argv),
    }
    stale = None
    for _ in range(100):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _read(path)
            if owner is None:
                continue  # released meanwhile
            if not owner:  # a lock being written: give its writer a moment
                time.sleep(0.05)
                owner = _read(path)
                if owner is None:
                    continue
            if owner and _alive(owner):
                raise OutputInUse(
                    f"{out_dir}: in use by another govtag run (pid {owner.get('pid')} on {owner.get('host')}, "
                    f"started {owner.get('started')}: {owner.get('command')}); wait for it to finish or choose "
                    f"another -o (if that process is gone, remove {path})"
                ) from None
            try:  # a dead owner's lock: move it aside atomically, so that only one run takes it over
                os.rename(path, path.with_name(f"{LOCK}.stale.{os.getpid()}"))
                os.unlink(path.with_name(f"{LOCK}.stale.{os.getpid()}"))
                stale = owner or {"pid": "unknown"}
            except FileNotFoundError:
                pass
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(me, f)
        break
    else:
        raise OutputInUse(f"{path}: could not take the lock of this output directory")
    try:
        yield stale
    finally:
        if _read(path) == me:
            path.unlink(missing_ok=True)
