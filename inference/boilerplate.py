"""Page furniture: the lines of a web page that are not the report — navigation, metadata tables, pagination,
spam and the wrapper of 范文 sites (breadcrumb trails, collection titles, editors' introductions, 供参考 /
download / copyright notices, author and share lines, lists of related titles, the title repeated as a
footer). `clean` drops them and returns them, so they are counted; it never drops a long line of report text,
and no labeled unit with content is dropped by these rules (tests/test_boilerplate.py checks the corpus).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .flattened import unflatten
from .normalize import ends_sentence, to_simplified

_PHRASES = (
    "试读结束",
    "查阅全文",
    "用户自发贡献",
    "该文观点仅代表作者本人",
    "本站仅提供信息存储空间",
    "如发现本站有涉嫌",
    "如若转载",
    "请注明出处",
    "可搜索其他更多资料",
    "写作网",
    "范文网",
)
_METADATA = r"(索引号|发布机构|发文机关|发文字号|成文日期|发布日期|发布时间|主题分类|公文种类|信息来源|浏览次数)\s*:"
_LINE = re.compile(
    "|".join(
        (
            r"copyright\b",
            r".{0,40}版权所有(?!人)",
            r"(首页|当前位置|您的位置|您现在的位置)\s*[:>]",
            r"(上一篇|下一篇)\s*:",
            r"分享到",
            r"字号\s*:",
            r"(返回顶部|打印本页|关闭窗口|【打印】|【关闭】|相关推荐|相关阅读|相关文章|猜你喜欢|热门文章)$",
            _METADATA,
        )
    ),
    re.I,
)
_METADATA_LABEL = re.compile(_METADATA + r"$")  # a web table copied as text: "索引号:", its value on the next line
PAGE_NUMBER = re.compile(r"^[-—–\s]*(\d{1,4}|第\s*\d+\s*页(\s*共\s*\d+\s*页)?)[-—–\s]*$")
_PAGER_WORD = re.compile(r"上一?页|下一?页|首页|尾页|末页|第\s*\d+\s*页|共\s*\d+\s*页")
_PAGER_REST = re.compile(r"[\d\s|/<>«»…\.]")  # page numbers and separators between the pager's words
# a site's navigation bar copied as one line: "首页 | 政务公开 | 政务服务 | 互动交流", "网站首页  机构概况  走进XX"
_NAV_ITEM = re.compile(
    r"(网站)?首页|政务公开|信息公开|政府信息公开|政务服务|办事服务|互动交流|政民互动|公众参与|新闻中心|新闻动态|"
    r"机构概况|专题专栏|数据发布|走进\S{1,6}"
)
_NAV_SEP = re.compile(r"\s*[|｜·•]\s*|\s+")
_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(com|cn|net|org)\b", re.I)

# 范文-site wrapper. Each rule names words no report uses of itself; most apply to short lines only.
_EDITORIAL = re.compile(
    r"小编|仅供参考|以供参考|供大家参考|供您参考|欢迎(阅读|借鉴|参考|收藏|下载)|希望(对|能)(大家|你|您)"
    r"|(一起|快)来看看|精心(整理|收集|挑选)|网友(整理|分享|投稿)|^[【\[](导读|导语)[】\]]"
    r"|^总结是.{0,60}(书面材料|文体|文种)|(该|怎么|如何)写(呢|好)?\?$|可供.{0,16}参考|范文,"
)
_NOTICE = re.compile(
    r"(免费|点击|立即|全文|付费)下载|下载(本文|文档|全文|此文|word)|文档格式|word格式|原创(文章|作品|声明)|如有侵权|侵权(必究|删除|请联系)|"
    r"版权(归|声明)|转载(请|须)|全文共\s*\d+\s*字|阅读全文|点击(查看|阅读|进入)|会员(专享|下载)|"
    r"本文(链接|地址|标签)|\.(docx?|wps|pdf)$",
    re.I,
)
# a document-sharing site's record of the file: its id, size, page count, page previews, upload notice
_SHARING = re.compile(
    r"(ID|文档编号|文档ID)\s*:\s*\w+$|(大小|文件大小|文档大小)\s*:\s*[\d.]+\s*[KMG]?B?$|(页数|文档页数)\s*:\s*\d+\s*页?$"
    r"|.{2,60}_第\s*\d+\s*页$|资源描述\s*:?$|由会员上传分享|免费在线阅读|仅供预览|\[\s*字体\s*:|word版本可编辑|WORD格式"
    r"|^(精品|优质|精选)文档$|^学习资料$|剩余\s*\d+\s*页未读|^(欢迎下载|感谢阅读|谢谢阅读)$",
    re.I,
)
_WECHAT = re.compile(
    r"点击(上方)?.{0,6}关注|关注我们$|^阅读原文$|^(在看|点赞|分享|赞)([|/\s]*(在看|点赞|分享|赞))*$|长按(识别)?二维码|扫码关注"
)
_BYLINE = re.compile(r"(作者|编辑|责任编辑|责编|来源|发布者|投稿|时间|日期|更新时间|阅读|浏览|点击)\s*:")
_SHARE_WORDS = re.compile(
    r"分享|收藏|点赞|评论|举报|打印|关闭|复制链接|微信|微博|QQ空间|QQ|朋友圈|扫一扫|[\d\s|/,、:()【】\[\]<>·-]"
)
_SHARE_TO = re.compile(r"分享到\s*:?$")  # "加入阅览室 分享到:", the share buttons' caption
_WORD_COUNT = re.compile(r"\(\d{3,5}字\)$")  # a title as 范文 sites list it: "…工作总结(3700字)"
_COLLECTION = re.compile(r"范文|精选\s*\d+\s*篇|通用\s*\d+\s*篇|\d+\s*篇(精选|汇总|合集)|(汇总|合集|大全)(\(\d+篇\))?$")
_NUMERAL = r"[一二三四五六七八九十\d]+"
_PIECE_MARKER = re.compile(rf"[(【\[]?(篇|范文|第)\s*{_NUMERAL}\s*篇?[)】\]]?:?")
# a piece marker that carries the piece's title: "篇二:XX镇2023年工作总结", "【范文三】XX…", "第2篇 XX…"
_TITLED_PIECE = re.compile(
    rf"(?:[(【\[]?(?:篇|范文)\s*{_NUMERAL}[)】\]]|(?:篇|范文)\s*{_NUMERAL}\s*[:、.\s]"
    rf"|[(【\[]?第\s*{_NUMERAL}\s*篇[)】\]]?\s*[:、.]?)\s*(?P<title>\S.{{3,58}})"
)
_BREADCRUMB = re.compile(r"[^>»›]{1,24}(\s*(>>?|»|›)\s*[^>»›]{1,24}){2,}")
_RELATED = re.compile(r"(相关|推荐|热门|更多|延伸|最新|精彩)[^,。]{0,10}(推荐|阅读|文章|范文|专题|下载|文档)\s*:?")
_DOCUMENT_WORD = re.compile(r"总结|报告|计划|方案|要点|讲话|发言|心得|体会|范文|材料|述职|汇报|致辞|通报")


def _nav_bar(line: str) -> bool:
    items = [item for item in _NAV_SEP.split(line) if item]
    return (
        len(line) <= 80
        and len(items) >= 4
        and all(len(item) <= 8 for item in items)
        and sum(bool(_NAV_ITEM.fullmatch(item)) for item in items) >= 2
    )


def _web_page_line(line: str) -> bool:
    """A short line with a web-page phrase or a line with several, a navigation or metadata line, or a short
    line with a URL. A long line with one such phrase is report text (a report saved as one line)."""
    phrases = sum(phrase in line for phrase in _PHRASES)
    return (
        phrases > 1
        or phrases == 1
        and len(line) <= 60
        or bool(_LINE.match(line))
        or _nav_bar(line)
        or len(line) <= 60
        and bool(PAGE_NUMBER.match(line) or _pager(line))
        or len(line) <= 120
        and not ends_sentence(line)
        and bool(_URL.search(line))
    )


def _pager(line: str) -> bool:
    """A pager: "上一页 1 2 3 下一页", "第2页 共5页" (a row of numbers alone may be a table's)."""
    return bool(_PAGER_WORD.search(line)) and not _PAGER_REST.sub("", _PAGER_WORD.sub("", line))


def _wrapper_line(line: str) -> bool:
    """A line of a 范文 site's wrapper, recognised by itself."""
    short = len(line) <= 60
    return bool(
        _EDITORIAL.search(line)
        and len(line) <= 300
        or short
        and _NOTICE.search(line)
        or short
        and _BYLINE.match(line)
        or short
        and _WECHAT.search(line)
        or short
        and _SHARING.search(line)
        or len(line) <= 40
        and any(w in line for w in ("分享", "收藏", "点赞"))
        and not _SHARE_WORDS.sub("", line)
        or len(line) <= 30
        and _SHARE_TO.search(line)
        or short
        and _WORD_COUNT.search(line)
        or short
        and not ends_sentence(line)
        and _COLLECTION.search(line)
        and piece_title(line) is None
        or _PIECE_MARKER.fullmatch(line)
        or len(line) <= 80
        and _BREADCRUMB.fullmatch(line)
        or short
        and _RELATED.fullmatch(line)
    )


def is_boilerplate(line: str) -> bool:
    """A line that is page furniture wherever it stands (a cleaned line: `normalize.clean_line`), in simplified
    or traditional characters."""
    line = to_simplified(line)
    return _web_page_line(line) or _wrapper_line(line)


def piece_marker(line: str) -> bool:
    """A 范文 page's marker of the next piece ("篇二", "【范文三】", "第2篇"): where one report ends and another
    starts."""
    return bool(_PIECE_MARKER.fullmatch(to_simplified(line)))


def piece_title(line: str) -> str | None:
    """The title a piece marker carries ("篇二:XX镇2023年工作总结" → "XX镇2023年工作总结"), in the line's own
    characters; None when the line is not a titled piece marker. Such a line opens the next report of a 范文
    page and stays in it as its title."""
    m = _TITLED_PIECE.fullmatch(to_simplified(line))
    if m is None or ends_sentence(m["title"]):
        return None
    return line[m.start("title") :]


def titled_pieces(texts: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each report in a run of lines or units that titled piece markers cut: each such line
    (`piece_title`) but the first opens the next report, as its title line."""
    starts = [0] + [k for k, text in enumerate(texts) if k and piece_title(text) is not None]
    return list(zip(starts, starts[1:] + [len(texts)]))


def _related_title(line: str) -> bool:
    """A line of a list of other documents' titles, as 范文 sites print them under 相关推荐."""
    return len(line) <= 60 and not ends_sentence(line) and bool(_DOCUMENT_WORD.search(to_simplified(line)))


def clean(lines: Iterable[str]) -> tuple[str, list[str]]:
    """Fold width, strip lines, give a flattened copy its lines back (`flattened.unflatten`), then drop page
    furniture: lines that are furniture by themselves, the value line under a metadata label of a web table
    copied as text, the titles listed under a 相关推荐 line, and the page's first line repeated in its second
    half (a footer). A piece marker between two reports ("篇二") stays,
    for `segment` to cut there (it never becomes a unit). Returns (text, dropped lines)."""
    lines = unflatten(lines)
    kept, dropped = [], []
    value_follows = related = False
    first = None
    for n, line in enumerate(lines):
        value = value_follows and len(line) <= 40 and not ends_sentence(line)
        listed = related and _related_title(line)
        footer = line == first and n >= len(lines) / 2 and not ends_sentence(line)
        drop = value or listed or footer or is_boilerplate(line)
        if drop and kept and piece_marker(line):
            drop = False  # the cut between two reports of one page (`segment`)
        (dropped if drop else kept).append(line)
        if not drop and first is None:
            first = line
        value_follows = bool(_METADATA_LABEL.match(line))
        simple = to_simplified(line)
        related = listed or bool(_RELATED.fullmatch(simple) or _LINE.match(simple) and "相关" in simple)
    return "\n".join(kept), dropped
