"""An interactive report that opens offline: OUT/report.html (the index: Plotly charts, the document table)
and OUT/report_docs/ (one light page per document, one per domain × type cell, from report_pages.py).

Documents are streamed: each document's page is written as it comes, and only its counts are kept for the
index, with at most `max_listed` sentences per cell for the cell pages. plotly.js is inlined once, from the
installed plotly package, in the index; the other pages carry no chart and no third-party script. Labels are
Chinese; hover texts and tooltips add the English names.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterable
from html import escape
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from ..labels.atomic import atomic_write
from ..labels.schema import Schema
from .report_pages import CSS, PALETTE, cell_page, document_page, palette_css, slug, type_zh

OTHER_TYPE = "other"
MAX_LISTED = 500  # sentences on a cell page
RESAMPLES, SEED = 1000, 0
DOCS = "report_docs"
META = ("title", "year", "period", "province", "city", "county", "township", "place", "level", "genre", "file")
GROUPS = (("year", "年份"), ("level", "级别"), ("genre", "文体"))
LEVEL_NAMES = {
    "central": "中央",
    "province": "省级",
    "city": "市级",
    "county": "县级",
    "township": "乡镇街道",
    "village": "村社区",
}
UNKNOWN = "未知"
KEPT = ("seq", "text", "domain", "type", "domain_score", "type_score", "review")


def cells(schema: Schema) -> list[tuple[str, str]]:
    """The domain × type cells that can hold units: type `other` only with the schema's other domain."""
    return [(d, t) for d in schema.domain for t in schema.type if t != OTHER_TYPE or d == schema.other_domain]


def cell_file(schema: Schema, domain: str, type_: str) -> str:
    d = slug(schema.english.get(domain, "")) or f"d{schema.domain.index(domain)}"
    return f"cell-{d}-{slug(type_) or schema.type.index(type_)}.html"


def doc_meta(units: list[dict]) -> dict:
    """A document's metadata: the first value each key has in its units."""
    meta = {}
    for key in META:
        meta[key] = next((u[key] for u in units if u.get(key) not in (None, "")), None)
    if not meta["place"]:
        meta["place"] = "".join(str(meta[k]) for k in ("province", "city", "county", "township") if meta[k]) or None
    meta["level"] = LEVEL_NAMES.get(meta["level"], meta["level"])  # shown in Chinese, as every label
    return meta


def bootstrap(counts: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> tuple[np.ndarray, ...]:
    """Domain shares of a group of documents (rows: per-document domain counts) and their 95 % interval
    from resampling documents with replacement; returns (share, low, high), one value per domain."""
    totals = counts.sum(axis=1)
    share = counts.sum(axis=0) / max(totals.sum(), 1)
    k = len(counts)
    if not totals.sum():
        return share, share, share
    weights = np.random.default_rng(seed).multinomial(k, np.full(k, 1 / k), size=resamples)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = (weights @ counts) / (weights @ totals)[:, None]
    low, high = np.nanpercentile(shares, [2.5, 97.5], axis=0)
    return share, low, high


class Collector:
    """Fed one document at a time: writes its page and keeps its counts (and a few sentences per cell)."""

    def __init__(self, docs_dir: Path, schema: Schema, max_listed: int):
        self.docs_dir, self.schema, self.max_listed = docs_dir, schema, max_listed
        self.rows: list[dict] = []
        self.domain_counts: list[np.ndarray] = []
        self.cells: Counter = Counter()
        self.listed: dict[tuple[str, str], list[tuple[str, str, dict]]] = {c: [] for c in cells(schema)}

    def add(self, doc_id: str, units: list[dict]) -> None:
        s, n = self.schema, len(self.rows) + 1
        meta, href = doc_meta(units), f"{n}.html"
        name = str(meta["title"] or doc_id)
        domains = Counter(u.get("domain") for u in units)
        flagged = sum(bool(u.get("review")) for u in units)
        top = max(s.domain, key=lambda d: domains[d]) if any(domains[d] for d in s.domain) else None
        row = {"n": n, "doc_id": str(doc_id), "name": name, "units": len(units), "flagged": flagged, "top": top}
        self.rows.append({**row, **{k: meta[k] for k in ("year", "place", "level", "genre")}})
        self.domain_counts.append(np.array([domains[d] for d in s.domain], dtype=np.int64))
        for u in units:
            key = (u.get("domain"), u.get("type"))
            self.cells[key] += 1
            bucket = self.listed.get(key)
            if bucket is not None and len(bucket) < self.max_listed:
                bucket.append((href, name, {k: u.get(k) for k in KEPT}))
        facts = " · ".join(
            f"{label}：{escape(str(value))}"
            for label, value in (
                ("文档", doc_id),
                ("年份", meta["year"]),
                ("时期", meta["period"]),
                ("地点", meta["place"]),
                ("级别", meta["level"]),
                ("文体", meta["genre"]),
                ("文件", meta["file"]),
                ("句数", len(units)),
                ("待复核", flagged),
            )
            if value not in (None, "")
        )
        (self.docs_dir / href).write_text(document_page(s, name, facts, units), encoding="utf-8")

    def write_cells(self) -> None:
        for (domain, type_), rows in self.listed.items():
            html = cell_page(self.schema, domain, type_, self.cells[(domain, type_)], rows)
            (self.docs_dir / cell_file(self.schema, domain, type_)).write_text(html, encoding="utf-8")


def heatmap_figure(schema: Schema, counts: Counter) -> go.Figure:
    """Only the cells that can hold units are in the data (x, y, z columns); the others are left out."""
    kept = cells(schema)
    total = max(sum(counts.values()), 1)
    x = [f"{type_zh(t)}" for _, t in kept]
    y = [d for d, _ in kept]
    z = [counts.get(c, 0) for c in kept]
    hover = [
        f"领域 domain: {d} ({schema.english.get(d, d)})<br>类型 type: {type_zh(t)} ({t})<br>"
        f"句数 units: {n} ({n / total:.1%})<br>点击查看句子 click to list the sentences"
        for (d, t), n in zip(kept, z)
    ]
    fig = go.Figure(
        go.Heatmap(
            x=x,
            y=y,
            z=z,
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            hoverongaps=False,
            colorscale="Blues",
            texttemplate="%{z}",
            colorbar={"title": {"text": "句数"}},
        )
    )
    fig.update_layout(
        title="领域 × 类型（点击单元格查看句子）",
        plot_bgcolor="white",
        height=420,
        margin={"t": 50, "l": 60, "r": 20, "b": 50},
        xaxis={"title": {"text": "类型"}, "categoryorder": "array", "categoryarray": [type_zh(t) for t in schema.type]},
        yaxis={"title": {"text": "领域"}, "categoryorder": "array", "categoryarray": list(schema.domain)[::-1]},
    )
    return fig


def shares_figure(schema: Schema, groups: dict[str, list[int]], counts: np.ndarray, label: str) -> go.Figure:
    """Domain shares per group (a bar per domain) with 95 % bootstrap intervals over documents."""
    names = sorted(groups, key=lambda g: (g == UNKNOWN, g))
    stats = [bootstrap(counts[groups[g]]) for g in names]
    fig = go.Figure()
    for i, d in enumerate(schema.domain):
        share = np.array([s[0][i] for s in stats])
        low, high = np.array([s[1][i] for s in stats]), np.array([s[2][i] for s in stats])
        hover = [
            f"领域 domain: {d} ({schema.english.get(d, d)})<br>{label}: {g}<br>"
            f"占比 share: {v:.1%} (95% CI {lo:.1%}–{hi:.1%})<br>文档 documents: {len(groups[g])}"
            for g, v, lo, hi in zip(names, share, low, high)
        ]
        fig.add_bar(
            x=names,
            y=share,
            name=d,
            marker_color=PALETTE[i % len(PALETTE)],
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            error_y={"type": "data", "array": np.maximum(high - share, 0), "arrayminus": np.maximum(share - low, 0)},
        )
    fig.update_layout(
        title=f"各{label}领域占比（误差线：按文档重抽样 {RESAMPLES} 次的 95% 区间）",
        barmode="group",
        height=420,
        xaxis={"title": {"text": label}, "type": "category"},
        yaxis={"title": {"text": "占比"}, "tickformat": ".0%"},
        legend={"title": {"text": "领域"}},
        margin={"t": 50, "l": 60, "r": 20, "b": 50},
    )
    return fig


def chart(fig: go.Figure, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False})


def index_page(schema: Schema, col: Collector, charts: list[str]) -> str:
    s, rows = schema, col.rows
    links = {f"{d}|{type_zh(t)}": f"{DOCS}/{cell_file(s, d, t)}" for d, t in cells(s)}
    kept = cells(s)
    cell_list = " ".join(
        f'<a href="{DOCS}/{cell_file(s, d, t)}" title="{escape(s.english.get(d, d))} × {t}">'
        f"{escape(d)} × {type_zh(t)}（{col.cells[(d, t)]}）</a>"
        for d, t in kept
    )
    strays = sum(n for c, n in col.cells.items() if c not in kept)
    table = "".join(
        f'<tr><td><a href="{DOCS}/{r["n"]}.html" title="{escape(r["doc_id"])}">{escape(r["name"])}</a></td>'
        + "".join(
            f"<td>{escape(str(r[k] if r[k] is not None else ''))}</td>" for k in ("year", "place", "level", "genre")
        )
        + f"<td>{r['units']}</td><td>{r['flagged']}</td>"
        f'<td title="{escape(s.english.get(r["top"], "") if r["top"] else "")}">{escape(r["top"] or "")}</td></tr>'
        for r in rows
    )
    units, flagged = sum(r["units"] for r in rows), sum(r["flagged"] for r in rows)
    note = f"<p>另有 {strays} 句的领域与类型组合不合规范，未计入热图。</p>" if strays else ""
    click = (
        f"var CELLS={json.dumps(links, ensure_ascii=False)};"
        "var hm=document.getElementById('heatmap');"
        "if(hm&&hm.on)hm.on('plotly_click',function(e){var p=e.points[0],u=CELLS[p.y+'|'+p.x];if(u)location.href=u;});"
        "document.getElementById('docfilter').addEventListener('input',function(){var q=this.value.trim();"
        "document.querySelectorAll('#docs tbody tr').forEach(function(r){r.hidden=!!q&&r.textContent.indexOf(q)<0;});});"
        "window.addEventListener('load',function(){setTimeout(function(){"
        "document.documentElement.dataset.rendered=Math.round(performance.now());},0);});"
    )
    body = (
        f"<h1>政府工作报告：领域与类型总览</h1><p>文档 {len(rows)} 篇 · 句子 {units} 句 · {'待复核'} {flagged} 句</p>"
        f"{charts[0]}<p>单元格句子列表：{cell_list}</p>{note}{''.join(charts[1:])}"
        '<h2>文档</h2><p><input id="docfilter" type="search" placeholder="筛选文档" title="filter documents"></p>'
        '<table id="docs"><thead><tr><th title="document">文档</th><th title="year">年份</th><th title="place">地点</th>'
        '<th title="level">级别</th><th title="genre">文体</th><th title="units">句数</th>'
        '<th title="flagged for review">待复核</th><th title="top domain">主要领域</th></tr></thead>'
        f"<tbody>{table}</tbody></table>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>政府工作报告总览</title>'
        f"<style>{CSS}{palette_css(s)}</style><script>{get_plotlyjs()}</script></head>\n<body>\n{body}\n"
        f"<script>{click}</script>\n</body></html>\n"
    )


def write_report(
    out_dir: Path, documents: Iterable[tuple[str, list[dict]]], schema: Schema, max_listed: int = MAX_LISTED
) -> Path:
    """Write OUT/report.html and OUT/report_docs/; return the index page's path."""
    out_dir = Path(out_dir)
    docs_dir = out_dir / DOCS
    shutil.rmtree(docs_dir, ignore_errors=True)  # an earlier run's pages would not match this run's documents
    docs_dir.mkdir(parents=True, exist_ok=True)
    col = Collector(docs_dir, schema, max_listed)
    for doc_id, units in documents:
        col.add(doc_id, units)
    col.write_cells()
    counts = np.array(col.domain_counts).reshape(len(col.rows), len(schema.domain))
    charts = [chart(heatmap_figure(schema, col.cells), "heatmap")]
    for key, label in GROUPS:
        groups: dict[str, list[int]] = {}
        for i, r in enumerate(col.rows):
            groups.setdefault(UNKNOWN if r[key] in (None, "") else str(r[key]), []).append(i)
        if key == "year" or set(groups) != {UNKNOWN}:
            charts.append(chart(shares_figure(schema, groups, counts, label), f"shares-{key}"))
    path = out_dir / "report.html"
    with atomic_write(path) as f:
        f.write(index_page(schema, col, charts))
    return path
