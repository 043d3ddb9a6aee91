"""A read file, and what can go wrong reading one: the types that reading and its converters share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class DecodeError(ValueError):
    pass


class ReadError(Exception):
    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason


@dataclass
class Document:
    path: Path
    doc_id: str
    text: str  # cleaned: boilerplate lines removed, full-width ASCII folded
    dropped: list[str] = field(default_factory=list)  # the boilerplate lines removed
    encoding: str = ""
    headings: set[str] = field(default_factory=set)  # lines set in a heading style (.docx), as in `text`
    title: str = ""  # the file's own title: an HTML <title>, else a file name that reads as one
