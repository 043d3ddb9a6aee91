"""Reading reports: path expansion, decoding, .pdf/.html text (Word files: `word`), boilerplate removal.

Every problem with one input becomes a ReadError naming the file and the reason, so a caller can
report it and go on with the other files. `read` handles one file at a time (streaming).
"""

from __future__ import annotations

import codecs
import errno
import glob
import logging
import os
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from .boilerplate import PAGE_NUMBER, clean
from .document import DecodeError, Document, ReadError
from .normalize import CONTROL, clean_line, ends_sentence
from .segment import marker
from .word import docx_lines, office_lines

OFFICE = (".doc", ".wps", ".rtf", ".odt")  # converted to .docx by LibreOffice (`soffice`), when it is installed
SUPPORTED = (".txt", ".docx", ".pdf", ".html", ".htm") + OFFICE
# Found in a directory these are reported as unsupported rather than skipped silently.
UNSUPPORTED_DOCS = (".xls", ".xlsx", ".ppt", ".pptx")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UNCOMMON = re.compile(
    r"[^\s\x20-\x7e\u00a0-\u024f\u2000-\u206f\u2460-\u24ff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff"
    r"\uff00-\uffef]"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NAV_ATTR = re.compile(r"nav|menu|breadcrumb|crumb|footer|sidebar|share|copyright|pager", re.I)
_HTML_BLOCKS = (
    "p",
    "div",
    "br",
    "li",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "section",
    "article",
    "blockquote",
    "pre",
    "dt",
    "dd",
)


def _link_problem(path: Path) -> str | None:
    """Why a symbolic link cannot be followed (None: it can)."""
    try:
        os.stat(path)
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop: the link leads back to itself"
        if e.errno == errno.ENOENT:
            return "broken symbolic link: its target is missing"
        return f"cannot follow this symbolic link ({e.strerror or e})"


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop (RuntimeError before Python 3.13)
        return path.absolute()


def _walk(root: Path, skip: Path | None) -> tuple[list[Path], list[ReadError]]:
    """The report files under `root` (not in hidden folders, not under `skip`), sorted, and the folders and
    links that could not be read."""
    named, errors = [], []

    def unreadable(e: OSError) -> None:
        errors.append(ReadError(e.filename or root, f"cannot list this directory ({e.strerror or e}); skipped"))

    for folder, subfolders, files in os.walk(root, onerror=unreadable):
        here = Path(folder)
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and not (skip and _resolved(here / d) == skip)]
        named += [
            here / f for f in files if Path(f).suffix.lower() in SUPPORTED + UNSUPPORTED_DOCS and not f.startswith(".")
        ]
    links = {f: _link_problem(f) for f in named if f.is_symlink()}
    errors += [ReadError(f, problem) for f, problem in links.items() if problem]
    return sorted(f for f in named if not links.get(f) and f.is_file()), errors


def expand(inputs: Iterable[str | Path], exclude: Path | None = None) -> Iterator[Path | ReadError]:
    """Files in the order given; directories recursively (sorted), leaving out the `exclude` directory (the
    run's own output, which may sit inside an input directory); globs. Each path once. What cannot be listed
    or followed (a folder without permission, a broken link, a link loop) comes as a ReadError in its place."""
    seen: set[Path] = set()
    skip = _resolved(exclude) if exclude else None
    for item in inputs:
        p = Path(item)
        if p.is_symlink() and _link_problem(p):
            yield ReadError(item, _link_problem(p))
            continue
        if p.is_dir():
            found, errors = _walk(p, skip)
            yield from sorted(errors, key=lambda e: e.path)
            if not found and not errors:
                yield ReadError(p, f"no reports in this directory (looked for {' '.join(SUPPORTED)})")
        elif p.exists():
            found = [p]
        elif glob.has_magic(str(item)):
            found = sorted(Path(f) for f in glob.glob(str(item), recursive=True) if Path(f).is_file())
            if not found:
                yield ReadError(item, "no file matches this pattern")
        else:
            yield ReadError(item, "no such file or directory")
            continue
        for f in found:
            real = _resolved(f)
            if real not in seen:
                seen.add(real)
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
    control = len(CONTROL.findall(sample))
    odd = len(_UNCOMMON.findall(sample)) if guessed else 0
    return control <= 0.01 * len(sample) and odd <= 0.1 * len(sample)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): a BOM wins, then UTF-8 (a few bad bytes replaced), then charset-normalizer's best guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding
            except UnicodeDecodeError:
                raise DecodeError(
                    f"undecodable text (starts with a {encoding} byte-order mark but is not {encoding})"
                ) from None
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


def _pdf_lines(path: Path) -> tuple[list[str], list[str]]:
    """Lines of the text layer, hard-wrapped lines rejoined; page numbers are returned as dropped."""
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font-descriptor warnings about PDFs it reads fine
    lines, dropped, full = [], [], False
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            rows = [r for r in page.extract_text_lines(return_chars=False) if r["text"].strip()]
            left, right = min((r["x0"] for r in rows), default=0), max((r["x1"] for r in rows), default=0)
            for n, r in enumerate(rows):
                text = r["text"].strip()
                if n in (0, len(rows) - 1) and PAGE_NUMBER.match(text):
                    dropped.append(text)
                    continue
                if lines and full and not ends_sentence(lines[-1]) and marker(text) is None:
                    glue = " " if lines[-1][-1].isascii() and text[0].isascii() else ""
                    lines[-1] += glue + text
                else:
                    lines.append(text)
                char_width = (r["x1"] - r["x0"]) / len(text)
                # Near the right margin (ragged-right Latin text falls a word short): wrapped, not ended.
                full = r["x1"] >= right - max(2 * char_width, 0.15 * (right - left))
    return lines, dropped


def _html_lines(data: bytes) -> tuple[list[str], list[str], str, str]:
    from bs4 import BeautifulSoup

    text, encoding = decode(data)
    soup = BeautifulSoup(text, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(["script", "style", "noscript", "template", "iframe", "head"]):
        tag.decompose()  # never visible: not counted as boilerplate
    dropped = []
    page = len(soup.get_text(strip=True))
    # navigation by class or id name, but never a wrapper holding most of the page ("layout-with-sidebar")
    hidden = [
        t
        for t in soup.find_all(True)
        if t.name in ("nav", "footer", "aside", "form", "button")
        or t.name not in ("html", "body", "main", "article")
        and _NAV_ATTR.search(" ".join(t.get("class", [])) + " " + (t.get("id") or ""))
        and len(t.get_text(strip=True)) < 0.5 * page
        or t.name == "table"
        and "索引号" in t.get_text()
    ]
    for tag in hidden:
        if not tag.decomposed:
            dropped.extend(s.strip() for s in tag.get_text("\n").splitlines() if s.strip())
            tag.decompose()
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    return soup.get_text().splitlines(), dropped, encoding, title


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
        raise ReadError(
            path, f"file is {size / 1e6:.3g} MB, over the {max_bytes / 1e6:g} MB limit (segment.max_file_mb)"
        )
    try:
        path.open("rb").close()
    except PermissionError:
        raise ReadError(path, "permission denied: this file cannot be read") from None
    if suffix == ".docx" and not zipfile.is_zipfile(path):
        raise ReadError(
            path, "not a readable .docx file: not a Word package (damaged, or a .doc or other file renamed .docx)"
        )
    encoding, dropped, headings, title = "", [], [], ""
    try:
        if suffix == ".txt":
            raw, encoding = decode(path.read_bytes())
            lines = raw.splitlines()
        elif suffix in (".html", ".htm"):
            lines, dropped, encoding, title = _html_lines(path.read_bytes())
        elif suffix == ".docx":
            lines, headings = docx_lines(path)
        elif suffix in OFFICE:
            lines, headings = office_lines(path)
            if not _plausible("\n".join(lines), guessed=True):  # LibreOffice reads any bytes as some text
                raise ReadError(
                    path,
                    f"not a readable {suffix} file: LibreOffice converted it, but the result is not text "
                    f"(damaged, or binary data named {suffix})",
                )
        else:
            lines, dropped = _pdf_lines(path)
    except DecodeError as e:
        raise ReadError(path, str(e)) from None
    except ReadError:
        raise
    except PermissionError:
        raise ReadError(path, "permission denied: this file cannot be read") from None
    except Exception as e:  # python-docx, pdfplumber and zipfile raise many types on corrupt input
        raise ReadError(path, f"not a readable {suffix} file ({type(e).__name__}: {e})") from None
    text, more = clean(lines)
    dropped += more
    if not text:
        if dropped:
            raise ReadError(path, f"no text left after removing {len(dropped)} boilerplate line(s)")
        raise ReadError(path, "no text layer (a scanned PDF?)" if suffix == ".pdf" else "no text (only whitespace)")
    headings = {clean_line(part) for line in headings for part in line.splitlines()} - {""}  # as the lines in `text`
    title = clean_line(title) or (path.stem if len(_CJK.findall(path.stem)) >= 4 else "")
    return Document(path, doc_id or path.stem, text, dropped, encoding, headings, title)


def read_text(text: str, doc_id: str = "text", title: str = "") -> Document:
    """A text given as a string, read as a .txt file with that content would be (page furniture dropped, width
    folded, traditional characters mapped); `title`: its title if the text has none."""
    lines = text.splitlines()
    cleaned, dropped = clean(lines)
    if not cleaned:
        raise ReadError(
            doc_id,
            f"no text left after removing {len(dropped)} boilerplate line(s)"
            if dropped
            else "no text (only whitespace)",
        )
    return Document(Path(doc_id), doc_id, cleaned, dropped, title=clean_line(title))


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
