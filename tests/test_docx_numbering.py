import pytest

from inference.docx_numbering import _FORMATS


@pytest.mark.parametrize("fmt, numbers, shown", [
    ("chineseCounting", [1, 9, 10, 11, 20, 21, 99], ["一", "九", "十", "十一", "二十", "二十一", "九十九"]),
    ("taiwaneseCountingThousand", [3, 12], ["三", "十二"]),
    ("chineseLegalSimplified", [1, 10, 23], ["壹", "拾", "贰拾叁"]),
    ("ideographDigital", [10, 205], ["一〇", "二〇五"]),
    ("decimalEnclosedCircle", [1, 20, 21], ["①", "⑳", "21"]),
    ("ideographTraditional", [1, 10], ["甲", "癸"]),
    ("lowerLetter", [1, 26, 27], ["a", "z", "aa"]),
    ("upperRoman", [4, 9, 14], ["IV", "IX", "XIV"]),
    ("decimalFullWidth", [12], ["１２"]),
])
def test_number_formats(fmt, numbers, shown):
    assert [_FORMATS[fmt](n) for n in numbers] == shown
