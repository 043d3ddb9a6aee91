"""report.html: what a collection of reports is about, at a glance.

Charts are matplotlib PNGs embedded in the page; their axes use the schema's English label names
and document numbers, so they render without CJK fonts. The page text is Chinese as in the reports.
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..labels.atomic import atomic_write  # noqa: E402
from ..labels.schema import Schema  # noqa: E402

LISTED_TYPES = ("problem", "plan")
MAX_LISTED = 200  # sentences per domain × type in the page; all of them are in units.* files


def png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")  # never clip a label or legend
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class ReportBuilder:
    """Fed one document at a time; keeps counts and a bounded list of sentences, never all units."""

    def __init__(self, schema: Schema, threshold: float):
        self.schema, self.threshold = schema, threshold
        self.cells: Counter = Counter()
        self.documents: list[tuple[str, Counter, int]] = []
        self.listed: dict[tuple[str, str], list[dict]] = {}
        self.dropped: Counter = Counter()

    def add(self, doc_id: str, units: list[dict]) -> None:
        domains = Counter(u["domain"] for u in units)
        self.documents.append((doc_id, domains, len(units)))
        for u in units:
            key = (u["domain"], u["type"])
            self.cells[key] += 1
            if u["type"] in LISTED_TYPES:
                bucket = self.listed.setdefault(key, [])
                if len(bucket) < MAX_LISTED:
                    bucket.append(
                        {"doc_id": doc_id, "text": u["text"], "score": min(u["domain_score"], u["type_score"])}
                    )
                else:
                    self.dropped[key] += 1

    def heatmap(self) -> str:
        s = self.schema
        grid = [[self.cells[(d, t)] for t in s.type] for d in s.domain]
        fig, ax = plt.subplots(figsize=(8, 4.8))
        ax.imshow(grid, cmap="YlOrRd", aspect="auto")  # wide cells: the type names fit under them
        ax.set_xticks(range(len(s.type)), [s.english[t] for t in s.type])
        ax.set_yticks(range(len(s.domain)), [s.english[d] for d in s.domain])
        peak = max(max(row) for row in grid) or 1
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                ax.text(j, i, str(v), ha="center", va="center", color="white" if v > peak / 2 else "black")
        ax.set_title(f"All documents: units per domain × type ({sum(self.cells.values())} units)")
        fig.tight_layout()
        return png(fig)

    def stacked_bars(self) -> str:
        s = self.schema
        n = len(self.documents)
        fig, ax = plt.subplots(figsize=(min(14.0, max(6.5, 0.35 * n + 2)), 4.5))  # bounded for 1,000s of documents
        bottom = [0.0] * n
        for d in s.domain:
            shares = [c[d] / max(total, 1) for _, c, total in self.documents]
            ax.bar(range(1, n + 1), shares, width=0.8 if n <= 40 else 1.0, bottom=bottom, label=s.english[d])
            bottom = [b + v for b, v in zip(bottom, shares)]
        ax.set_xlabel("document #")
        ax.set_ylabel("share of units")
        ax.set_xticks(range(1, n + 1) if n <= 40 else range(1, n + 1, max(1, n // 20)))
        ax.set_ylim(0, 1)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # beside the bars, any number of domains
        ax.set_title("Domain mix per document")
        fig.tight_layout()
        return png(fig)

    def sentences(self) -> str:
        parts = []
        for d in self.schema.domain:
            for t in LISTED_TYPES:
                rows = self.listed.get((d, t), [])
                if not rows:
                    continue
                more = f"（另有 {self.dropped[(d, t)]} 句见 units 文件）" if self.dropped[(d, t)] else ""
                items = "".join(
                    f'<li class="{"review" if r["score"] < self.threshold else ""}">{html.escape(r["text"])} '
                    f'<span class="meta">{html.escape(r["doc_id"])} · {r["score"]:.2f}'
                    f"{' · 待复核' if r['score'] < self.threshold else ''}</span></li>"
                    for r in rows
                )
                parts.append(f"<h3>{d} · {t} ({self.cells[(d, t)]}){more}</h3><ol>{items}</ol>")
        return "\n".join(parts)

    def render(self) -> str:
        docs = "".join(
            f"<tr><td>{i}</td><td>{html.escape(doc)}</td><td>{total}</td></tr>"
            for i, (doc, _, total) in enumerate(self.documents, 1)
        )
        return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>govtag report</title>
<style>body{{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",
sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}}img{{max-width:100%;display:block}}
.review{{background:#fff3cd}}.meta{{color:#777;font-size:85%}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px}}.docs{{max-height:24em;overflow:auto;display:inline-block}}</style></head><body>
<h1>govtag report</h1>
<p>{len(self.documents)} documents, {sum(self.cells.values())} units. Units with a score under
{self.threshold} are marked <span class="review">待复核 (review)</span>.</p>
<h2>Domain × type</h2><img alt="domain by type heatmap" src="{self.heatmap()}">
<h2>Documents</h2><img alt="domain mix per document" src="{self.stacked_bars()}">
<div class="docs"><table><tr><th>#</th><th>document</th><th>units</th></tr>{docs}</table></div>
<h2>Problems and plans by domain</h2>
{self.sentences()}
</body></html>"""

    def write(self, path) -> None:
        with atomic_write(path) as f:
            f.write(self.render())
