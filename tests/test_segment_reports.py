"""A file holding several reports: where `segment` cuts it into documents, and the title each one carries."""

from collections import defaultdict
from pathlib import Path

from govtag.inference.model_inputs import contextualize
from govtag.inference.read import clean, read
from govtag.inference.segment import segment

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _ours(doc_id: str) -> list[dict]:
    doc = read(EXAMPLES / f"{doc_id}.txt")
    return segment(doc.text, doc.doc_id)


def test_one_report_per_file_for_seed_003():
    assert {u["doc_id"] for u in _ours("003_444c352ad45b9e4f")} == {"003_444c352ad45b9e4f"}


def test_several_reports_in_one_file_get_one_doc_id_each():
    one = (EXAMPLES / "003_444c352ad45b9e4f.txt").read_text(encoding="utf-8")
    first = (EXAMPLES / "000_4b54a07587a75276.txt").read_text(encoding="utf-8")
    units = segment(first + "\n" + one + "\n" + one, "multi")
    by_doc = defaultdict(list)
    for u in units:
        by_doc[u["doc_id"]].append(u)
    assert list(by_doc) == ["multi", "multi#2", "multi#3"]
    single = segment(one, "x")
    for doc in ("multi#2", "multi#3"):
        assert [(u["text"], u["section"]) for u in by_doc[doc]] == [(u["text"], u["section"]) for u in single]
        assert [u["seq"] for u in by_doc[doc]] == list(range(len(single)))
    assert by_doc["multi#2"][0]["text"] == "金安区清水河街道2021年工作报告"


def test_numbering_restart_without_a_title_is_the_same_report():
    text = "一、情况\n内容。\n二、问题\n内容。\n附件说明如下。\n一、附表\n内容。\n"
    assert {u["doc_id"] for u in segment(text, "d")} == {"d"}


def test_duplicated_title_stays_with_its_report():
    text = "甲报告\n一、情况\n内容。\n二、问题\n内容。\n乙街道工作报告\n乙街道工作报告\n一、情况\n内容。\n"
    units = segment(text, "d")
    assert [u["text"] for u in units if u["doc_id"] == "d#2"][:2] == ["乙街道工作报告", "乙街道工作报告"]


def test_each_report_carries_its_title():
    text = "\n".join(
        [
            "来源:某县人民政府 发布时间:2024-01-05",
            "某镇2023年安全生产工作总结",
            "一、主要工作",
            "开展检查12次。",
            "二、下步打算",
            "继续开展检查。",
            "某街道2023年环境卫生整治工作总结",
            "一、主要工作",
            "清运垃圾300吨。",
        ]
    )
    units = segment(text, "p")
    titles = {u["doc_id"]: u["title"] for u in units}
    assert titles == {"p": "某镇2023年安全生产工作总结", "p#2": "某街道2023年环境卫生整治工作总结"}


def test_a_title_is_a_title_like_line_near_the_top_or_the_files_title():
    from govtag.inference.segment import document_title

    first = [
        ("首页 > 政务公开 > 工作总结", False),
        ("舟塘在线", False),
        ("舟塘市2026年政府工作报告(全文)", False),
        ("各位代表:", False),
    ]
    assert document_title(first) == "舟塘市2026年政府工作报告(全文)"  # a line naming a kind of document first
    news = [("垃圾未清理、电动车乱停这些社区问题多", False), ("记者走访发现,部分小区环境较差。", False)]
    assert document_title(news) == "垃圾未清理、电动车乱停这些社区问题多"
    excerpt = [("的关键之年,全区上下要坚定信心。", False), ("一、工作回顾", True), ("完成投资12亿元。", False)]
    assert (
        document_title(excerpt) == "" and document_title(excerpt, "某区2024年政府工作报告") == "某区2024年政府工作报告"
    )
    late = [(f"第{i}句话说完了。", False) for i in range(8)] + [("某镇2023年工作总结", False)]
    assert document_title(late) == ""  # only among the first units


def test_a_piece_marker_cuts_a_page_into_reports_even_without_numbering():
    page = "甲社区工作总结\n一、主要工作\n全年走访群众120户。\n篇二\n乙社区工作总结\n今年以来,社区新建口袋公园2个。\n"
    units = segment(clean(page.splitlines())[0], "p")
    assert [(u["doc_id"], u["text"]) for u in units if u["doc_id"] == "p#2"] == [
        ("p#2", "乙社区工作总结"),
        ("p#2", "今年以来,社区新建口袋公园2个。"),
    ]
    assert all(u["section"] == "" and u["title"] == "乙社区工作总结" for u in units if u["doc_id"] == "p#2")
    assert "篇二" not in [u["text"] for u in units]


def test_a_piece_marker_with_the_pieces_title_opens_the_next_report_with_that_title():
    page = [
        "首页 > 工作总结 > 乡镇工作总结",
        "2023年乡镇工作总结范文(精选2篇)",
        "篇一:甲镇2023年工作总结",
        "一、主要工作",
        "全年走访群众120户。",
        "二、下步打算",
        "继续走访群众。",
        "範文二:乙鎮2023年安全生產工作總結",
        "排查隐患12处。",
    ]
    units = segment(clean(page)[0], "p")
    docs = defaultdict(list)
    for u in units:
        docs[u["doc_id"]].append(u)
    assert [u["text"] for u in docs["p#2"]] == ["範文二:乙鎮2023年安全生產工作總結", "排查隐患12处。"]
    assert {u["title"] for u in docs["p"]} == {"甲镇2023年工作总结"}
    assert {u["title"] for u in docs["p#2"]} == {"乙鎮2023年安全生產工作總結"}
    assert docs["p#2"][1]["section"] == ""  # not under the first report's 二、下步打算
    # a page labeled as one document before this cut gets each piece's context all the same
    stored = [{**{k: u[k] for k in ("text", "heading")}, "doc_id": "p", "seq": i} for i, u in enumerate(units)]
    assert [(u["section"], u["title"]) for u in contextualize(stored)] == [(u["section"], u["title"]) for u in units]


def test_a_line_that_only_starts_like_a_piece_marker_cuts_nothing():
    page = "甲镇2023年工作总结\n第三季度工作总结会议召开。\n第一篇:今年以来,我镇扎实推进各项工作。\n排查隐患12处。\n"
    assert {u["doc_id"] for u in segment(page, "p")} == {"p"}


def test_a_site_name_or_a_navigation_bar_is_no_title():
    from govtag.inference.segment import document_title

    top = [("清潭县人民政府门户网站", False), ("原创力文档 知识共享存储平台", False), ("全县推进各项工作。", False)]
    assert document_title(top, "清潭县2024年工作简报") == "清潭县2024年工作简报"  # the file's title instead
    assert document_title([("鹤溪县人民政府办公室      2024年6月28日", False), ("鹤溪县政务信息第21期", False)]) == (
        "鹤溪县政务信息第21期"
    )
    named = [("南屏县2024年政府工作报告(摘要)_南屏县人民政府门户网站", False)]
    assert document_title(named) == named[0][0]  # a title that names its document keeps the site's suffix
