"""The numbers Word draws in front of auto-numbered paragraphs (一、 （一） 1. ①), which are not in their text.

Without them a report whose headings are numbered by Word has no numbering markers, and so no sections.
"""
from __future__ import annotations

from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn

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
    for value, digits in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + digits, n - value
    return out


_FORMATS = {
    "decimal": str,
    # Word writes chineseCounting…; LibreOffice writes taiwaneseCounting… for the same 一、二、三
    **dict.fromkeys(("chineseCounting", "chineseCountingThousand", "taiwaneseCounting",
                     "taiwaneseCountingThousand", "japaneseCounting"), _chinese),
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
                    "start": int(_val(lvl, "w:start") or 1), "format": _val(lvl, "w:numFmt") or "decimal",
                    "text": _val(lvl, "w:lvlText") or ""}
        for num in root.findall(qn("w:num")):
            nid = num.get(qn("w:numId"))
            self.abstract_of[nid] = _val(num, "w:abstractNumId")
            self.restart[nid] = {int(o.get(qn("w:ilvl"))): int(_val(o, "w:startOverride"))
                                 for o in num.findall(qn("w:lvlOverride")) if _val(o, "w:startOverride")}

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
