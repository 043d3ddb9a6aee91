"""Plain HTML pages of the interactive report (interactive_report.py): one page per document and one per
domain × type cell. They carry no chart and no third-party script: their sentences, a small stylesheet and a
few lines of inline JavaScript that filter them by domain, type, review flag and text, also from the query
string (?domain=民生&type=plan&flag=1&q=…), so the pages work offline from file://."""

from __future__ import annotations

import re
from html import escape

from ..labels.schema import Schema

PALETTE = ("#d62728", "#ff7f0e", "#2ca02c", "#17becf", "#1f77b4", "#7f7f7f", "#9467bd", "#8c564b")
TYPE_ZH = {"achievement": "成绩", "problem": "问题", "plan": "计划", "other": "其他"}
TYPE_MARK = {"achievement": "✓", "problem": "!", "plan": "→", "other": "·"}
FLAG_ZH = "待复核"

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;
color:#222;line-height:1.6}
a{color:#1f5fa8}.bar{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ddd;z-index:2}
.bar label{margin-right:1em}.legend span{display:inline-block;margin:.1em .6em .1em 0;padding:0 .4em;
border-radius:3px}.u{margin:.25em 0;padding:.15em .5em;border-left:6px solid #ccc;border-radius:2px}
.u.heading{font-weight:bold;font-size:1.08em;margin-top:.9em}.sec{color:#666;font-size:.85em;margin-top:1em}
.t{display:inline-block;min-width:2.6em;font-size:.8em;padding:0 .3em;margin-right:.4em;border:1px solid #999;
border-radius:3px;background:#fff}.s{color:#777;font-size:.75em;margin-left:.5em}
.flag{color:#fff;background:#c00;font-size:.75em;padding:0 .3em;border-radius:3px;margin-left:.4em}
.src{font-size:.8em;margin-right:.4em}[hidden]{display:none!important}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:.2em .5em;font-size:.9em}th{background:#f4f4f4}
"""

FILTER_JS = """
(function(){
  var q=new URLSearchParams(location.search), f=document.getElementById('filters');
  ['domain','type','q'].forEach(function(k){ if(q.get(k)!==null) f.elements[k].value=q.get(k); });
  if(q.get('flag')==='1') f.elements.flag.checked=true;
  function apply(){
    var d=f.elements.domain.value, t=f.elements.type.value, fl=f.elements.flag.checked,
        s=f.elements.q.value.trim(), shown=0, units=document.querySelectorAll('.u');
    units.forEach(function(u){
      var ok=(!d||u.dataset.domain===d)&&(!t||u.dataset.type===t)&&(!fl||u.dataset.flag==='1')
        &&(!s||u.textContent.indexOf(s)>=0);
      u.hidden=!ok; if(ok) shown++;
    });
    document.querySelectorAll('.sec').forEach(function(h){ h.hidden=!!(d||t||fl||s); });
    document.getElementById('shown').textContent=shown+' / '+units.length;
  }
  f.addEventListener('input',apply); f.addEventListener('change',apply); apply();
})();
"""


def type_zh(name: str) -> str:
    return TYPE_ZH.get(name, name)


def domain_class(schema: Schema, domain: str | None) -> str:
    return f"d{schema.domain.index(domain)}" if domain in schema.domain else "dx"


def palette_css(schema: Schema) -> str:
    rules = [
        f".d{i}{{border-left-color:{PALETTE[i % len(PALETTE)]};background:{PALETTE[i % len(PALETTE)]}1f}}"
        for i in range(len(schema.domain))
    ]
    return "\n".join(rules)


def slug(text: str) -> str:
    """A file-name-safe form of a label: ASCII letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def page(title: str, body: str, schema: Schema, script: str = "", head: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{CSS}{palette_css(schema)}</style>{head}</head>\n<body>\n{body}\n"
        f"<script>{script}</script>\n</body></html>\n"
    )


def legend(schema: Schema) -> str:
    spans = "".join(
        f'<span class="{domain_class(schema, d)}" title="{escape(schema.english.get(d, d))}">{escape(d)}</span>'
        for d in schema.domain
    )
    marks = "".join(
        f'<span title="{escape(t)}"><b>{TYPE_MARK.get(t, "")}</b> {escape(type_zh(t))}</span>' for t in schema.type
    )
    return f'<div class="legend">领域：{spans}<br>类型：{marks}<span><b class="flag">{FLAG_ZH}</b></span></div>'


def controls(schema: Schema) -> str:
    domains = "".join(
        f'<option value="{escape(d)}" title="{escape(schema.english.get(d, d))}">{escape(d)}</option>'
        for d in schema.domain
    )
    types = "".join(
        f'<option value="{escape(t)}" title="{escape(t)}">{escape(type_zh(t))}</option>' for t in schema.type
    )
    return (
        '<form id="filters" class="bar" onsubmit="return false">'
        f'<label title="domain">领域 <select name="domain"><option value="">全部</option>{domains}</select></label>'
        f'<label title="type">类型 <select name="type"><option value="">全部</option>{types}</select></label>'
        f'<label title="flagged for review"><input type="checkbox" name="flag" value="1"> 仅{FLAG_ZH}</label>'
        '<label title="search">搜索 <input type="search" name="q" placeholder="文本"></label>'
        '<span title="shown / all">显示 <b id="shown"></b></span></form>'
    )


def score(value) -> str:
    return "" if value is None else f"{float(value):.2f}"


def unit_html(schema: Schema, u: dict, source: str = "") -> str:
    """One sentence: coloured by domain, marked by type, with its scores and review flag."""
    domain, type_ = u.get("domain"), u.get("type")
    flagged = bool(u.get("review"))
    classes = f"u {domain_class(schema, domain)}" + (" heading" if u.get("heading") else "")
    tip = (
        f"domain: {schema.english.get(domain, domain)} ({score(u.get('domain_score'))}); "
        f"type: {type_} ({score(u.get('type_score'))})" + ("; flagged for review" if flagged else "")
    )
    seq = u.get("seq")
    anchor = f' id="u-{escape(str(seq))}"' if seq is not None and not source else ""
    return (
        f'<div class="{classes}"{anchor} data-domain="{escape(str(domain or ""))}" '
        f'data-type="{escape(str(type_ or ""))}" data-flag="{int(flagged)}" title="{escape(tip)}">'
        f"{source}"
        f'<span class="t" title="{escape(str(type_ or ""))}">{TYPE_MARK.get(type_, "")} {escape(type_zh(type_ or ""))}</span>'
        f"{escape(str(u.get('text') or ''))}"
        f'<span class="s">{escape(str(domain or ""))} {score(u.get("domain_score"))} · '
        f"{escape(type_zh(type_ or ''))} {score(u.get('type_score'))}</span>"
        + (f'<span class="flag" title="flagged for review">{FLAG_ZH}</span>' if flagged else "")
        + "</div>"
    )


def document_page(schema: Schema, title: str, facts: str, units: list[dict]) -> str:
    parts, section, heading = [], "", None
    for u in units:
        sec = str(u.get("section") or "")
        if sec and sec != section and not u.get("heading") and not (heading and sec.endswith(heading)):
            parts.append(f'<div class="sec">{escape(sec)}</div>')  # the section path, unless its heading is just above
        section, heading = sec, str(u.get("text") or "") if u.get("heading") else None
        parts.append(unit_html(schema, u))
    body = (
        f'<p><a href="../report.html">← 返回总览</a></p><h1>{escape(title)}</h1><p>{facts}</p>'
        f"{legend(schema)}{controls(schema)}<main>{''.join(parts)}</main>"
    )
    return page(title, body, schema, FILTER_JS)


def cell_page(schema: Schema, domain: str, type_: str, total: int, rows: list[tuple[str, str, dict]]) -> str:
    """The sentences of one domain × type cell; rows are (document page, document title, unit)."""
    parts = []
    for href, doc_title, u in rows:
        seq = u.get("seq")
        target = f"{href}#u-{seq}" if seq is not None else href
        source = f'<a class="src" href="{escape(target)}" title="document">[{escape(doc_title)}]</a>'
        parts.append(unit_html(schema, u, source))
    title = f"{domain} × {type_zh(type_)}"
    note = f"共 {total} 句" + (f"，列出前 {len(rows)} 句" if total > len(rows) else "")
    body = (
        f'<p><a href="../report.html">← 返回总览</a></p>'
        f'<h1 title="{escape(schema.english.get(domain, domain))} × {escape(type_)}">{escape(title)}</h1>'
        f"<p>{note}</p>{legend(schema)}{controls(schema)}<main>{''.join(parts)}</main>"
    )
    return page(title, body, schema, FILTER_JS)
