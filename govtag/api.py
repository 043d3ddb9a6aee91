"""The Python API: the same reading, segmenting and tagging as the `govtag` commands, for notebooks and scripts.

import govtag
tagger = govtag.load("default")            # a registered name or a model directory
units = tagger.tag_text(text)              # list of dicts: text, section, domain, type, scores, review
frame = tagger.tag_files(["reports/"], as_frame=True)
govtag.segment(text)                       # units without tags
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from .inference.bundle import ModelDirError
from .inference.config import default_config
from .inference.document import Document, ReadError
from .inference.loading import load_tagger
from .inference.read import expand, read_all, read_text
from .inference.segment import document_units
from .inference.summarize import SummaryError, summarize, wide
from .inference.tagger import Tagger
from .training.registry import default_model_dir, resolve

ON_ERROR = ("warn", "raise", "ignore")


def segment(text: str, doc_id: str = "text", title: str = "", max_unit_chars: int | None = None) -> list[dict]:
    """The units of a text as `govtag segment` writes them for a .txt file with that content: sentences and
    headings with their section path and the document's title; several reports in one text get doc_id#2, …"""
    return document_units(read_text(text, doc_id, title), max_unit_chars)


def load(model: str | Path = "default", backend: str | None = None, **options) -> GovTagger:
    """A tagger for a registered model name ("default": the registry's default) or a model directory.
    backend: "onnx" (the default, as `govtag tag`: exported on first use if the model has no export) or
    "torch"; options: those of `Tagger.load`
    (threads, workers, batch_size, review_threshold, recheck_margin, device)."""
    model_dir = default_model_dir() if str(model) == "default" else resolve(model)
    if not Path(model_dir).is_dir():
        raise ModelDirError(
            f"{model_dir}: no model there; train one (`govtag train -o DIR`) or name a model "
            "directory or a registered model (`govtag models`)"
        )
    tagger, notices = load_tagger(model_dir, backend=backend, **options)
    for notice in notices:
        warnings.warn(notice, stacklevel=2)
    return GovTagger(tagger)


class GovTagger:
    """A loaded model that tags texts and files; each document is tagged on its own, so its tags do not depend
    on what else is tagged with it."""

    def __init__(self, tagger: Tagger):
        self.tagger = tagger
        self.schema = tagger.schema
        self.model_dir = tagger.model_dir

    def tag_units(self, units: list[dict], with_probs: bool = False) -> list[dict]:
        """Tag units already segmented (each with doc_id, seq, text, section, title), document by document."""
        documents: dict[str, list[dict]] = {}
        for unit in units:
            documents.setdefault(unit["doc_id"], []).append(unit)
        tagged = self.tagger.map_documents(lambda doc: self.tagger.predict(doc, with_probs), documents.values())
        return [row for rows in tagged for row in rows]

    def tag_text(
        self, text: str, doc_id: str = "text", title: str = "", as_frame: bool = False, with_probs: bool = False
    ):
        """The tagged units of one text (as a .txt file with that content would be tagged)."""
        return _rows(self.tag_units(segment(text, doc_id, title, self._unit_chars), with_probs), as_frame)

    def tag_files(
        self,
        paths: str | Path | Iterable[str | Path],
        as_frame: bool = False,
        with_probs: bool = False,
        on_error: str = "warn",
    ):
        """The tagged units of files, directories (recursive) or globs, in input order. A file that cannot be
        read is skipped with a warning naming it and the reason (on_error="raise": a ReadError; "ignore")."""
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, not {on_error!r}")
        inputs = [paths] if isinstance(paths, (str, Path)) else list(paths)
        documents = (document_units(doc, self._unit_chars) for doc in self._read(inputs, on_error))
        tagged = self.tagger.map_documents(lambda units: self.tagger.predict(units, with_probs), documents)
        return _rows([row for rows in tagged for row in rows], as_frame)

    @property
    def _unit_chars(self) -> int:
        return self.tagger.cfg.segment.max_unit_chars

    def _read(self, inputs: list, on_error: str) -> Iterator[Document]:
        items = list(expand(inputs))
        for doc in read_all(items, int(self.tagger.cfg.segment.max_file_mb * 1e6)):
            if not isinstance(doc, ReadError):
                yield doc
            elif on_error == "raise":
                raise doc
            elif on_error == "warn":
                warnings.warn(str(doc), stacklevel=3)


def _rows(rows: list[dict], as_frame: bool):
    return pd.DataFrame(rows) if as_frame else rows


__all__ = [
    "GovTagger",
    "ModelDirError",
    "ReadError",
    "SummaryError",
    "default_config",
    "load",
    "segment",
    "summarize",
    "wide",
]
