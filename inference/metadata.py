"""Document metadata — title, year, place, administrative level, genre — read from a document's title, its publishing
lines and its file name; a user's meta file (meta_file.py) overrides what is read.

Where: the title (the units' `title`, else a short first line naming a kind of document, else the file name); the
publishing lines: short lines among the first FIRST_LINES and last LAST_LINES units and the lines the reader dropped
as page furniture (`extra_lines`: "XX市人民政府办公室 2024年1月5日", "来源:XX区政府网", "发布机构:…", "——2025年1月14日
在XX市第十四届人民代表大会第五次会议上"); the first lines' sentences, for years and the author's level only. Text is
read width-folded and in simplified characters; names come back simplified.

Year: the one year whose work the document reports on, not the year it was published.
  1. Years the title (else the file name) writes: 2024年, 2024年度, 二〇二四年. Of several, the earliest:
     "2024年工作总结和2025年工作计划" and "关于2024年工作情况和2025年工作打算的报告" report on 2024; a plan names its own
     year ("2025年工作要点" → 2025). A date in the title (2024年12月) counts when it is the title's only year.
  2. A 政府工作报告 carries the year it is delivered to the people's congress (January–March) and reviews the year before:
     "2025年XX市政府工作报告" → 2024, and so does one whose delivery line is dated 2025年1月; so do the congress's other
     reports (人大常委会, 法院, 检察院工作报告). Only the report itself: "2025年市政府工作报告重点任务分解方案" plans
     2025, and a 解读 of it is of 2025 too.
  3. A span is no one year: "2023—2025年…三年行动计划" and "十四五" give year None, period "2023-2025" / "2021-2025".
  4. No year in the title or the file name: the years the first lines write outside dates ("2024年,在区委…",
     "一、2024年工作完成情况"): the first, or for a plan the latest. Else the date of a publishing line: a summary,
     述职 or 信息公开年报 dated January–February reports on the year before, a plan dated November–December on the
     year after, a 政府工作报告 on the year before its delivery; news, speeches, notices on the year of their date.
`period` is the year as text, or the span.

Place: the first chain of administrative units the title names — province (the 34, short forms too: 浙江, 广西,
内蒙古), then 市/州/盟/地区, then 县/区/旗 (a 市 after a city is a county-level city), then 乡/镇/街道, then 村/社区 —
starting the title or a part of it (after punctuation, a space, a year, 关于, 中共, 印发, 在). Names inside quotes
(“浙江经验”), names a company or university carries, generic words (老旧小区, 智慧城市) and places after 赴/到 are
not the document's. Without one in the title: the publishing lines, then the file name. A publishing line that
names the title's place with its parents fills them in. Without a gazetteer of cities a county-level city standing
alone (义乌市) reads as a city. A municipality's districts are county-level (北京市朝阳区: province, county).

Level: central, province, city, county, township (乡/镇/街道) or village (村/社区): the lowest unit of the place; else
what the title says of its author (国务院 and the ministries; 市政府, 县委书记, 区人力资源和社会保障局, 全县, 我市, XX区);
else the first lines ("我镇"; "在区委、区政府领导下" → a street or town under the district, or, with 我局, a district
department).

Genre: 信息公开年报, 政策解读, 会议新闻, 述职, 政府工作报告, 讲话, 督查通报, 工作总结 (summaries, work and situation
reports), 工作计划 (plans, 要点, 思路, 方案) or other, from the title (a notice 印发-ing a document takes its genre);
without a title from the first lines ("完成情况", "现将…总结如下").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .normalize import model_form
from .places import PLACE_KEYS, RANK, level_from_sentences, level_hint, place_chain
from .segment import marker

KEYS = ("title", "year", "period", *PLACE_KEYS, "place", "level", "genre")
FIRST_LINES, LAST_LINES = 10, 4
PUBLISHING_CHARS = 48  # a publishing line is short and ends no sentence

_GENRES = (  # the first that matches a title wins
    ("信息公开年报", r"信息公开.{0,6}年度?报告|信息公开年报"),
    ("政策解读", r"解读|图解|一图(?:读懂|看懂)|答记者问|政策问答"),
    ("会议新闻", r"(?:召开|举行|举办|开幕|闭幕|落幕|启动)$"),
    ("述职", r"述职|述廉|述责"),
    (
        "政府工作报告",
        r"政府工作报告(?!.{0,8}(?:分解|分工|解读|落实|执行|完成|任务))|人民代表大会.{0,16}上的?(?:政府)?工作报告",
    ),
    ("讲话", r"讲话|致辞|发言|主持词|在.{2,40}(?:会|会议|大会|全会|论坛|仪式)上的(?:报告|讲稿)"),
    ("督查通报", r"通报|督查|督察|暗访"),
    ("会议新闻", r"召开|举行|举办|调研|视察|检查指导|走访|慰问|签约|签署|签订|座谈|观摩|常务会议|研究部署"),
    ("other", r"(?:通知|意见|办法|决定|规定|细则|条例|公告|公示|批复|函|说明|公报)$"),
    (
        "工作总结",
        r"总结|(?<!政府)工作报告|情况的?(?:综合|专项)?报告|(?:工作|完成|开展|进展|推进|落实|执行|实施|建设)情况|汇报|工作回顾",
    ),
    ("工作计划", r"计划|要点|打算|思路|安排|规划|方案|任务清单|重点工作|责任清单"),
)
_GENRE_RES = [(genre, re.compile(p)) for genre, p in _GENRES]
_ISSUED = re.compile(r"印发《?(.+?)》?的?通知$")
_LINE_GENRES = (  # a document without a title, from its first lines
    ("政府工作报告", re.compile(r"向大会报告|人民代表大会第.{1,3}次会议上")),
    ("工作总结", re.compile(r"完成情况|总结如下|报告如下|工作回顾|主要工作")),
    ("工作计划", re.compile(r"(?:计划|要点|思路|打算)如下")),
)
_ADDRESSED = re.compile(r"(?:抄送|主送|抄报|报送|呈报)\s*:")
# besides the 政府工作报告, the reports delivered to the people's congress: named after the year of delivery
_DELIVERED = re.compile(r"(?:常委会|法院|检察院)工作报告")
_REVIEWS = {"工作总结", "述职", "信息公开年报"}  # genres that look back on a period

_CN_DIGIT = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"}
_CN_MONTH = {c: i for i, c in enumerate("一二三四五六七八九十", 1)} | {"十一": 11, "十二": 12}
_YEARS = re.compile(
    r"(?P<a>(?:19|20)\d\d)\s*(?:年度?)?\s*[-—–~～至到]\s*(?:(?P<b>(?:19|20)\d\d)|(?P<bb>\d\d))\s*年"  # 2023—2025年
    r"|(?P<d>(?:19|20)\d\d)\s*(?:年\s*|[-/.])(?P<m>\d{1,2})\s*(?:月|[-/.]\s*\d{1,2})"  # 2024年12月, 2024-06-21
    r"|(?P<y>(?:19|20)\d\d)\s*年"  # 2024年, 2024年度
    r"|(?P<c>[一二][〇零一二三四五六七八九]{3})\s*年(?:\s*(?P<cm>十[一二]|[一二三四五六七八九十])\s*月)?"  # 二〇二四年
    r"|十(?P<f>[一二三四五六七八九])五"  # 十四五: a five-year plan
)


# --- years ---------------------------------------------------------------------------------------------------------


def _mentions(text: str) -> dict[str, list]:
    """Years written in `text`: plain years, spans, dates (year, month) and five-year plans, in order."""
    found = {"year": [], "span": [], "date": [], "plan": []}
    for m in _YEARS.finditer(text):
        if m["a"]:
            end = int(m["b"]) if m["b"] else int(m["a"][:2] + m["bb"])
            if end > int(m["a"]):
                found["span"].append((int(m["a"]), end))
        elif m["d"]:
            found["date"].append((int(m["d"]), int(m["m"])))
        elif m["y"]:
            found["year"].append(int(m["y"]))
        elif m["c"]:
            year = int("".join(_CN_DIGIT[c] for c in m["c"]))
            found["date" if m["cm"] else "year"].append((year, _CN_MONTH[m["cm"]]) if m["cm"] else year)
        else:
            start = 2006 + 5 * "一二三四五六七八九".index(m["f"])  # 十一五: 2006-2010
            found["plan"].append((start, start + 4))
    return found


def _period_of_date(year: int, month: int, genre: str | None) -> int:
    if genre == "政府工作报告" or genre in _REVIEWS and month <= 2:
        return year - 1
    if genre == "工作计划" and month >= 11:
        return year + 1
    return year


def _year_in_title(text: str, genre: str | None) -> tuple[int | None, str | None] | None:
    """(year, period) from a title or file name, None when it writes no year."""
    found = _mentions(text)
    back = 1 if genre == "政府工作报告" or genre == "工作总结" and _DELIVERED.search(text) else 0
    if found["year"]:
        year = min(found["year"]) - back
    elif found["span"]:
        return None, "-".join(map(str, min(found["span"])))
    elif found["date"]:
        year = min(found["date"])[0] - back
    elif found["plan"]:
        return None, "-".join(map(str, min(found["plan"])))
    else:
        return None
    return year, str(year)


def _year(title: str, name: str, sentences: list[str], publishing: list[str], genre: str | None):
    for text in (title, name):
        found = _year_in_title(text, genre)
        if found:
            return found
    said = [y for s in sentences for y in _mentions(s)["year"]]
    if said:
        year = max(said) if genre == "工作计划" else said[0]
        return year, str(year)
    for line in publishing:
        dates = _mentions(line)["date"]
        if dates:
            year = _period_of_date(*dates[0], genre)
            return year, str(year)
    return None, None


# --- genre ---------------------------------------------------------------------------------------------------------


def genre_of(title: str) -> str | None:
    """The genre a title names; None when it names none. A notice issuing a document (关于印发…的通知) takes the
    document's genre."""
    text = model_form(title).strip()
    for genre, pattern in _GENRE_RES[:2]:  # 信息公开年报, 政策解读
        if pattern.search(text):
            return genre
    issued = _ISSUED.search(text)
    if issued:
        return genre_of(issued[1]) or "other"
    return next((genre for genre, pattern in _GENRE_RES[2:] if pattern.search(text)), None)


# --- one document --------------------------------------------------------------------------------------------------


def _title_like(text: str, named: bool = True) -> bool:
    """A line that may be the title: short, ending no sentence, unnumbered, naming a kind of document (or, with
    `named` False, of 8 characters or more and no date: the first line only)."""
    if len(text) > 60 or text[-1] in "。！？!?;；,，:" or marker(text) is not None:
        return False
    return genre_of(text) is not None if named else len(text) >= 8 and not _mentions(text)["date"]


def _publishing(unit: dict) -> bool:
    """A short line that ends no sentence and addresses no one (市人民政府:, 抄送:…)."""
    text = model_form(unit["text"])
    return (
        not unit.get("heading")
        and len(text) <= PUBLISHING_CHARS
        and text[-1] not in "。!?;,:"
        and not _ADDRESSED.match(text)
    )


def extract(units: list[dict], path: str | None = None, extra_lines: Iterable[str] = ()) -> dict:
    """The metadata of one document from its units in order (as `segment.document_units` gives them) and its file:
    {"title", "year", "period", "province", "city", "county", "township", "village", "place", "level", "genre"},
    None where the document does not say. `extra_lines`: lines the reader dropped as page furniture
    (`read.Document.dropped`), where 来源/发布机构/发布日期 lines end up."""
    units = [u for u in units if u.get("text")]
    path = path or (units[0].get("file") if units else None)
    name = model_form(Path(path).stem) if path else ""
    name = name if re.search("[\u4e00-\u9fff]", name) else ""
    title = next((u["title"] for u in units if u.get("title")), None)
    head = units[:FIRST_LINES]
    if not title:  # the segmenter takes no title with a colon ("江苏:…"); a title-less report has none
        lines = [u["text"] for u in head if not u.get("heading")]
        title = next((t for t in lines if _title_like(model_form(t))), None)
        title = title or next((t for t in lines[:1] if _title_like(model_form(t), named=False)), None)
        title = title or name or None
    rest = [u for u in head if model_form(u["text"]) != model_form(title or "")]
    tail = units[max(FIRST_LINES, len(units) - LAST_LINES) :]
    publishing = [model_form(u["text"]) for u in rest + tail if _publishing(u)] + [model_form(x) for x in extra_lines]
    sentences = [model_form(u["text"]) for u in rest if not _publishing(u) or u.get("heading")]
    simple = model_form(title or "")

    genre = genre_of(simple) if title else None
    if genre is None:
        genre = next((g for s in sentences for g, p in _LINE_GENRES if p.search(s)), "other" if title else None)
    year, period = _year(simple, name, sentences, publishing, genre)

    chain = place_chain(simple)
    hint = None if chain else level_hint(simple)
    for source in publishing + [name]:
        found = place_chain(source)
        if not found:
            continue
        if not chain and (hint is None or hint == max(found, key=RANK.get)):
            chain = found
        elif chain:
            lowest = max(chain, key=RANK.get)
            if found.get(lowest) == chain[lowest]:  # the same place with its parents: fill them in
                chain = {k: v for k, v in found.items() if RANK[k] <= RANK[lowest]} | chain
        break
    if chain:
        level = max(chain, key=RANK.get)
    else:
        level = hint or next(filter(None, map(level_hint, publishing)), None) or level_from_sentences(sentences)
    meta = {"title": title, "year": year, "period": period, **{k: chain.get(k) for k in PLACE_KEYS}}
    meta["place"] = "".join(chain[k] for k in PLACE_KEYS if k in chain) or None
    meta["level"], meta["genre"] = level, genre
    return meta


# --- the user's meta file ------------------------------------------------------------------------------------------
