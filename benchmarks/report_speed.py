"""Size and load time of the interactive report (inference/interactive_report.py) for many documents, on
synthetic tagged units (for speed only: the labels and texts are random).

    python benchmarks/report_speed.py [--documents 1000] [--units 200] [--runs 3]

It writes the report of that many documents (streamed, one generated at a time), then reports the seconds to
write it, the peak RSS of this process, the index page's size in MB and the size of report_docs/, and the time
headless Chromium takes to load the index page: the wall time of `chromium --headless --dump-dom` (median of
`--runs`), that of the same command on an empty page (Chromium's own start), and the page's own
performance.now() once its charts are drawn (the index writes it into <html data-rendered>).
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.results import save  # noqa: E402
from govtag.inference.interactive_report import write_report  # noqa: E402
from govtag.labels.schema import load_schema  # noqa: E402

LEVELS = ("省", "市", "区县", "街道", "社区")
GENRES = ("工作报告", "工作总结", "述职报告")
WORDS = "推进 加强 完善 落实 开展 全面 工作 建设 服务 管理 群众 社区 安全 环境 经济 党员 项目 改造 提升 机制".split()


def synthetic(n_docs: int, n_units: int, seed: int = 0):
    """(doc_id, units) one document at a time."""
    schema, rng = load_schema(), random.Random(seed)
    for i in range(n_docs):
        meta = {
            "title": f"合成报告{i}",
            "year": 2015 + i % 10,
            "level": LEVELS[i % len(LEVELS)],
            "genre": GENRES[i % len(GENRES)],
            "province": "某省",
            "city": f"某市{i % 7}",
            "file": f"doc{i}.docx",
        }
        units = []
        for j in range(n_units):
            type_ = rng.choice(schema.type)
            domain = schema.other_domain if type_ == "other" else rng.choice(schema.domain)
            text = "".join(rng.choice(WORDS) for _ in range(rng.randint(5, 20))) + "。"
            units.append(
                {
                    **meta,
                    "doc_id": f"doc{i}",
                    "seq": j,
                    "section": f"第{j // 40 + 1}部分",
                    "text": text,
                    "heading": j % 40 == 0,
                    "domain": domain,
                    "type": type_,
                    "domain_score": rng.random(),
                    "type_score": rng.random(),
                    "review": rng.random() < 0.05,
                }
            )
        yield f"doc{i}", units


def chromium_load(url: str, profile: Path) -> tuple[float, str]:
    command = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", "--dump-dom", url,
    ]  # fmt: skip
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return time.perf_counter() - start, run.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--units", type=int, default=200, help="units per document")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        start = time.perf_counter()
        index = write_report(out, synthetic(args.documents, args.units), load_schema())
        write_s = time.perf_counter() - start
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        docs_mb = sum(p.stat().st_size for p in (out / "report_docs").iterdir()) / 1e6
        result = {
            "documents": args.documents,
            "units": args.documents * args.units,
            "write_s": round(write_s, 2),
            "peak_rss_mb": round(rss_mb, 1),
            "index_mb": round(index.stat().st_size / 1e6, 2),
            "report_docs_mb": round(docs_mb, 1),
        }
        if shutil.which("chromium"):
            empty = Path(tmp) / "empty.html"
            empty.write_text("<html><body></body></html>")
            base = [chromium_load(empty.as_uri(), Path(tmp) / "p")[0] for _ in range(args.runs)]
            loads, rendered = [], []
            for _ in range(args.runs):
                seconds, dom = chromium_load(index.as_uri(), Path(tmp) / "p")
                loads.append(seconds)
                found = re.search(r'data-rendered="(\d+)"', dom)
                rendered.append(int(found.group(1)) / 1000 if found else None)
            result["chromium_empty_page_s"] = round(statistics.median(base), 2)
            result["chromium_index_load_s"] = round(statistics.median(loads), 2)
            result["index_rendered_at_s"] = [r if r is None else round(r, 2) for r in rendered]
            result["charts_drawn"] = "main-svg" in dom
        for key, value in result.items():
            print(f"{key:>24}: {value}")
        save("report_speed", result)


if __name__ == "__main__":
    main()
