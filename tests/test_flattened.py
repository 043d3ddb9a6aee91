"""inference/flattened.py: a document-sharing site's page-per-line copy given its lines back, through the reader."""

from govtag.inference.boilerplate import is_boilerplate
from govtag.inference.flattened import unflatten
from govtag.inference.read import read_text
from govtag.inference.segment import segment

TITLE = "青川镇2022年政府工作报告"
PAGE_1 = (
    f"1、{TITLE}{TITLE}{TITLE}  各位代表:现在,我代表镇人民政府向大会作工作报告,请予审议。  一、过去一年工作回顾  "
    "一年来,全镇经济社会进展稳中有进,各项工作取得新成效。  (一)乐观推动产业进展。新引进亿元项目3个,"
    "完成固定资产投资1.2亿"
)
PAGE_2 = (
    "2、元,同比增长8%。  (二)仔细做好民生效劳。发放低保金86万元,新建村级养老效劳站4个,"
    "为全镇1200名老人提供上门效劳。  二、今年工作安排  坚决以人民为中心,全力推动乡村振兴。"
    "  加快集镇污水管网建设,年内完成主管网铺设5公里。"
)
SHARING_PAGE = [
    TITLE,
    "ID:21393329",
    "大小:44.50 KB",
    "页数:9页",
    f"{TITLE}_第1页",
    f"{TITLE}_第2页",
    "资源描述:",
    f"《{TITLE}》由会员上传分享,免费在线阅读,更多相关内容在应用文档-天天文库",
    PAGE_1,
    PAGE_2,
    "相关文档",
    "乡镇换届五年政府工作报告",
]


def test_pages_get_their_lines_back_and_a_cut_sentence_is_joined():
    lines = unflatten([PAGE_1, PAGE_2])
    assert lines[0] == TITLE  # printed once
    assert "一、过去一年工作回顾" in lines and "二、今年工作安排" in lines
    assert "(一)乐观推动产业进展。新引进亿元项目3个,完成固定资产投资1.2亿元,同比增长8%。" in lines
    assert not any(line.startswith(("1、", "2、")) for line in lines)


def test_the_reader_drops_the_sites_record_and_segments_the_report():
    doc = read_text("\n".join(SHARING_PAGE), doc_id="p")
    assert {"ID:21393329", "大小:44.50 KB", "页数:9页", f"{TITLE}_第2页", "资源描述:", "相关文档"} <= set(doc.dropped)
    assert "乡镇换届五年政府工作报告" in doc.dropped  # a title listed under 相关文档
    units = segment(doc.text, "p")
    headings = [u["text"] for u in units if u["heading"]]
    assert headings[0] == "一、过去一年工作回顾" and "二、今年工作安排" in headings
    cut = next(u for u in units if u["text"].endswith("同比增长8%。"))
    assert cut["text"].startswith("新引进亿元项目3个") and cut["section"].startswith("一、过去一年工作回顾")
    assert all(u["title"] == TITLE for u in units)


def test_long_numbered_items_and_table_rows_are_left_alone():
    items = [
        "1、" + "加强基层党组织建设,推进村级活动场所规范化建设," * 6 + "全年整顿软弱涣散村党组织3个。",
        "2、" + "持续改善农村人居环境,开展村庄清洁行动," * 6 + "全年清理垃圾1.2万吨。",
    ]
    assert unflatten(items) == items  # they end their sentences and have no runs of spaces: a list
    row = "传统工作模式  现代工作要求"
    template = "全年排查矛盾纠纷(  )件,化解(  )件,化解率达到(  )%。" * 3
    assert unflatten([row, template]) == [row, template]


def test_a_long_line_with_lost_line_breaks_is_split_where_they_were():
    lines = [
        "一、主要工作",
        "全年新增城镇就业520人,发放创业担保贷款300万元,帮扶困难人员再就业86人,开展职业技能培训12期。",
        "二、存在问题",
        "就业服务力量薄弱,基层平台人员少、任务重。",
    ]
    assert unflatten(["  ".join(lines)]) == lines
    assert unflatten([" ".join(lines)]) == [" ".join(lines)]  # one space is no lost line break


def test_sharing_site_records_are_furniture_and_report_lines_are_not():
    for line in (
        "ID:8821",
        "文档大小:38.5KB",
        "页数:21页",
        "某局工作总结_第3页",
        "精品文档",
        "word版本可编辑",
        "(剩余5页未读)",
    ):
        assert is_boilerplate(line), line
    for line in ("时间紧任务重。", "页数不多,但内容详实。", "全镇学习资料发放到户。"):
        assert not is_boilerplate(line), line


def test_a_hard_wrap_inside_a_word_ending_in_yi_opens_no_new_report():
    lines = ["二、存在的问题", "一是产业结构单", "一、创新能力不强,发展后劲不足。", "二是基础设施欠账较多。"]
    assert unflatten(lines) == [
        "二、存在的问题",
        "一是产业结构单一、创新能力不强,发展后劲不足。",
        "二是基础设施欠账较多。",
    ]
    title_then_part = ["石门镇2024年工作计划", "一、总体要求"]  # 计划 ends in 划: a title, then its first part
    assert unflatten(title_then_part) == title_then_part
    units = segment(
        read_text("\n".join(["XX镇2023年工作总结", "一、主要工作", "全年完成投资2亿元。", *lines])).text, "d"
    )
    assert {u["doc_id"] for u in units} == {"d"}
