"""A tagger on the default path (on CPU configs/default.yaml tag.backend: the ONNX export, int8 with the fp32
re-check of near ties; on a CUDA device the torch weights) unless another backend is asked for. A model directory without an export (trained
before govtag exported at training time, or with train.export_onnx off) is exported on first use, atomically
and under the directory's lock, and the caller is told so; one that cannot be written is tagged with torch."""

from __future__ import annotations

import time
from pathlib import Path

from .bundle import check_bundle
from .onnx_export import export_is_current, export_onnx
from .onnx_session import ONNX_DIR
from .run_lock import OutputInUse, output_lock
from .tagger import Tagger, default_backend

WAIT_FOR_EXPORT_S = 900  # another process exporting the same model: wait for it rather than export twice


def ensure_export(model_dir: str | Path) -> str | None:
    """Export the model to ONNX if it has no export of its present weights; a message saying what was done,
    or None."""
    model_dir = Path(model_dir)
    if export_is_current(model_dir):
        return None
    stale = (model_dir / ONNX_DIR).exists()
    deadline = time.monotonic() + WAIT_FOR_EXPORT_S
    while True:
        try:
            with output_lock(model_dir):
                if export_is_current(model_dir):  # another process exported it while this one waited
                    return None
                start = time.perf_counter()
                export_onnx(model_dir)
                why = "its export was made from other weights" if stale else "on first use"
                seconds = time.perf_counter() - start
                return f"exported {model_dir} to ONNX ({why}, {seconds:.0f} s); later runs start at once"
        except OutputInUse:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def load_tagger(model_dir: str | Path, backend: str | None = None, **options) -> tuple[Tagger, list[str]]:
    """(tagger, notices): `Tagger.load` on `backend` (default: `default_backend()`), the ONNX export made
    first if it is missing."""
    backend = backend or default_backend()
    check_bundle(model_dir)  # a missing or damaged directory is said as such, before anything is written into it
    notices = []
    if backend == "onnx":
        try:
            notice = ensure_export(model_dir)
        except OSError as e:  # a model directory that cannot be written (read-only, another user's)
            notices.append(
                f"{model_dir}: cannot write its ONNX export ({e.strerror or e}); tagging with torch, which is "
                "slower (run `govtag export-onnx` where the model can be written)"
            )
            backend = "torch"
        else:
            notices += [notice] if notice else []
    return Tagger.load(model_dir, backend=backend, **options), notices
