import json
from collections import defaultdict
from pathlib import Path

import pytest

from govtag.inference.boilerplate import clean, is_boilerplate, piece_marker, piece_title
from govtag.inference.normalize import clean_line
from govtag.labels.corpus import data_files

REPO = Path(__file__).resolve().parent.parent
PAGES = REPO / "labels" / "data" / "pages"


def test_full_width_ascii_is_folded_and_odd_spaces_normalised():
    text, dropped = clean(["\u3000\u3000（一）党建引领；全年学习３０次！\ufeff", "  ", "甲\u00a0乙"])
    assert text == "(一)党建引领;全年学习30次!\n甲 乙"
    assert dropped == []


@pytest.mark.parametrize(
    "line",
    [
        "首页 > 范文 > 工作总结",
        "当前位置: 首页 > 工作总结",
        "索引号: 11370000/2024-00123",
        "发布机构:某街道办事处",
        "上一篇:关于…的通知",
        "返回顶部",
        "版权所有 © 2024",
        "www.example.com",
        "分享到:微信 微博",
    ],
)
def test_web_boilerplate_lines(line):
    assert clean([line, "正文。"]) == ("正文。", [line])


def test_a_web_table_copied_as_text_loses_its_labels_and_their_values():
    lines = [
        "索引号:",
        "11440300MB2C92180M/2023-00123",
        "发布机构:",
        "某市人民政府",
        "成文日期:",
        "2024-01-05",
        "某市2024年政府工作报告",
        "各位代表:",
        "现在,我代表市人民政府向大会报告工作。",
    ]
    text, dropped = clean(lines)
    assert text.splitlines() == lines[6:] and dropped == lines[:6]


def test_a_report_sentence_under_a_metadata_label_is_kept():
    assert clean(["发布机构:", "过去一年,全市经济运行稳中向好。"]) == ("过去一年,全市经济运行稳中向好。", ["发布机构:"])


def test_sentences_mentioning_a_website_are_kept():
    line = "群众可登录www.gov.cn查询办理进度。"
    assert clean([line]) == (line, [])


def test_control_characters_are_removed_and_long_lines_are_never_boilerplate():
    assert clean(["全年发放\x08补贴\x7f 30万元。"]) == ("全年发放补贴 30万元。", [])
    ip = "(一)加强知识产权保护。开展专项执法行动3次,维护版权所有人合法权益,查办侵权案件12起,挽回损失40余万元。"
    assert clean([ip]) == (ip, [])
    one_line = "一、工作回顾。" + "全年新增就业1200人。" * 10 + "试读结束" + "二、明年打算。" * 5
    assert clean([one_line]) == (one_line, [])
    assert clean(["版权所有:某某区人民政府"]) == ("", ["版权所有:某某区人民政府"])


@pytest.mark.parametrize(
    "line",
    [
        "范文大全网 > 工作总结 > 乡镇工作总结",
        "公文範文網 > 工作總結 > 社區工作總結",
        "2023年乡镇安全生产工作总结范文(通用5篇)",
        "2022年社區工作總結範文(精選3篇)",
        "县应急管理局2024年工作总结(3700字)",
        "下面是小编为大家整理的2023年社区工作总结,仅供参考,希望对大家有所帮助。",
        "本文僅供參考,如需下載請點擊“下載本文”。",
        "总结是对过去一定时期的工作、学习或思想情况进行回顾、分析,并做出客观评价的书面材料。",
        "那么一份好的社区工作总结该怎么写呢?",
        "(全文共3562字,点击下载完整版)",
        "作者:小编 时间:2023-12-18 阅读:1.2万",
        "点赞(46)  收藏(127)",
        "分享  收藏  點贊(128)",
        "篇一",
        "【篇二】",
        "相关范文推荐:",
        "上一页 1 2 3 下一页",
        "第2页",
        "本文由用户上传,如有侵权请联系删除。",
        "点击上方蓝字关注我们",
        "阅读原文",
        "在看 点赞",
        "加入阅览室 分享到:",
    ],
)
def test_fanwen_site_wrapper_lines_are_dropped(line):
    assert clean([line, "全年新增就业1200人。"]) == ("全年新增就业1200人。", [line])


@pytest.mark.parametrize(
    "line",
    [
        "推动居民下载国家反诈中心APP,注册率达85%。",
        "篇幅不长,但问题查摆深刻。",
        "社区2023年工作总结",
        "一、2023年工作总结",
        "安全生产方面:",
        "(一)加强知识产权保护。开展专项执法行动3次,维护版权所有人合法权益。",
        "为领导决策提供参考,完成调研报告5篇。",
    ],
)
def test_report_lines_that_look_like_wrapper_are_kept(line):
    assert clean([line]) == (line, [])


def test_titles_listed_under_a_related_line_are_dropped_until_the_text_goes_on():
    lines = [
        "一、主要工作",
        "全年开展检查12次。",
        "相关推荐:",
        "2023年社区党建工作总结范文",
        "社区消防安全工作总结",
        "二、下步打算",
        "继续开展检查。",
    ]
    text, dropped = clean(lines)
    assert dropped == lines[2:5] and text.splitlines() == lines[:2] + lines[5:]


def test_the_first_line_repeated_as_a_footer_is_dropped_but_not_a_repeat_near_the_top():
    lines = ["某镇2023年工作总结", "某镇2023年工作总结", "全年开展检查12次。", "完成改造3处。", "某镇2023年工作总结"]
    text, dropped = clean(lines)
    assert dropped == ["某镇2023年工作总结"] and text.splitlines() == lines[:4]


def _gold_by_page() -> dict[str, dict[str, list[dict]]]:
    """page → text → the gold units of that page with that text (reports of one page: X, X#2, …)."""
    out: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for path in data_files(REPO / "labels" / "data"):
        for line in path.read_text(encoding="utf-8").splitlines():
            u = json.loads(line)
            out[u["doc_id"].split("#")[0]][clean_line(u["text"])].append(u)
    return out


def test_no_labeled_unit_with_content_is_boilerplate():
    content = [
        u["text"]
        for texts in _gold_by_page().values()
        for units in texts.values()
        for u in units
        if u["type"] != "other" and is_boilerplate(clean_line(u["text"]))
    ]
    assert content == []


def test_what_the_written_pages_lose_is_what_their_labels_call_other():
    """The pages of labels/data/pages as the reader cleans them: every dropped line that is a labeled unit is
    other/其他, and the 范文 pages lose their wrapper."""
    gold = _gold_by_page()
    pages = sorted(PAGES.rglob("*.txt"))
    assert len(pages) >= 60
    dropped_units = 0
    for page in pages:
        _, dropped = clean(page.read_text(encoding="utf-8").splitlines())
        for line in dropped:
            for u in gold[page.stem].get(line, []):
                assert (u["domain"], u["type"]) == ("其他", "other"), (page.name, line)
                dropped_units += 1
    assert dropped_units >= 100


def test_a_piece_marker_between_two_reports_stays_for_the_segmenter_and_one_at_the_top_goes():
    page = [
        "2023年社区工作总结范文(通用2篇)",
        "篇一",
        "甲社区工作总结",
        "全年走访群众120户。",
        "【篇二】",
        "乙社区工作总结",
    ]
    text, dropped = clean(page)
    assert text.splitlines() == ["甲社区工作总结", "全年走访群众120户。", "【篇二】", "乙社区工作总结"]
    assert dropped == ["2023年社区工作总结范文(通用2篇)", "篇一"]
    assert piece_marker("範文三:") and piece_marker("第2篇") and not piece_marker("篇幅不长。")


def test_a_piece_marker_with_a_title_is_kept_as_the_pieces_title_line():
    page = [
        "2023年社区工作总结范文(通用2篇)",
        "篇一:甲社区2023年工作总结",
        "全年走访群众120户。",
        "範文二:乙社區工作總結",
    ]
    text, dropped = clean(page)
    assert text.splitlines() == page[1:] and dropped == page[:1]
    assert piece_title("範文二:乙社區工作總結") == "乙社區工作總結"  # in the line's own characters
    assert piece_title("【篇三】丙镇安全生产工作总结") == "丙镇安全生产工作总结"
    assert piece_title("第2篇 丁街道2024年工作计划") == "丁街道2024年工作计划"
    assert piece_title("第三季度工作总结") is None  # 第三 without 篇 is no piece
    assert piece_title("篇二:今年以来,我镇扎实推进各项工作。") is None  # a sentence, not a title
    assert piece_title("篇二") is None and piece_marker("篇二")


@pytest.mark.parametrize(
    "line",
    [
        "首页 | 政务公开 | 政务服务 | 互动交流",
        "首页  政务公开  政务服务  互动交流  走进苍岩",
        "网站首页 机构概况 政务公开 办事服务 互动交流",
    ],
)
def test_a_sites_navigation_bar_is_furniture(line):
    assert is_boilerplate(line)


def test_a_line_of_short_words_that_names_no_navigation_is_kept():
    assert not is_boilerplate("党建 民生 安全 环境 经济")
    assert not is_boilerplate("政务公开 工作 取得 新成效")  # one navigation word only
