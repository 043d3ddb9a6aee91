import json
import subprocess
import sys
from pathlib import Path

import pytest

from govtag.inference.metadata import KEYS, extract, genre_of
from govtag.inference.places import PROVINCES, place_chain
from govtag.inference.read import read, read_text
from govtag.inference.segment import document_units

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "labels" / "data_meta"


def meta_of(text: str, path: str | None = None) -> dict:
    """A text read the way a file is (page furniture dropped, segmented), then its metadata."""
    doc = read_text(text, "doc")
    return extract(document_units(doc), path, doc.dropped)


def test_a_street_summary_names_every_level_and_its_year():
    meta = meta_of("浙江省杭州市西湖区转塘街道2023年工作总结和2024年工作思路\n2023年,街道各项工作稳步推进。")
    assert meta == {
        "title": "浙江省杭州市西湖区转塘街道2023年工作总结和2024年工作思路",
        "year": 2023,
        "period": "2023",
        "province": "浙江省",
        "city": "杭州市",
        "county": "西湖区",
        "township": "转塘街道",
        "village": None,
        "place": "浙江省杭州市西湖区转塘街道",
        "level": "township",
        "genre": "工作总结",
    }
    assert list(meta) == list(KEYS)


@pytest.mark.parametrize(
    "text, year, period",
    [
        ("关于2024年工作情况和2025年工作打算的报告", 2024, "2024"),  # the period reported on, not the plan's
        ("2023年度工作总结\n清河街道办事处\n2024年1月10日", 2023, "2023"),  # published 2024, reports on 2023
        ("2025年工作要点", 2025, "2025"),
        ("2025年杭州市政府工作报告\n——2025年1月14日在杭州市第十四届人民代表大会第五次会议上", 2024, "2024"),
        ("政府工作报告\n——2025年1月15日在大理白族自治州第十五届人民代表大会第五次会议上", 2024, "2024"),
        ("2025年市政府工作报告重点任务分解方案", 2025, "2025"),  # the report's tasks are 2025's
        ("2025年XX市人大常委会工作报告", 2024, "2024"),  # delivered to the congress too
        ("《2025年政府工作报告》解读", 2025, "2025"),  # not the report itself
        ("2023—2025年兰州市城关区老旧小区改造三年行动计划", None, "2023-2025"),
        ("关于“十四五”规划纲要实施情况的中期评估报告", None, "2021-2025"),
        ("奋力推进“十四五”规划落地见效——XX县2024年工作总结", 2024, "2024"),  # a stated year beats 十四五
        ("二〇二三年工作总结", 2023, "2023"),
        ("２０２４年工作总结", 2024, "2024"),
        ("2024年12月全市重点工作督查通报", 2024, "2024"),
        ("工作总结\n发布时间:2025-01-08\n来源:西乡街道办事处", 2024, "2024"),  # an annual summary published in January
        ("工作计划\n三墩镇人民政府\n2024年12月28日", 2025, "2025"),  # a plan dated December is for the next year
        ("在全市安全生产工作会议上的讲话\n(2024年3月15日)", 2024, "2024"),
        ("老旧小区改造工作总结", None, None),
    ],
)
def test_year_is_the_period_reported_on(text, year, period):
    meta = meta_of(text)
    assert (meta["year"], meta["period"]) == (year, period)


@pytest.mark.parametrize(
    "title, chain",
    [
        ("吉林市2024年政府工作报告", {"city": "吉林市"}),
        ("吉林省吉林市2024年工作总结", {"province": "吉林省", "city": "吉林市"}),
        (
            "青海省海南藏族自治州共和县2024年工作总结",
            {"province": "青海省", "city": "海南藏族自治州", "county": "共和县"},
        ),
        ("海南州2023年政府工作报告", {"city": "海南州"}),
        (
            "内蒙古鄂尔多斯市伊金霍洛旗2025年工作计划",
            {"province": "内蒙古自治区", "city": "鄂尔多斯市", "county": "伊金霍洛旗"},
        ),
        ("广西百色市田阳区2024年工作总结", {"province": "广西壮族自治区", "city": "百色市", "county": "田阳区"}),
        ("上海市浦东新区2023年政府工作报告", {"province": "上海市", "county": "浦东新区"}),
        ("苏州市昆山市周市镇2024年工作总结", {"city": "苏州市", "county": "昆山市", "township": "周市镇"}),
        ("石家庄市长安区2025年工作计划", {"city": "石家庄市", "county": "长安区"}),
        ("济南市市中区2024年政府工作报告", {"city": "济南市", "county": "市中区"}),
        ("临夏州东乡族自治县2024年工作总结", {"city": "临夏州", "county": "东乡族自治县"}),
        (
            "湘西土家族苗族自治州花垣县双龙镇十八洞村2023年工作总结",
            {"city": "湘西土家族苗族自治州", "county": "花垣县", "township": "双龙镇", "village": "十八洞村"},
        ),
        ("曹县人民政府办公室关于印发曹县2023年度安全生产工作方案的通知", {"county": "曹县"}),
        ("中共延安市宝塔区委2024年工作总结", {"city": "延安市", "county": "宝塔区"}),
        ("2025年杭州市政府工作报告", {"city": "杭州市"}),
        ("学习运用“千万工程”经验 安吉县召开2024年乡村振兴推进会", {"county": "安吉县"}),
        ("廣州市天河區2023年工作總結", {"city": "广州市", "county": "天河区"}),
        ("湖南路街道2024年工作总结", {"township": "湖南路街道"}),
        ("阳光社区居委会2024年工作计划", {"village": "阳光社区"}),
        # not the document's place: quoted, a company's, a destination, a university, generic words, masks
        ("学习推广“浙江千万工程”经验 我县召开乡村振兴推进会", {}),
        ("兰州市城关区与“北京云帆科技有限公司”签订战略合作协议", {"city": "兰州市", "county": "城关区"}),
        ("赴浙江省安吉县考察学习乡村振兴工作的报告", {}),
        ("赴深圳市南山区学习考察报告", {}),
        ("平阴县赴浙江省安吉县考察学习报告", {"county": "平阴县"}),
        ("山东大学2024年工作总结", {}),
        ("智慧城市建设2024年工作总结", {}),
        ("关于加强“智慧城市”建设的实施意见", {}),
        ("XX市XX区2024年工作总结", {}),
        ("2024年全县乡镇党委书记抓基层党建述职评议会召开", {}),
        ("2024年12月全市重点工作督查通报", {}),
        ("关于20XX年X月份全镇安全生产暗访督查情况的通报", {}),
        ("关于全市居家和社区养老服务工作情况的报告", {}),
        ("城西农贸市场提升改造工作总结", {}),
        ("全县乡镇镇长座谈会召开", {}),
        ("全区城镇燃气安全排查整治工作总结", {}),
        ("全州县2024年工作总结", {"county": "全州县"}),
    ],
)
def test_place_chain(title, chain):
    assert place_chain(title) == chain


@pytest.mark.parametrize(
    "text, level",
    [
        ("县长在全县2024年经济工作会议上的讲话", "county"),
        ("市委常委会召开会议 研究部署2025年重点工作", "city"),
        ("区人力资源和社会保障局2024年工作总结和2025年工作计划", "county"),
        ("省发展改革委2025年工作要点", "province"),
        ("教育部2025年工作要点", "central"),
        ("国务院关于2024年度国有资产管理情况的综合报告", "central"),
        ("XX市XX区2024年工作总结", "county"),
        ("**街道2024年工作总结", "township"),
        ("社区2024年工作总结", "village"),
        ("关于对2024年度乡镇(街道)综合考核结果的通报", None),  # the towns are the ones assessed
        ("工作总结\n2023年,在县委、县政府的坚强领导下,我镇坚持稳中求进。", "township"),
        ("2024年工作总结\n今年以来,在区委、区政府的正确领导下,我局扎实推进各项工作。", "county"),
        ("2024年工作总结\n2024年,在区委、区政府的坚强领导下,各项工作落实见效。", "township"),
        ("利川市2023年政府工作报告", "city"),  # a county-level city: no gazetteer of cities tells it apart
    ],
)
def test_level(text, level):
    assert meta_of(text)["level"] == level


@pytest.mark.parametrize(
    "title, genre",
    [
        ("宁波市鄞州区人民政府2023年政府信息公开工作年度报告", "信息公开年报"),
        ("一图读懂《武汉市2025年优化营商环境行动方案》", "政策解读"),
        ("2024年全县乡镇党委书记抓基层党建述职评议会召开", "会议新闻"),
        ("2023年度县长个人述职述廉报告", "述职"),
        ("在镇第二十届人民代表大会第三次会议上的工作报告", "政府工作报告"),
        ("县委书记在全县“三级干部”大会上的讲话", "讲话"),
        ("关于2025年春节期间安全生产暗访检查情况的通报", "督查通报"),
        ("哈尔滨市南岗区领导到辖区企业调研", "会议新闻"),
        ("关于报送2024年工作总结和2025年工作计划的通知", "other"),
        ("关于印发《兰考县2024年乡村振兴工作要点》的通知", "工作计划"),
        ("金安区清水河街道2021年工作报告", "工作总结"),
        ("2025年市政府工作报告重点任务分解方案", "工作计划"),
        ("2023—2025年兰州市城关区老旧小区改造三年行动计划", "工作计划"),
        ("杭州亚运会筹备工作推进会召开", "会议新闻"),
        ("洪水", None),
    ],
)
def test_genre(title, genre):
    assert genre_of(title) == genre


def test_publishing_lines_and_the_reader_s_dropped_lines_give_place_and_year():
    # 发布机构/发布日期 lines are page furniture to the reader: extract gets them as extra_lines
    doc = read_text("政府信息公开工作年度报告\n发布日期:2025-01-20\n发布机构:陆家嘴街道办事处\n一、总体情况", "d")
    assert any("陆家嘴" in line for line in doc.dropped)
    meta = extract(document_units(doc), None, doc.dropped)
    assert (meta["year"], meta["township"], meta["level"], meta["genre"]) == (
        2024,
        "陆家嘴街道",
        "township",
        "信息公开年报",
    )
    # a publishing line naming the title's place with its parents fills them in
    meta = meta_of("余村2024年村务工作总结\n安吉县天荒坪镇余村村民委员会\n2025年1月6日")
    assert meta["place"] == "安吉县天荒坪镇余村" and meta["level"] == "village" and meta["year"] == 2024
    # a line addressed to the superior is not the author's
    assert meta_of("关于2024年工作情况的报告\n湄潭县人民政府:\n2024年,我镇各项工作稳步推进。")["county"] is None


def test_a_title_the_segmenter_leaves_out_for_its_colon():
    meta = meta_of("江苏:2024年全省高标准农田建设任务超额完成\n全省新建高标准农田四百万亩。")
    assert (meta["title"], meta["year"], meta["province"], meta["genre"]) == (
        "江苏:2024年全省高标准农田建设任务超额完成",
        2024,
        "江苏省",
        "other",
    )


def test_the_file_name_stands_in_for_a_missing_title():
    meta = meta_of("2024年,全镇上下坚持稳中求进,各项工作取得新成效。", "in/2024年东坝镇工作总结.docx")
    assert (meta["title"], meta["year"], meta["township"], meta["genre"]) == (
        "2024年东坝镇工作总结",
        2024,
        "东坝镇",
        "工作总结",
    )
    meta = meta_of("政府工作报告\n各位代表:", "西湖区2025年政府工作报告.pdf")
    assert (meta["year"], meta["county"]) == (2024, "西湖区")


def test_the_seed_reports():
    metas = {}
    for path in sorted((REPO / "examples").glob("*.txt")):
        doc = read(path)
        metas[path.name[:3]] = extract(document_units(doc), str(path), doc.dropped)
    assert {k: m["year"] for k, m in metas.items()} == {"000": 2025, "001": 2022, "002": 2024, "003": 2021, "004": 2025}
    assert metas["003"]["place"] == "金安区清水河街道" and metas["003"]["title"] == "金安区清水河街道2021年工作报告"
    assert {k: m["level"] for k, m in metas.items()} == {
        "000": None,  # 党工委会 alone; the street is named only further down
        "001": "township",
        "002": "township",
        "003": "township",
        "004": "township",
    }
    assert {m["genre"] for m in metas.values()} == {"工作总结"}
    assert all(metas[k]["place"] is None for k in ("000", "001", "002", "004"))


def test_the_provinces_are_the_34():
    assert len(PROVINCES) == 34
    for full, shorts in PROVINCES.items():
        for name in (full, *shorts):
            assert place_chain(f"{name}2024年工作总结") == {"province": full}, name


# --- the user's meta file -------------------------------------------------------------------------------------------


def test_the_labeled_set_is_well_formed():
    written = "written for govtag metadata tests"
    sources = {"titles": written, "held_out": written, "seeds": "examples/"}
    ids = set()
    for name, source in sources.items():
        rows = [json.loads(line) for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
        for row in rows:
            assert row["source"].startswith(source), row
            assert row["id"] not in ids
            ids.add(row["id"])
            assert row["level"] in (None, "central", "province", "city", "county", "township", "village"), row
            if row.get("province"):
                assert row["province"] in PROVINCES, row
    assert len([i for i in ids if i.startswith("d")]) >= 120 and len([i for i in ids if i.startswith("h")]) >= 40


def test_the_benchmark_prints_and_saves_the_figures(tmp_path):
    env = {"GOVTAG_BENCH_RESULTS": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "metadata_accuracy.py")], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert "titles (" in out.stdout and "seeds (5 documents" in out.stdout
    (written,) = tmp_path.glob("metadata_accuracy-*.json")
    result = json.loads(written.read_text(encoding="utf-8"))["result"]
    assert result["seeds"]["year"] == {"right": 5, "of": 5, "accuracy": 1.0}
    for name in ("titles", "held_out"):
        assert result[name]["year"]["accuracy"] >= 0.95 and result[name]["place"]["accuracy"] >= 0.9, name
