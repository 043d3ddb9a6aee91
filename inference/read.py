"""Reading reports: path expansion, decoding, .pdf/.html text (Word files: `word`), boilerplate removal.

Every problem with one input becomes a ReadError naming the file and the reason, so a caller can
report it and go on with the other files. `read` handles one file at a time (streaming).
"""
from __future__ import annotations

import codecs
import glob
import logging
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

OFFICE = (".doc", ".wps", ".rtf", ".odt")  # converted to .docx by LibreOffice (`soffice`), when it is installed
SUPPORTED = (".txt", ".docx", ".pdf", ".html", ".htm") + OFFICE
# Found in a directory these are reported as unsupported rather than skipped silently.
UNSUPPORTED_DOCS = (".xls", ".xlsx", ".ppt", ".pptx")

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Full-width ASCII variants to ASCII (the form the gold units were labelled in), odd spaces to a space.
_WIDE = re.compile("[\uff01-\uff5e\u3000\u00a0\ufeff\u200b-\u200d]")
_NARROW = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " ", "\u00a0": " "}
_BOILERPLATE_PHRASES = ("试读结束", "查阅全文", "用户自发贡献", "该文观点仅代表作者本人", "本站仅提供信息存储空间", "如发现本站有涉嫌",
                        "如若转载", "请注明出处", "可搜索其他更多资料", "写作网", "范文网")
_METADATA = r"(索引号|发布机构|发文机关|发文字号|成文日期|发布日期|发布时间|主题分类|公文种类|信息来源|浏览次数)\s*:"
_BOILERPLATE_LINE = re.compile("|".join((
    r"copyright\b", r".{0,40}版权所有(?!人)", r"(首页|当前位置|您的位置|您现在的位置)\s*[:>]", r"(上一篇|下一篇)\s*:", r"分享到", r"字号\s*:",
    r"(返回顶部|打印本页|关闭窗口|【打印】|【关闭】|相关推荐|相关阅读|相关文章|猜你喜欢|热门文章)$",
    _METADATA,
)), re.I)
_METADATA_LABEL = re.compile(_METADATA + r"$")  # a web table copied as text: "索引号:", its value on the next line
_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(com|cn|net|org)\b", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_UNCOMMON = re.compile(r"[^\s\x20-\x7e\u00a0-\u024f\u2000-\u206f\u2460-\u24ff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff"
                       r"\uff00-\uffef]")
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(\d{1,4}|第\s*\d+\s*页(\s*共\s*\d+\s*页)?)[-—–\s]*$")
_NAV_ATTR = re.compile(r"nav|menu|breadcrumb|crumb|footer|sidebar|share|copyright|pager", re.I)
_HTML_BLOCKS = ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "table",
                "section", "article", "blockquote", "pre", "dt", "dd")


class DecodeError(ValueError):
    pass


class ReadError(Exception):
    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason


@dataclass
class Document:
    path: Path
    doc_id: str
    text: str  # cleaned: boilerplate lines removed, full-width ASCII folded
    dropped: list[str] = field(default_factory=list)  # the boilerplate lines removed
    encoding: str = ""
    headings: set[str] = field(default_factory=set)  # lines set in a heading style (.docx), as in `text`


def expand(inputs: Iterable[str | Path], exclude: Path | None = None) -> Iterator[Path | ReadError]:
    """Files in the order given; directories recursively (sorted), leaving out the `exclude` directory (the
    run's own output, which may sit inside an input directory); globs. Each path once."""
    seen: set[Path] = set()
    skip = exclude.resolve() if exclude else None
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            named = sorted(f for f in p.rglob("*") if f.suffix.lower() in SUPPORTED + UNSUPPORTED_DOCS
                           and not any(part.startswith(".") for part in f.relative_to(p).parts)
                           and not (skip and f.resolve().is_relative_to(skip)))
            broken = [f for f in named if f.is_symlink() and not f.exists()]
            yield from (ReadError(f, "broken symbolic link: its target is missing") for f in broken)
            found = [f for f in named if f.is_file()]
            if not found and not broken:
                yield ReadError(p, f"no reports in this directory (looked for {' '.join(SUPPORTED)})")
        elif p.exists():
            found = [p]
        elif p.is_symlink():
            yield ReadError(item, "broken symbolic link: its target is missing")
            continue
        elif glob.has_magic(str(item)):
            found = sorted(Path(f) for f in glob.glob(str(item), recursive=True) if Path(f).is_file())
            if not found:
                yield ReadError(item, "no file matches this pattern")
        else:
            yield ReadError(item, "no such file or directory")
            continue
        for f in found:
            if f.resolve() not in seen:
                seen.add(f.resolve())
                yield f


def doc_ids(paths: list[Path]) -> dict[Path, str]:
    """The file stem; the path without suffix where two files share a stem; the whole path where two
    files differ only by their suffix (r.docx and r.html); the file name for X#2.txt beside an X file
    (the second report in X is X#2)."""
    stems = Counter(p.stem for p in paths)
    bases = Counter(p.with_suffix("").as_posix() for p in paths)

    def doc_id(p: Path) -> str:
        if stems[p.stem] == 1:
            numbered = re.fullmatch(r"(.+)#\d+", p.stem)
            return p.name if numbered and numbered.group(1) in stems else p.stem
        return p.with_suffix("").as_posix() if bases[p.with_suffix("").as_posix()] == 1 else p.as_posix()

    return {p: doc_id(p) for p in paths}


def _plausible(text: str, guessed: bool) -> bool:
    """Next to no control characters; for a guessed encoding also mostly Chinese/Latin characters."""
    sample = text[:100_000]
    control = len(_CONTROL.findall(sample))
    odd = len(_UNCOMMON.findall(sample)) if guessed else 0
    return control <= 0.01 * len(sample) and odd <= 0.1 * len(sample)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): a BOM wins, then UTF-8 (a few bad bytes replaced), then charset-normalizer's best guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), encoding
            except UnicodeDecodeError:
                raise DecodeError(f"undecodable text (starts with a {encoding} byte-order mark but is not {encoding})") from None
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        bad = len(re.findall("\ufffd+", text))  # one bad byte in a Chinese character gives two or three U+FFFD
        slips = bad <= max(2, 1e-3 * len(text)) and text.count("\ufffd") <= max(3, 0.01 * len(text))
        # a UTF-8 file with a stray bad byte or two: keep it, the bytes become U+FFFD
        text, encoding = (text, f"utf-8 ({bad} bad byte(s) replaced)") if slips else ("", "")
    if not encoding or "\x00" in text:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        text, encoding = (str(best), codecs.lookup(best.encoding).name) if best else ("", "")
    if encoding and _plausible(text, guessed=not encoding.startswith("utf-8")):
        return text, encoding
    try:  # a few lines of GBK (a title alone) are too little for the detector
        text = data.decode("gb18030")
        if "\x00" not in text and _plausible(text, guessed=True):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise DecodeError("binary data, not text")
    raise DecodeError("undecodable text (not UTF-8, UTF-16, GBK/GB18030 or another encoding that gives readable text)")


def _ends_sentence(line: str) -> bool:
    return line[-1] in "。！？!?:：;；" if line else True


def _pdf_lines(path: Path) -> tuple[list[str], list[str]]:
    """Lines of the text layer, hard-wrapped lines rejoined; page numbers are returned as dropped."""
    import pdfplumber
    from .segment import marker

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font-descriptor warnings about PDFs it reads fine
    lines, dropped, full = [], [], False
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            rows = [r for r in page.extract_text_lines(return_chars=False) if r["text"].strip()]
            left, right = min((r["x0"] for r in rows), default=0), max((r["x1"] for r in rows), default=0)
            for n, r in enumerate(rows):
                text = r["text"].strip()
                if n in (0, len(rows) - 1) and _PAGE_NUMBER.match(text):
                    dropped.append(text)
                    continue
                if lines and full and not _ends_sentence(lines[-1]) and marker(text) is None:
                    glue = " " if lines[-1][-1].isascii() and text[0].isascii() else ""
                    lines[-1] += glue + text
                else:
                    lines.append(text)
                char_width = (r["x1"] - r["x0"]) / len(text)
                # Near the right margin (ragged-right Latin text falls a word short): wrapped, not ended.
                full = r["x1"] >= right - max(2 * char_width, 0.15 * (right - left))
    return lines, dropped


def _html_lines(data: bytes) -> tuple[list[str], list[str], str]:
    from bs4 import BeautifulSoup

    text, encoding = decode(data)
    soup = BeautifulSoup(text, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "head"]):
        tag.decompose()  # never visible: not counted as boilerplate
    dropped = []
    page = len(soup.get_text(strip=True))
    # navigation by class or id name, but never a wrapper holding most of the page ("layout-with-sidebar")
    hidden = [t for t in soup.find_all(True) if t.name in ("nav", "footer", "aside", "form", "button")
              or t.name not in ("html", "body", "main", "article")
              and _NAV_ATTR.search(" ".join(t.get("class", [])) + " " + (t.get("id") or ""))
              and len(t.get_text(strip=True)) < 0.5 * page
              or t.name == "table" and "索引号" in t.get_text()]
    for tag in hidden:
        if not tag.decomposed:
            dropped.extend(s.strip() for s in tag.get_text("\n").splitlines() if s.strip())
            tag.decompose()
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    return soup.get_text().splitlines(), dropped, encoding


def _boilerplate(line: str) -> bool:
    """A short line with a web-page phrase or a line with several, a navigation or metadata line, or a short
    line with a URL. A long line with one such phrase is report text (a report saved as one line)."""
    phrases = sum(phrase in line for phrase in _BOILERPLATE_PHRASES)
    return (phrases > 1 or phrases == 1 and len(line) <= 60 or bool(_BOILERPLATE_LINE.match(line))
            or len(line) <= 120 and not _ends_sentence(line) and bool(_URL.search(line)))


def _fold(line: str) -> str:
    """Full-width ASCII folded, stray control characters removed (they break .xlsx), stripped."""
    return _CONTROL.sub("", _WIDE.sub(lambda m: _NARROW.get(m.group(), ""), line)).strip()


def clean(lines: Iterable[str]) -> tuple[str, list[str]]:
    """Fold width, strip lines, drop boilerplate lines (and the value line under a metadata label of a web
    table copied as text). Returns (text, dropped lines)."""
    kept, dropped = [], []
    value_follows = False
    for chunk in lines:
        for line in chunk.splitlines():
            line = _fold(line)
            if not line:
                continue
            value = value_follows and len(line) <= 40 and not _ends_sentence(line)
            (dropped if value or _boilerplate(line) else kept).append(line)
            value_follows = bool(_METADATA_LABEL.match(line))
    return "\n".join(kept), dropped


def read(path: str | Path, doc_id: str | None = None, max_bytes: int | None = None) -> Document:
    """One file as a Document, or a ReadError saying what is wrong with it."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ReadError(path, "no such file" if not path.exists() else "not a regular file")
    if suffix not in SUPPORTED:
        raise ReadError(path, f"unsupported file type {suffix or '(no extension)'}; supported: {' '.join(SUPPORTED)}")
    size = path.stat().st_size
    if size == 0:
        raise ReadError(path, "empty file")
    if max_bytes is not None and size > max_bytes:
        raise ReadError(path, f"file is {size / 1e6:.3g} MB, over the {max_bytes / 1e6:g} MB limit (segment.max_file_mb)")
    if suffix == ".docx" and not zipfile.is_zipfile(path):
        raise ReadError(path, "not a readable .docx file: not a Word package (damaged, or a .doc or other file "
                              "renamed .docx)")
    encoding, dropped, headings = "", [], []
    try:
        if suffix == ".txt":
            raw, encoding = decode(path.read_bytes())
            lines = raw.splitlines()
        elif suffix in (".html", ".htm"):
            lines, dropped, encoding = _html_lines(path.read_bytes())
        elif suffix == ".docx" or suffix in OFFICE:
            from .word import docx_lines, office_lines

            lines, headings = docx_lines(path) if suffix == ".docx" else office_lines(path)
        else:
            lines, dropped = _pdf_lines(path)
    except DecodeError as e:
        raise ReadError(path, str(e)) from None
    except ReadError:
        raise
    except Exception as e:  # python-docx, pdfplumber and zipfile raise many types on corrupt input
        raise ReadError(path, f"not a readable {suffix} file ({type(e).__name__}: {e})") from None
    text, more = clean(lines)
    dropped += more
    if not text:
        if dropped:
            raise ReadError(path, f"no text left after removing {len(dropped)} boilerplate line(s)")
        raise ReadError(path, "no text layer (a scanned PDF?)" if suffix == ".pdf" else "no text (only whitespace)")
    headings = {_fold(part) for line in headings for part in line.splitlines()} - {""}  # as the lines in `text`
    return Document(path, doc_id or path.stem, text, dropped, encoding, headings)


def read_all(items: list[Path | ReadError], max_bytes: int | None = None) -> Iterator[Document | ReadError]:
    """Documents one at a time, with the errors in between, for the output of `expand`."""
    ids = doc_ids([p for p in items if isinstance(p, Path)])
    for item in items:
        if isinstance(item, ReadError):
            yield item
            continue
        try:
            yield read(item, ids[item], max_bytes)
        except ReadError as e:
            yield e
