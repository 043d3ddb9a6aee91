"""Text → units: one sentence or heading each, with the path of headings above it (`section`).

A paragraph is a line. Sentences end after 。！？!? (plus any closing quotes and brackets that
follow), never inside a matched pair of quotes or 《》. A paragraph that starts with a numbering
marker (一、 / (一) / 1. / (1) / ①) opens a part: its first sentence is a heading. Lead lines —
一是/二是… sentences, a short line ending in a colon ("安全生产方面:", "党建工作:") or naming an
aspect ("民生方面。") — are ordinary units but enter the section path of the units that follow them.
Each unit also carries its document's title: the first title-like line near the top, or the file's
title when the text has none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .boilerplate import piece_marker, piece_title, titled_pieces
from .config import default_config
from .normalize import to_simplified

SECTION_SEP = " > "
LEAD_LEVEL = 6  # 一是/二是… sit below every numbered heading level
LEAD_LABEL_CHARS = 40  # a longer lead enters the section path by its first clause only
TITLE_CHARS = 60

_CN = "一二三四五六七八九十百零〇"
_LEVELS = (  # (level, marker at paragraph start)
    (1, re.compile(rf"([{_CN}]+)、(?![{_CN}]{{1,3}}(?:季|月|年级))")),  # not 一、二季度
    (2, re.compile(rf"[(（]([{_CN}]+)[)）]")),
    (3, re.compile(r"(\d{1,3})[.、．](?!\d)")),
    (4, re.compile(r"[(（](\d{1,3})[)）]")),
    (5, re.compile(r"([①-⑳])")),
)
_FIRST = {"一", "1", "①"}
_LEAD = re.compile(r"[一二三四五六七八九十]{1,3}是")
# a short line that ends in a colon and leads the sentences under it, but not a salutation ("各位代表:") or a
# transition ("现将有关情况报告如下:")
_LEAD_LINE = re.compile(r"[^,，。;；!?！？]{2,20}[:：]|[^,，。;；:：]{2,14}方面[。.]?")
_NOT_LEAD = re.compile(r"如下|以下|各位|同志|代表|委员|常委会|[党市县区镇乡街]委[:：]$|领导|记者|[问答][:：]$|主持人")
# the addressee of a report ("区民政局:", "县委组织部调研组:") or a speech ("各位代表:") above its first sentence:
# a salutation, not a lead line
_ADDRESSEE = re.compile(r"(局|厅|处|办|办公室|政府|委员会|委|部|组|中心|领导|代表|同志们)[:：]$")
_TITLE_END = "。！？!?:：;；,，"
# a title-like line naming a kind of document or event is taken before a line that only looks like a title
_DOCUMENT_WORD = re.compile(
    r"报告|总结|计划|要点|思路|打算|安排|通报|讲话|致辞|发言|会议|会上|召开|开幕|闭幕|调研|督查|"
    r"曝光|暗访|解读|说明|答记者问|访谈|专访|方案|意见|办法|述职|述廉|公开|年报|纪要|部署"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SITE_NAME = re.compile(r"(网站|门户网|政府网|新闻网|文库|文档|平台)$")  # "XX县人民政府门户网站", "原创力文档"
TITLE_SEARCH = 6  # a document's title is among its first units
_END = "。！？!?"
_PAIRS = {"“": "”", "‘": "’", "《": "》", "「": "」", "『": "』"}
_QUOTE = re.compile(f"[{''.join(_PAIRS)}{''.join(_PAIRS.values())}]")
_STOP = re.compile(f"[{_END}][{_END}”’」』)）】》\"']*")  # an end mark with the closers kept with it
_CLAUSE = re.compile(r"[^,，;；:：。！？!?]+")


@dataclass
class Unit:
    text: str
    heading: bool = False
    split: bool = False


def marker(text: str) -> tuple[int, bool] | None:
    """(level, is the first item) of the numbering marker that starts `text`, if any."""
    for level, pattern in _LEVELS:
        m = pattern.match(text)
        if m:
            return level, m.group(1) in _FIRST
    return None


def _quoted(line: str) -> list[tuple[int, int]]:
    """(open, close) positions of the matched pairs of quotes and 《》 in a line."""
    spans, stack = [], []
    for m in _QUOTE.finditer(line):
        ch, i = m.group(), m.start()
        if ch in _PAIRS:
            stack.append((_PAIRS[ch], i))
        else:
            for depth in range(len(stack) - 1, -1, -1):  # an unmatched opener in between is dropped
                if stack[depth][0] == ch:
                    spans.append((stack[depth][1], i))
                    del stack[depth:]
                    break
    return spans


def split_sentences(line: str) -> list[str]:
    """Sentences of one line; the closing quotes and brackets after an end mark stay with it."""
    spans = _quoted(line) if _QUOTE.search(line) else []
    out, start = [], 0
    for m in _STOP.finditer(line):
        i, j = m.start(), m.end()
        if line[i] in "!?" and i + 1 < len(line) and line[i + 1].isascii() and line[i + 1].isalnum():
            continue  # a URL query, not a sentence end
        if not spans or not any(a < j - 1 < b for a, b in spans):
            out.append(line[start:j])
            start = j
    out.append(line[start:])
    return [s.strip() for s in out if s.strip()]


def split_long(sentence: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut after ；/; first, then after ，/,/：/:, then anywhere."""
    if len(sentence) <= limit:
        return [sentence]
    for seps in (";；", ",，:："):
        parts = [p for p in re.split(f"(?<=[{seps}])", sentence) if p]
        if len(parts) > 1:
            packed = [parts[0]]
            for p in parts[1:]:
                if len(packed[-1]) + len(p) <= limit:
                    packed[-1] += p
                else:
                    packed.append(p)
            return [q.strip() for p in packed for q in split_long(p, limit) if q.strip()]
    return [sentence[i : i + limit] for i in range(0, len(sentence), limit)]


def is_lead(text: str) -> bool:
    """A lead line: it enters the section path of the units after it (the 一是… of a part, "XX方面:")."""
    return bool(_LEAD.match(text)) or bool(_LEAD_LINE.fullmatch(text)) and not _NOT_LEAD.search(text)


def _title_like(text: str) -> bool:
    return (
        4 <= len(text) <= TITLE_CHARS
        and text[-1] not in _TITLE_END
        and marker(text) is None
        and not is_lead(text)
        and not text.startswith(("—", "-"))
        and not re.search("[:：>»›|]| {2}", text)  # a label line, a breadcrumb, columns of a navigation bar
        and not (_SITE_NAME.search(text) and not _DOCUMENT_WORD.search(text))
        and len(_CJK.findall(text)) >= 4
    )


def document_title(units: Iterable[tuple[str, bool]], fallback: str = "") -> str:
    """The title of one document from its (text, heading) units in order: the first title-like line among its
    first units that names a kind of document or event, else the first title-like line of 8 characters or
    more, else `fallback` (the file's own title). A 范文 piece's title line counts without its marker ("篇二:")."""
    texts = [piece_title(text) or text for text, heading in list(units)[:TITLE_SEARCH] if not heading]
    candidates = [text for text in texts if _title_like(text)]
    named = [t for t in candidates if _DOCUMENT_WORD.search(t)] + [t for t in candidates if len(t) >= 8]
    return named[0] if named else fallback


def _is_title(para: str, sentences: list[str]) -> bool:
    return (
        len(sentences) == 1
        and len(para) <= TITLE_CHARS
        and para[-1] not in _END + ":："
        and marker(para) is None
        and not is_lead(para)
    )


def _reports(paras: list[str], sentences: list[list[str]]) -> list[int]:
    """Paragraph indices where a new report starts: a title line, then numbering from 一 again."""
    starts, top, title = [0], None, None
    for k, para in enumerate(paras):
        mk = marker(para)
        if mk is None:
            if _is_title(para, sentences[k]):
                title = k
            continue
        level, first = mk
        if top is not None and first and level <= top and title is not None:
            while title - 1 > starts[-1] and paras[title - 1] == paras[title]:
                title -= 1  # a title printed twice stays together
            starts.append(title)
            top = None
        top = level if top is None else min(top, level)
        title = None
    return starts


def _cut_at_piece_markers(paras: list[str], starts: list[int]) -> list[list[int]]:
    """The paragraph indices of each report: the reports `_reports` found, cut again where a 范文 page marks its
    next piece: a marker alone ("篇二", left in the text by `boilerplate.clean`) is dropped, a marker with the
    piece's title ("篇二:XX镇2023年工作总结") opens the next report as its title line."""
    reports = []
    for a, b in zip(starts, starts[1:] + [len(paras)]):
        part: list[int] = []
        for k in range(a, b):
            if piece_marker(paras[k]):
                reports.append(part)
                part = []
            else:
                part.append(k)
        reports.append(part)
    pieces = [part[x:y] for part in reports for x, y in titled_pieces([paras[k] for k in part])]
    return [p for p in pieces if p]


def _units(paras: list[str], sentences: list[list[str]], limit: int, headings: set[str]) -> Iterator[Unit]:
    for k, para in enumerate(paras):
        sents = sentences[k]
        mk = marker(para)
        if para in headings and len(sents[0]) <= limit:
            yield Unit(sents[0], heading=True)
            sents = sents[1:]
        elif mk and len(sents[0]) <= limit:
            nxt = marker(paras[k + 1]) if k + 1 < len(paras) else (0, False)
            if len(sents) > 1 or nxt is None or nxt[0] > mk[0]:
                yield Unit(sents[0], heading=True)
                sents = sents[1:]
        for s in sents:
            pieces = split_long(s, limit)
            for p in pieces:
                yield Unit(p, split=len(pieces) > 1)


def lead_label(text: str) -> str:
    if len(text) <= LEAD_LABEL_CHARS:
        return text
    m = _CLAUSE.match(text)
    return (m.group(0) if m else text)[:LEAD_LABEL_CHARS]


def assign_sections(units: Iterable[tuple[str, bool]]) -> list[str]:
    """The section path of each (text, heading) unit of one document, in order.

    A heading is placed by its numbering marker (an unmarked heading counts as top level) and
    closes every open part of the same or a deeper level; a lead line closes the previous lead. A unit's own
    section never contains itself.
    """
    stack: list[tuple[int, str]] = []
    sections = []
    opening = True  # no sentence yet: a line ending in a colon here may be the addressee
    for text, heading in units:
        if heading:
            level, label = (marker(text) or (0, False))[0], text
        elif is_lead(text) and not (opening and _ADDRESSEE.search(to_simplified(text))):
            level, label = LEAD_LEVEL, lead_label(text)
        else:
            level = None
        if level is not None:
            while stack and stack[-1][0] >= level:
                stack.pop()
        sections.append(SECTION_SEP.join(lbl for _, lbl in stack))
        if level is not None:
            stack.append((level, label))
        opening = opening and not text.endswith(tuple(_END))
    return sections


def segment(
    text: str, doc_id: str, max_unit_chars: int | None = None, headings: Iterable[str] = (), title: str = ""
) -> list[dict]:
    """Unit records for the text of one file; a file holding several reports gets doc_id, doc_id#2, …
    `headings`: lines the file itself marks as headings (a .docx heading style), numbered or not; `title`: the
    file's own title (`read.Document.title`), for a report whose text has none; `max_unit_chars` (default:
    the default config's segment.max_unit_chars): longer sentences are cut."""
    max_unit_chars = max_unit_chars or default_config().segment.max_unit_chars
    headings = set(headings)
    paras = [p for p in (line.strip() for line in text.splitlines()) if p]
    sentences = [split_sentences(p) for p in paras]
    starts = _reports(paras, sentences)
    records = []
    for r, report in enumerate(_cut_at_piece_markers(paras, starts)):
        units = list(_units([paras[k] for k in report], [sentences[k] for k in report], max_unit_chars, headings))
        sections = assign_sections((u.text, u.heading) for u in units)
        report_title = document_title(((u.text, u.heading) for u in units), title)
        rid = doc_id if r == 0 else f"{doc_id}#{r + 1}"
        for seq, (u, section) in enumerate(zip(units, sections)):
            rec = {
                "doc_id": rid,
                "seq": seq,
                "text": u.text,
                "heading": u.heading,
                "section": section,
                "title": report_title,
            }
            if u.split:
                rec["split"] = True
            records.append(rec)
    return records


def document_units(doc, max_unit_chars: int | None = None) -> list[dict]:
    """The units of one read file (a `read.Document`), as every command gets them: segmented, with the file's
    path."""
    units = segment(doc.text, doc.doc_id, max_unit_chars, doc.headings, doc.title)
    for u in units:
        u["file"] = str(doc.path)
    return units
