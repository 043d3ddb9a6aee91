import logging
import random
import shutil
import textwrap
from pathlib import Path

import pytest

from govtag.inference.document import DecodeError, ReadError
from govtag.inference.read import decode, read

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "read"
BAD = FIXTURES / "bad"
EXPECTED = "\n".join(
    line.strip()
    for line in (FIXTURES / "utf8.txt")
    .read_text(encoding="utf-8")
    .replace("（", "(")
    .replace("）", ")")
    .replace("；", ";")
    .replace("！", "!")
    .replace("？", "?")
    .splitlines()
)


@pytest.mark.parametrize(
    "name, encoding",
    [
        ("utf8.txt", "utf-8"),
        ("utf8_bom.txt", "utf-8"),
        ("gbk.txt", "gb18030"),
        ("utf16le_bom.txt", "utf-16-le"),
        ("utf16be_bom.txt", "utf-16-be"),
        ("utf16le.txt", "utf-16-le"),
    ],
)
def test_encodings_are_detected(name, encoding):
    doc = read(FIXTURES / name)
    assert doc.text == EXPECTED
    assert doc.encoding == encoding
    assert doc.doc_id == Path(name).stem


def test_gb18030_beyond_gbk():
    doc = read(FIXTURES / "gb18030.txt")
    assert doc.encoding == "gb18030"
    assert doc.text == read(FIXTURES / "gb18030_utf8.txt").text
    assert "𠮷祥社区" in doc.text


def test_a_gbk_file_holding_only_a_title(tmp_path):
    (tmp_path / "t.txt").write_bytes("区政府工作报告".encode("gbk"))
    doc = read(tmp_path / "t.txt")
    assert (doc.text, doc.encoding) == ("区政府工作报告", "gb18030")


def test_seed_boilerplate_is_removed_and_counted():
    doc = read(REPO / "examples" / "004_493d2021802c45e4.txt")
    assert doc.dropped == [
        "............试读结束............",
        "查阅全文加微信3231169",
        "如来写作网gw.rulaixiezuo.com(可搜索其他更多资料)",
        "本文内容由互联网用户自发贡献,该文观点仅代表作者本人。本站仅提供信息存储空间服务,不拥有所有权,不承担相关法律责任。"
        "如发现本站有涉嫌抄袭侵权/违法违规的内容, 请发送邮件至 3231169@qq.com 举报,一经查实,本站将立刻删除。",
        "如若转载,请注明出处:https://www.xiezuozhinan.com/222490.html",
    ]
    assert doc.text.endswith("三是深化“数字赋能”,跑出基层治理“加")
    for name in ("000_4b54a07587a75276", "001_106a58ce61b0fd06", "003_444c352ad45b9e4f"):
        assert read(REPO / "examples" / f"{name}.txt").dropped == []


def test_html_visible_text_without_navigation():
    doc = read(FIXTURES / "report.html")
    assert doc.text.splitlines() == [
        "某街道2024年工作总结",
        "一、主要工作",
        "(一)党建引领。全年开展集中学习30次,发展党员5名。一是强化学习。组织“三会一课”12次!",
        "二是加强监督。开展谈心谈话20人次。",
        "三是严肃纪律。",
        "二、下步打算",
        "持续改善民生,确保安全稳定。",
    ]
    assert "首页" in doc.dropped and "当前位置: 首页 > 工作总结" in doc.dropped and "索引号:" in doc.dropped
    assert "查阅全文加微信3231169" in doc.dropped and any("版权所有" in d for d in doc.dropped)
    assert not any("脚本" in d for d in doc.dropped)  # invisible, so neither text nor boilerplate


def test_html_in_gbk(tmp_path):
    path = tmp_path / "gbk.html"
    path.write_bytes("<html><body><p>一、主要工作</p><p>全年开展学习30次。</p></body></html>".encode("gbk"))
    assert read(path).text == "一、主要工作\n全年开展学习30次。"


def test_pdf_with_a_non_embedded_cid_font_reads_without_warnings(caplog):
    with caplog.at_level(logging.WARNING):
        doc = read(FIXTURES / "cid_font.pdf")  # STSong-Light, not embedded: pdfminer warns about its FontBBox
    assert doc.text.startswith("2024年,在区委、区政府的坚强领导下")
    assert caplog.records == []  # on a terminal they would land among the error lines of `govtag tag`


def _pdf(path: Path, paragraphs: list[str]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        y = 0.95
        for para in paragraphs:
            for line in textwrap.wrap(para, 50):
                fig.text(0.08, y, line, family="DejaVu Sans Mono", fontsize=11)
                y -= 0.02
        fig.text(0.5, 0.03, "- 1 -", family="DejaVu Sans Mono", fontsize=9)
        pdf.savefig(fig)
        plt.close(fig)
    return path


def test_pdf_hard_wrapped_lines_are_rejoined(tmp_path):
    paragraphs = [
        "Annual Work Report",
        "1. Party building",
        "The street committee organised thirty study sessions this year and trained five new members of the "
        "party; the volunteer team served two thousand residents in total.",
        "2. Safety",
        "Inspections found forty-five hazards and all were fixed before the end of October.",
    ]
    doc = read(_pdf(tmp_path / "report.pdf", paragraphs))
    assert doc.text.splitlines() == paragraphs
    assert doc.dropped == ["- 1 -"]


def test_pdf_without_text_layer(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.add_artist(plt.Line2D([0.1, 0.9], [0.5, 0.5]))
    fig.savefig(tmp_path / "scan.pdf")
    plt.close(fig)
    with pytest.raises(ReadError, match="no text layer"):
        read(tmp_path / "scan.pdf")


@pytest.mark.parametrize(
    "name, reason",
    [
        ("empty.txt", "empty file"),
        ("blank.txt", "no text (only whitespace)"),
        ("binary.txt", "binary data"),
        ("undecodable.txt", "undecodable text"),
        ("corrupt.docx", "not a readable .docx file: not a Word package"),
        ("corrupt.pdf", "not a readable .pdf file"),
        ("boilerplate_only.txt", "no text left after removing 3 boilerplate line(s)"),
    ],
)
def test_bad_inputs_raise_a_read_error_naming_file_and_reason(name, reason):
    with pytest.raises(ReadError) as info:
        read(BAD / name)
    assert info.value.reason.startswith(reason)
    assert str(info.value).startswith(f"{BAD / name}: ")


def test_unsupported_type():
    with pytest.raises(ReadError, match=r"unsupported file type \.xlsx; supported: .*\.docx .*\.doc "):
        read(FIXTURES / "bad" / "sheet.xlsx")


def test_size_limit():
    with pytest.raises(ReadError, match=r"over the 0.0001 MB limit"):
        read(FIXTURES / "utf8.txt", max_bytes=100)
    assert read(FIXTURES / "utf8.txt", max_bytes=10_000).text


def test_missing_file():
    with pytest.raises(ReadError, match="no such file"):
        read(FIXTURES / "missing.txt")


def test_a_stray_bad_byte_in_utf8_is_replaced_not_fatal():
    report = "一、过去一年工作回顾。全年地区生产总值增长5.2%，城镇新增就业1.2万人。" * 40
    data = report.encode("utf-8")
    text, encoding = decode(data[:600] + b"\xff" + data[600:])
    assert encoding == "utf-8 (1 bad byte(s) replaced)" and text.replace("\ufffd", "") == report
    assert decode(report.encode("gbk"))[1] == "gb18030"  # GBK is no UTF-8 with slips: detected as before


def test_decode_bom_mismatch():
    with pytest.raises(DecodeError, match="byte-order mark"):
        decode(b"\xef\xbb\xbf\xff\xfe\xfd")


def test_a_bad_byte_inside_a_chinese_character_is_one_slip():
    report = (FIXTURES / "utf8.txt").read_text(encoding="utf-8")
    data = bytearray(report.encode("utf-8"))
    middle = report.encode("utf-8").index("工".encode())
    data[middle] = 0xFF  # the lead byte of a 3-byte character: three bad bytes in a row
    text, encoding = decode(bytes(data))
    assert encoding == "utf-8 (1 bad byte(s) replaced)" and len(text) > 0.9 * len(report)


def test_html_wrappers_named_like_navigation_keep_the_article():
    html = (
        "<html><body class='layout-with-sidebar'><div class='navbar-top'><a>首页</a></div>"
        "<div id='main' class='article share-enabled'><h1>某街道2024年工作总结</h1>"
        + "".join(f"<p>第{i}项工作:全年完成改造项目{i}个,惠及居民{i * 100}户。</p>" for i in range(1, 8))
        + "</div><div class='sidebar'>热门文章</div></body></html>"
    ).encode("utf-8")
    from govtag.inference.read import _html_lines

    lines, dropped, _, _ = _html_lines(html)
    text = "\n".join(line.strip() for line in lines if line.strip())
    assert "某街道2024年工作总结" in text and "第7项工作:全年完成改造项目7个,惠及居民700户。" in text
    assert "首页" in dropped and "热门文章" in dropped


def test_the_files_own_title_html_title_or_a_file_name_that_reads_as_one(tmp_path):
    html = tmp_path / "page.html"
    html.write_text(
        "<html><head><title>某区2024年政府工作报告_某区人民政府</title></head><body><p>全年新增就业1200人。</p>"
        "</body></html>",
        encoding="utf-8",
    )
    assert read(html).title == "某区2024年政府工作报告_某区人民政府"
    named = tmp_path / "某镇2023年安全生产工作总结.txt"
    named.write_text("全年开展检查12次。", encoding="utf-8")
    assert read(named).title == "某镇2023年安全生产工作总结"
    coded = tmp_path / "000_4b54a07587a75276.txt"
    coded.write_text("全年开展检查12次。", encoding="utf-8")
    assert read(coded).title == ""


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
@pytest.mark.parametrize("header", [b"", bytes.fromhex("D0CF11E0A1B11AE1")], ids=["bare", "word-header"])
def test_random_bytes_named_doc_are_refused_not_read_as_garbage(tmp_path, header):
    path = tmp_path / "random.doc"
    path.write_bytes(header + random.Random(7).randbytes(20_000))
    with pytest.raises(ReadError, match=r"random.doc: not a readable .doc file") as caught:
        read(path)
    assert "not text" in caught.value.reason or "could not convert" in caught.value.reason
