"""govtag: tag every sentence of Chinese government work reports with a governance domain and a statement type.

    import govtag
    tagger = govtag.load("default")   # a registered name or a model directory
    tagger.tag_text("一是坚持党建引领。……")
    tagger.tag_files(["reports/"], as_frame=True)
    govtag.segment(text)

The API lives in govtag/api.py; it is imported on first use, so that `govtag --help` does not load torch.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"
__all__ = ["GovTagger", "ModelDirError", "ReadError", "SummaryError", "load", "segment", "summarize", "wide"]


def __getattr__(name: str):
    if name in __all__:
        return getattr(import_module(".api", __name__), name)
    raise AttributeError(f"module 'govtag' has no attribute {name!r}")
