import os
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from govtag.inference.document import ReadError
from govtag.inference.read import read
from govtag.inference.segment import segment
from govtag.inference.word import _FORMATS

BAD = Path(__file__).parent / "fixtures" / "read" / "bad"


@pytest.mark.parametrize(
    "fmt, numbers, shown",
    [
        ("chineseCounting", [1, 9, 10, 11, 20, 21, 99], ["一", "九", "十", "十一", "二十", "二十一", "九十九"]),
        ("taiwaneseCountingThousand", [3, 12], ["三", "十二"]),
        ("chineseLegalSimplified", [1, 10, 23], ["壹", "拾", "贰拾叁"]),
        ("ideographDigital", [10, 205], ["一〇", "二〇五"]),
        ("decimalEnclosedCircle", [1, 20, 21], ["①", "⑳", "21"]),
        ("ideographTraditional", [1, 10], ["甲", "癸"]),
        ("lowerLetter", [1, 26, 27], ["a", "z", "aa"]),
        ("upperRoman", [4, 9, 14], ["IV", "IX", "XIV"]),
        ("decimalFullWidth", [12], ["１２"]),
    ],
)
def test_number_formats(fmt, numbers, shown):
    assert [_FORMATS[fmt](n) for n in numbers] == shown


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    d = docx.Document()
    d.add_paragraph("一、主要工作")
    d.add_paragraph("全年开展学习30次。")
    table = d.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "指标"
    table.cell(0, 2).text = "完成情况"
    table.cell(1, 0).text = "学习"
    table.cell(1, 1).text = "30次"
    table.cell(1, 2).text = "超额完成。"
    layout = d.add_table(rows=1, cols=2)  # a table used for page layout: whole paragraphs in a cell
    layout.cell(0, 0).text = "二、下步打算"
    layout.cell(0, 1).text = "持续深化理论学习并推动学习成果转化为工作实效以确保全年任务圆满完成。"
    layout.cell(0, 1).add_paragraph("加强队伍建设。")
    nested = layout.cell(0, 1).add_table(rows=1, cols=2)
    nested.cell(0, 0).text = "培训"
    nested.cell(0, 1).text = "4期"
    path = tmp_path / "report.docx"
    d.save(path)
    assert read(path).text.splitlines() == [
        "一、主要工作",
        "全年开展学习30次。",
        "指标 完成情况",
        "学习 30次 超额完成。",
        "二、下步打算",
        "持续深化理论学习并推动学习成果转化为工作实效以确保全年任务圆满完成。",
        "加强队伍建设。",
        "培训 4期",
    ]


def _chinese_outline(d) -> str:
    """Adds a two-level list (一、 then （一）) to the numbering part of `d`; returns its numId."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import parse_xml

    root = d.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING).element
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    root.insert(
        0,
        parse_xml(
            f'<w:abstractNum {w} w:abstractNumId="90">'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
            "</w:abstractNum>"
        ),
    )
    root.append(parse_xml(f'<w:num {w} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    return "90"


def _numbered(d, text: str, num_id: str, level: int):
    from docx.oxml import parse_xml

    p = d.add_paragraph(text)
    p._p.get_or_add_pPr().append(
        parse_xml(
            '<w:numPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f'<w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'
        )
    )


def test_docx_word_numbering_is_read_as_the_numbers_word_shows(tmp_path):
    d = docx.Document()
    outline = _chinese_outline(d)
    _numbered(d, "主要工作", outline, 0)
    _numbered(d, "加强党的建设", outline, 1)
    d.add_paragraph("全年开展学习30次。")
    _numbered(d, "", outline, 1)  # empty, but Word counts it
    _numbered(d, "推进安全生产", outline, 1)
    _numbered(d, "存在的问题", outline, 0)
    _numbered(d, "基层力量薄弱", outline, 1)  # the deeper level starts again under a new 二、
    d.add_paragraph("补齐短板。", style="List Number")  # the template's decimal list, numbered by the style
    d.add_paragraph("加强督导。", style="List Number")
    d.add_paragraph("一项工作", style="List Bullet")  # a bullet is no number
    path = tmp_path / "numbered.docx"
    d.save(path)
    text = read(path).text
    assert text.splitlines() == [
        "一、主要工作",
        "(一)加强党的建设",
        "全年开展学习30次。",
        "(三)推进安全生产",
        "二、存在的问题",
        "(一)基层力量薄弱",
        "1.补齐短板。",
        "2.加强督导。",
        "一项工作",
    ]
    units = {u["text"]: u for u in segment(text, "numbered")}
    assert units["全年开展学习30次。"]["section"] == "一、主要工作 > (一)加强党的建设"


def test_docx_heading_styles_make_headings_without_numbers(tmp_path):
    from docx.enum.style import WD_STYLE_TYPE

    d = docx.Document()
    d.add_heading("城东街道2025年工作总结", level=0)  # the Title style: a title, not a heading
    d.add_heading("2025年工作回顾", level=1)
    d.add_paragraph("全年开展学习30次。")
    custom = d.styles.add_style("小节标题", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = d.styles["Heading 2"]
    d.add_paragraph("安全生产", style="小节标题")
    d.add_paragraph("整改隐患356处。")
    d.add_heading("存在的问题", level=1)
    d.add_paragraph("基层力量薄弱。")
    path = tmp_path / "styled.docx"
    d.save(path)
    doc = read(path)
    assert doc.headings == {"2025年工作回顾", "安全生产", "存在的问题"}
    units = {u["text"]: u for u in segment(doc.text, "styled", headings=doc.headings)}
    assert [t for t, u in units.items() if u["heading"]] == ["2025年工作回顾", "安全生产", "存在的问题"]
    # A heading with no number counts as top level (as `assign_sections` places it when labels are
    # loaded), so each closes the one before.
    assert units["全年开展学习30次。"]["section"] == "2025年工作回顾"
    assert units["整改隐患356处。"]["section"] == "安全生产"
    assert units["基层力量薄弱。"]["section"] == "存在的问题"


def test_office_file_without_libreoffice_says_what_to_do(monkeypatch):
    monkeypatch.setattr("govtag.inference.word.shutil.which", lambda name: None)
    with pytest.raises(ReadError, match=r"old.doc: \.doc files are read through LibreOffice, which is not installed"):
        read(BAD / "old.doc")


def _fake_office(tmp_path, monkeypatch, script: str):
    """A `soffice` on PATH that runs `script` (sh) instead of LibreOffice."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "soffice").write_text(f"#!/bin/sh\n{script}\n")
    (bin_dir / "soffice").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_office_conversion_failure_and_timeout_are_read_errors(tmp_path, monkeypatch):
    _fake_office(tmp_path, monkeypatch, 'echo "Error: source file could not be loaded"; exit 0')
    with pytest.raises(ReadError, match=r"old.doc: LibreOffice could not convert it to \.docx \(Error: source file"):
        read(BAD / "old.doc")
    monkeypatch.setattr("govtag.inference.word.CONVERT_TIMEOUT_S", 0.5)
    (tmp_path / "bin" / "soffice").write_text("#!/bin/sh\nsleep 5\n")
    with pytest.raises(ReadError, match=r"LibreOffice did not convert it within 0.5 s"):
        read(BAD / "old.doc")


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("suffix", [".doc", ".rtf", ".odt"])
def test_office_files_are_read_through_libreoffice(tmp_path, suffix):
    d = docx.Document()
    d.add_paragraph("存在的问题", style="List Number")  # LibreOffice writes a 、 in a .doc list as ?, so: 1.
    d.add_paragraph("部分企业主体责任落实不到位。")
    d.save(tmp_path / "report.docx")
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            suffix[1:],
            "--outdir",
            str(tmp_path / "office"),
            str(tmp_path / "report.docx"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert read(tmp_path / "office" / f"report{suffix}").text.splitlines() == [
        "1.存在的问题",
        "部分企业主体责任落实不到位。",
    ]
