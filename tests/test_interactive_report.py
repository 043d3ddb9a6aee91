"""The interactive report (inference/interactive_report.py, report_pages.py): page content, and headless Chromium
drawing the index and filtering a document page offline from file://."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from govtag.inference.interactive_report import bootstrap, cell_file, cells, heatmap_figure, write_report
from govtag.labels.schema import load_schema

SCHEMA = load_schema()
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
DOMAIN_OF = {0: "民生", 1: "安全", 2: "其他", 3: "经济", 4: "民生", 5: "党建"}
TYPE_OF = {0: "plan", 1: "achievement", 2: "other", 3: "problem", 4: "achievement", 5: "plan"}


def unit(doc: int, seq: int, **over) -> dict:
    base = {
        "doc_id": f"doc{doc}",
        "seq": seq,
        "section": "一、工作回顾" if seq > 1 else None,
        "text": f"第{doc}篇第{seq}句 <b>&加强</b>",
        "heading": seq == 1,
        "domain": DOMAIN_OF[seq % 6],
        "type": TYPE_OF[seq % 6],
        "domain_score": 0.9,
        "type_score": 0.8,
        "review": seq % 4 == 3,
        "title": f"报告<{doc}>" if doc else None,
        "year": 2020 + doc % 2,
        "period": None,
        "province": "浙江省",
        "city": "杭州市",
        "county": None,
        "township": None,
        "place": None,
        "level": "街道" if doc % 2 else "区",
        "genre": None,
        "file": f"f{doc}.docx",
    }
    return {**base, **over}


def documents(n: int = 3, units: int = 12):
    for d in range(n):
        yield f"doc{d}", [unit(d, s) for s in range(units)]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return write_report(tmp_path_factory.mktemp("report") / "out", documents(), SCHEMA)


def units_of(html: str) -> list[str]:
    return re.findall(r'<div class="u [^"]*"[^>]*>', html)


def test_heatmap_data_leaves_out_the_always_empty_cells():
    trace = heatmap_figure(SCHEMA, Counter({("民生", "plan"): 5, ("其他", "other"): 2})).data[0]
    shown = set(zip(trace.y, trace.x))
    assert ("其他", "其他") in shown and ("民生", "计划") in shown and ("民生", "成绩") in shown
    for d in SCHEMA.domain:
        if d != SCHEMA.other_domain:
            assert (d, "其他") not in shown
    assert len(trace.z) == len(cells(SCHEMA)) == len(SCHEMA.domain) * (len(SCHEMA.type) - 1) + 1
    assert "achievement" in trace.hovertext[0] and "领域" in trace.hovertext[0]


def test_index_links_every_document_and_every_cell_page(report):
    html = report.read_text(encoding="utf-8")
    docs = report.parent / "report_docs"
    for n in (1, 2, 3):
        assert f'href="report_docs/{n}.html"' in html and (docs / f"{n}.html").exists()
    for d, t in cells(SCHEMA):
        name = cell_file(SCHEMA, d, t)
        assert re.fullmatch(r"cell-[a-z0-9-]+\.html", name)
        assert f'href="report_docs/{name}"' in html and (docs / name).exists()
    assert not (docs / cell_file(SCHEMA, "民生", "other")).exists()
    assert "报告&lt;1&gt;" in html and "doc0" in html  # the title, else the doc_id, escaped
    for label in ("领域", "类型", "年份", "占比", "文档", "级别"):  # in the page or in a chart's JSON
        assert label in html or json.dumps(label)[1:-1] in html
    assert 'id="shares-level"' in html and 'id="shares-genre"' not in html  # no genre in these documents
    assert html.count("<script") == 1 + 3 + 1  # plotly.js, three charts (heatmap, years, levels), the page's own
    assert html.count(get_plotlyjs()[:300]) == 1


def test_cell_page_lists_its_sentences_with_links_to_their_documents(tmp_path):
    index = write_report(tmp_path / "out", documents(), SCHEMA, max_listed=2)
    html = (index.parent / "report_docs" / cell_file(SCHEMA, "民生", "plan")).read_text(encoding="utf-8")
    shown = units_of(html)
    assert len(shown) == 2 and all('data-domain="民生" data-type="plan"' in u for u in shown)
    assert "共 6 句" in html and 'href="1.html#u-0"' in html and 'href="../report.html"' in html


def test_document_page_holds_each_sentence_once_with_its_colour_class(report):
    html = (report.parent / "report_docs" / "2.html").read_text(encoding="utf-8")
    assert len(units_of(html)) == 12
    for s in range(12):
        text = f"第1篇第{s}句 &lt;b&gt;&amp;加强&lt;/b&gt;"
        assert html.count(text) == 1
        opening = re.search(rf'<div class="u (d\d)[^"]*" id="u-{s}"[^>]*>', html)
        assert opening and opening.group(1) == f"d{SCHEMA.domain.index(DOMAIN_OF[s % 6])}"
    assert "<b>&加强" not in html and "待复核" in html and "一、工作回顾" in html
    assert 'title="plan"' in html and "计划" in html and 'href="../report.html"' in html


def test_no_page_loads_a_script_from_elsewhere(report):
    for page in [report, *(report.parent / "report_docs").iterdir()]:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I), page.name
        assert not re.search(r"<link[^>]*https?://", html, re.I), page.name
    assert "plotly" not in (report.parent / "report_docs" / "1.html").read_text(encoding="utf-8").lower()


def test_bootstrap_is_reproducible_and_brackets_the_share():
    counts = np.random.default_rng(1).integers(0, 30, size=(40, 6))
    share, low, high = bootstrap(counts)
    again = bootstrap(counts)
    assert np.array_equal(low, again[1]) and np.array_equal(high, again[2])
    assert np.allclose(share, counts.sum(0) / counts.sum()) and np.all(low <= share) and np.all(share <= high)
    assert np.all(high - low > 0)


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000", f"--user-data-dir={tmp}"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium")
def test_chromium_screenshot_of_the_index_is_not_blank(report, tmp_path):
    image = pytest.importorskip("PIL.Image")
    png = tmp_path / "shot.png"
    chromium("--window-size=1000,900", f"--screenshot={png}", report.as_uri(), tmp=tmp_path / "profile")
    pixels = np.asarray(image.open(png).convert("L"), dtype=float)
    assert pixels.shape == (900, 1000) and pixels.std() > 10
    dom = chromium("--dump-dom", report.as_uri(), tmp=tmp_path / "profile").stdout
    assert "main-svg" in dom and "data-rendered" in dom  # plotly drew the charts offline


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium")
@pytest.mark.parametrize(
    "query, wanted",
    [
        ({"domain": "民生", "type": "plan"}, lambda s: s % 6 == 0),
        ({"flag": "1"}, lambda s: s % 4 == 3),
        ({"q": "第2篇第11句"}, lambda s: s == 11),
    ],
)
def test_document_page_filters_from_its_query_string(report, tmp_path, query, wanted):
    url = (report.parent / "report_docs" / "3.html").as_uri() + "?" + urlencode(query)
    dom = chromium("--dump-dom", url, tmp=tmp_path / "profile").stdout
    shown = {int(s) for s in re.findall(r'<div class="u [^"]*" id="u-(\d+)"(?![^>]*hidden)[^>]*>', dom)}
    assert len(units_of(dom)) == 12
    assert shown == {s for s in range(12) if wanted(s)}
    assert f'id="shown">{len(shown)} / 12<' in dom


CLICK = """<script>window.addEventListener('load',function(){setTimeout(function(){
var gd=document.getElementById('heatmap'),xa=gd._fullLayout.xaxis,ya=gd._fullLayout.yaxis,r=gd.getBoundingClientRect();
var o={clientX:r.left+xa._offset+xa.d2p('计划'),clientY:r.top+ya._offset+ya.d2p('民生'),bubbles:true,view:window};
var el=gd.querySelector('.nsewdrag');
['mousemove','mousedown','mouseup','click'].forEach(function(k){el.dispatchEvent(new MouseEvent(k,o));});
},200);});</script></body>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium")
def test_clicking_a_heatmap_cell_opens_its_sentences(report, tmp_path):
    clicked = report.with_name("clicked.html")  # the index with a mouse click on 民生 × 计划 once it is drawn
    clicked.write_text(report.read_text(encoding="utf-8").replace("</body>", CLICK), encoding="utf-8")
    try:
        dom = chromium("--virtual-time-budget=5000", "--dump-dom", clicked.as_uri(), tmp=tmp_path / "profile").stdout
    finally:
        clicked.unlink()
    assert '<h1 title="livelihood × plan">民生 × 计划</h1>' in dom
    assert all('data-domain="民生" data-type="plan"' in u for u in units_of(dom)) and units_of(dom)
