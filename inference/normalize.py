"""Text normalisation: full-width ASCII folded (the reader's form of every unit) and, for what the model reads,
traditional characters mapped to simplified ones.

The model reads `model_form(text)` whatever its source — gold units typed with full-width punctuation, web
copies in traditional characters (繁體) — while the units themselves keep the text as it was read.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # stray control characters (they break .xlsx)
_WIDE = re.compile("[\uff01-\uff5e\u3000\u00a0\ufeff\u200b-\u200d]")
_NARROW = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " ", "\u00a0": " "}


_ENDS = "。！？!?:：;；"


def ends_sentence(line: str) -> bool:
    """Whether a line ends a sentence or a clause that leads on (a colon): a hard-wrapped line does not."""
    return line[-1] in _ENDS if line else True


def fold_width(text: str) -> str:
    """Full-width ASCII variants to ASCII, odd spaces to a space, zero-width characters removed."""
    return _WIDE.sub(lambda m: _NARROW.get(m.group(), ""), text)


def clean_line(line: str) -> str:
    """A line as the reader keeps it: width folded, control characters removed, stripped."""
    return CONTROL.sub("", fold_width(line)).strip()


@lru_cache(maxsize=1)
def _simplified_table() -> dict[int, str]:
    """OpenCC's character table (TSCharacters, from opencc-python-reimplemented), one character for one: a
    traditional character whose candidates include itself (於 → 于/於) is left alone, for simplified text
    uses it too; the table changes no character of the labeled corpus (tests)."""
    import opencc

    table = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        candidates = targets.split()
        if len(source) == 1 and candidates and source not in candidates:
            table[ord(source)] = candidates[0]
    return table


def to_simplified(text: str) -> str:
    return text.translate(_simplified_table())


def model_form(text: str) -> str:
    """What the model reads of a text: width folded, simplified characters."""
    return to_simplified(fold_width(text))
