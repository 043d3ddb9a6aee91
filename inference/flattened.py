"""Copies that document-sharing sites (文库, 文档网) flatten: each page of the document served as one long line
that starts with the page's number ("1、", "2、" …), the document's own lines joined by runs of spaces, the
title repeated at the top of the first page, and a page boundary that cuts a sentence or a figure in two
("…投资1.2亿" / "2、元,同比增长8%。"). `unflatten` gives such a text its lines back, so that the reader sees a
report's headings and sentences instead of one heading per page; any other text passes through unchanged
(docs/reading.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .normalize import clean_line, ends_sentence

_PAGE_START = re.compile(r"(\d{1,3})、")
# a run of spaces where a line break was lost; not the blank inside a template's "(  )"
_GAP = re.compile(r"(?<![(（【\[])\s{2,}(?![)）】\]])")
# a hard wrap inside 单一、/统一、/唯一、/逐一、 leaves "一、" at a line's start, where it reads as a new report's first
# heading: "…产业结构单" / "一、创新能力不强等问题…"
_WRAPPED_ONE = re.compile(r"[单统唯逐]$")
_REPEATED = re.compile(r"(\S.{4,58}?)\1+")  # the title printed again and again: "XX报告XX报告XX报告"
FLAT_LINE_CHARS = 100  # a shorter line with runs of spaces is kept whole (a table row, a byline) …
_SENTENCE_END = "。！？!?;；"  # … unless a sentence ends before one of them
PAGE_CHARS = 150  # a document page holds at least this much; a numbered list item is shorter


def _pages(lines: list[str]) -> set[int]:
    """The lines that are document pages: numbered 1, 2, 3 … in order, each but the last at least PAGE_CHARS
    long, and flattened (runs of spaces) or cut mid-sentence at a boundary — never a list of long items, which
    end their sentences and keep their lines."""
    numbered = [(k, int(m[1])) for k, line in enumerate(lines) if (m := _PAGE_START.match(line))]
    pages = []
    for k, number in numbered:
        if number != len(pages) + 1:
            break
        pages.append(k)
    if len(pages) < 2 or any(len(lines[k]) < PAGE_CHARS for k in pages[:-1]):
        return set()
    flattened = any(_GAP.search(lines[k]) for k in pages)
    cut = any(not ends_sentence(lines[k]) for k in pages[:-1])
    return set(pages) if flattened or cut else set()


def _pieces(line: str) -> list[str]:
    return [p for p in (piece.strip() for piece in _GAP.split(line)) if p]


def _lines_of(line: str) -> list[str]:
    """A line's own lines: split at runs of spaces where it is long or a sentence ends before one."""
    if not _GAP.search(line):
        return [line]
    pieces = _pieces(line)
    flat = len(line) >= FLAT_LINE_CHARS or any(piece[-1] in _SENTENCE_END for piece in pieces[:-1])
    return pieces if flat else [line]


def unflatten(lines: Iterable[str]) -> list[str]:
    """Lines as the reader keeps them (`normalize.clean_line`, empty ones left out), a flattened page's
    restored: page numbers removed, a sentence cut by a page boundary joined again, the runs of spaces of a long
    line turned back into line breaks, a title repeated at a page's top printed once; and a hard wrap inside
    单一、 joined again."""
    lines = [line for chunk in lines for line in map(clean_line, chunk.splitlines()) if line]
    pages = _pages(lines)
    out: list[str] = []
    for k, line in enumerate(lines):
        if k not in pages and line.startswith("一、") and out and _WRAPPED_ONE.search(out[-1]):
            out[-1] += line  # the wrap inside a word, joined again
            continue
        if k not in pages:
            out.extend(_lines_of(line))
            continue
        pieces = _pieces(line[_PAGE_START.match(line).end() :])
        if pieces and (m := _REPEATED.match(pieces[0])):
            pieces[0] = m[1] + pieces[0][m.end() :]
        if pieces and k - 1 in pages and not ends_sentence(out[-1]):
            out[-1] += pieces.pop(0)  # a sentence cut by the page boundary
        out.extend(pieces)
    return out
