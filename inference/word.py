"""Word documents: .docx text in reading order with the numbers Word draws (一、 （一） 1. ①, which are not in
the paragraph text) and the paragraphs set in a heading style; .doc/.wps/.rtf/.odt through LibreOffice.

Without the drawn numbers a report whose headings are numbered by Word has no numbering markers, and so no
sections.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from .document import ReadError

CONVERT_TIMEOUT_S = 120
TABLE_CELL_CHARS = 40  # a table row whose every cell is one line this short reads as one statement

_CN_DIGITS = "〇一二三四五六七八九"
_LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"


def _chinese(n: int, digits: str = _CN_DIGITS, ten: str = "十") -> str:
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + (ten if tens else "") + (digits[ones] if ones else "")


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def _roman(n: int) -> str:
    out = ""
    for value, digits in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while n >= value:
            out, n = out + digits, n - value
    return out


_FORMATS = {
    "decimal": str,
    # Word writes chineseCounting…; LibreOffice writes taiwaneseCounting… for the same 一、二、三
    **dict.fromkeys(
        (
            "chineseCounting",
            "chineseCountingThousand",
            "taiwaneseCounting",
            "taiwaneseCountingThousand",
            "japaneseCounting",
        ),
        _chinese,
    ),
    "chineseLegalSimplified": lambda n: _chinese(n, _LEGAL_DIGITS, "拾"),
    "ideographDigital": lambda n: "".join(_CN_DIGITS[int(c)] for c in str(n)),
    "ideographTraditional": lambda n: _HEAVENLY_STEMS[n - 1] if 0 < n <= 10 else str(n),
    "decimalEnclosedCircle": lambda n: chr(0x2460 + n - 1) if 0 < n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: chr(0x2460 + n - 1) if 0 < n <= 20 else str(n),
    "decimalEnclosedParen": lambda n: f"({n})",
    "decimalFullWidth": lambda n: "".join(chr(ord(c) + 0xFEE0) for c in str(n)),
    "lowerLetter": _letters,
    "upperLetter": lambda n: _letters(n).upper(),
    "lowerRoman": _roman,
    "upperRoman": lambda n: _roman(n).upper(),
}


def _val(el, tag: str) -> str | None:
    child = el.find(qn(tag)) if el is not None else None
    return child.get(qn("w:val")) if child is not None else None


class Numbering:
    """Renders the label of each numbered paragraph, in document order, keeping Word's counters."""

    def __init__(self, document):
        self.levels: dict[tuple[str, int], dict] = {}  # (abstract list id, level) → start, format, text
        self.abstract_of: dict[str, str] = {}  # list instance id → abstract list id
        self.restart: dict[str, dict[int, int]] = {}  # list instance → level → start override
        self.counters: dict[str, dict[int, int]] = {}  # abstract list → level → current number
        self.style_numbering = {}
        for style in document.styles:
            numbering = self._own_numbering(style.element)
            if numbering:
                self.style_numbering[style.style_id] = numbering
        try:
            root = document.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING).element
        except KeyError:
            return
        for abstract in root.findall(qn("w:abstractNum")):
            aid = abstract.get(qn("w:abstractNumId"))
            for lvl in abstract.findall(qn("w:lvl")):
                self.levels[(aid, int(lvl.get(qn("w:ilvl"))))] = {
                    "start": int(_val(lvl, "w:start") or 1),
                    "format": _val(lvl, "w:numFmt") or "decimal",
                    "text": _val(lvl, "w:lvlText") or "",
                }
        for num in root.findall(qn("w:num")):
            nid = num.get(qn("w:numId"))
            self.abstract_of[nid] = _val(num, "w:abstractNumId")
            self.restart[nid] = {
                int(o.get(qn("w:ilvl"))): int(_val(o, "w:startOverride"))
                for o in num.findall(qn("w:lvlOverride"))
                if _val(o, "w:startOverride")
            }

    @staticmethod
    def _own_numbering(element) -> tuple[str, int] | None:
        num_pr = element.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if num_pr is None:
            return None
        return _val(num_pr, "w:numId"), int(_val(num_pr, "w:ilvl") or 0)

    def label(self, paragraph) -> str:
        """The number Word shows before `paragraph` ("" for none, and for bullets), advancing the count."""
        own = self._own_numbering(paragraph._p)
        nid, level = own if own and own[0] else self.style_numbering.get(paragraph.style.style_id, (None, 0))
        aid = self.abstract_of.get(nid)
        if nid in (None, "0") or aid is None or (aid, level) not in self.levels:
            return ""
        spec = self.levels[(aid, level)]
        if spec["format"] not in _FORMATS:
            return ""  # bullet, none, or a format we cannot draw
        counters = self.counters.setdefault(aid, {})
        if level in self.restart.get(nid, {}):
            counters[level] = self.restart[nid].pop(level) - 1  # the override applies to its first use
        counters[level] = counters.get(level, spec["start"] - 1) + 1
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]
        text = spec["text"]
        for k in range(level + 1):
            k_spec = self.levels.get((aid, k), {"start": 1, "format": "decimal"})
            n = counters.get(k, k_spec["start"])
            text = text.replace(f"%{k + 1}", _FORMATS.get(k_spec["format"], str)(n))
        return text


_HEADING_STYLE = re.compile(r"(heading|标题)\s*[1-9]$", re.I)


def _is_heading(paragraph) -> bool:
    """Given an outline level of its own, or set in a style that has one or is named Heading 1…9 / 标题 1…9
    (or is based on such a style). Outline level 9 is body text."""
    own = _val(paragraph._p.pPr, "w:outlineLvl")
    if own is not None:
        return own != "9"
    style = paragraph.style
    while style is not None:
        level = _val(style.element.pPr, "w:outlineLvl")
        if level is not None:
            return level != "9"
        if _HEADING_STYLE.match(style.name or ""):
            return True
        style = style.base_style
    return False


def _blocks(container, numbering: Numbering, headings: list[str]) -> Iterator[str]:
    """Lines of a document body or table cell in order, each with the number Word draws before it;
    tables row by row, nested tables included. Lines in a heading style are added to `headings`."""
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            label = numbering.label(block)  # Word counts an empty numbered paragraph too
            line = label + block.text if block.text.strip() else block.text
            if line.strip() and _is_heading(block):
                headings.append(line)
            yield line
            continue
        for row in block.rows:
            cells = {id(c._tc): c for c in row.cells}.values()  # a merged cell is listed once per grid column
            lines = [[line for line in _blocks(c, numbering, headings) if line.strip()] for c in cells]
            if len(lines) > 1 and all(len(ls) <= 1 and all(len(x) <= TABLE_CELL_CHARS for x in ls) for ls in lines):
                yield " ".join(ls[0].strip() for ls in lines if ls)  # 指标 | 单位 | 完成值 → one unit, not three
            else:
                yield from (line for ls in lines for line in ls)


def docx_lines(path: Path) -> tuple[list[str], list[str]]:
    """The lines of a .docx and those of them set in a heading style."""
    document = docx.Document(str(path))
    headings: list[str] = []
    return list(_blocks(document, Numbering(document), headings)), headings


def office_lines(path: Path) -> tuple[list[str], list[str]]:
    """Lines of a .doc/.wps/.rtf/.odt file, converted to .docx by LibreOffice in a temporary directory."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise ReadError(
            path,
            f"{path.suffix.lower()} files are read through LibreOffice, which is not installed "
            "(install it, e.g. `apt install libreoffice-writer-nogui`, or save the file as .docx)",
        )
    with tempfile.TemporaryDirectory(prefix="govtag-convert-") as tmp:
        profile = Path(tmp, "profile").as_uri()  # a private profile: conversions running in parallel never collide
        try:
            done = subprocess.run(
                [
                    office,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--convert-to",
                    "docx",
                    "--outdir",
                    tmp,
                    str(path.resolve()),
                ],
                capture_output=True,
                text=True,
                timeout=CONVERT_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            raise ReadError(path, f"LibreOffice did not convert it within {CONVERT_TIMEOUT_S} s") from None
        converted = Path(tmp, path.stem + ".docx")
        if not converted.exists():
            said = (done.stderr.strip() or done.stdout.strip()).splitlines()
            raise ReadError(
                path,
                "LibreOffice could not convert it to .docx"
                + (f" ({said[-1]})" if said else f" (exit code {done.returncode})"),
            )
        return docx_lines(converted)
