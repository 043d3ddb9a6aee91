"""Segmentation throughput (MB/s) and peak memory on corpora built from the seed reports.

    python benchmarks/segment_throughput.py [--sizes 50 100]

Each corpus file is the five seed reports joined several times (so one file holds several
reports), every third file in GBK. Each size is measured in a fresh process running the same
path as `govtag segment` (read → clean → segment → JSONL), so peak RSS is that run's alone:
it stays flat as the corpus grows because documents stream through one at a time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COPIES_PER_FILE = 8  # ≈ 0.5 MB per file


def build_corpus(directory: Path, megabytes: float) -> int:
    seeds = "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "examples").glob("*.txt")))
    body, total, i = "\n".join([seeds] * COPIES_PER_FILE), 0, 0
    while total < megabytes * 1e6:
        data = body.encode("gbk" if i % 3 == 2 else "utf-8")
        (directory / f"report_{i:05d}.txt").write_bytes(data)
        total, i = total + len(data), i + 1
    return total


def measure(corpus: Path, output: Path) -> dict:
    sys.path.insert(0, str(REPO))
    from govtag.inference.document import Document
    from govtag.inference.read import expand, read_all
    from govtag.inference.segment import segment

    start, files, units, size = time.perf_counter(), 0, 0, 0
    with output.open("w", encoding="utf-8") as f:
        for doc in read_all(list(expand([corpus]))):
            assert isinstance(doc, Document), doc
            records = segment(doc.text, doc.doc_id)
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
            files, units, size = files + 1, units + len(records), size + doc.path.stat().st_size
    seconds = time.perf_counter() - start
    return {
        "mb": size / 1e6,
        "files": files,
        "units": units,
        "seconds": seconds,
        "mb_per_s": size / 1e6 / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[50, 100], help="corpus sizes in MB")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: run one measurement
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.measure.parent / "units.jsonl")))
        return
    sys.path.insert(0, str(REPO))
    from benchmarks.results import save

    print(f"{'corpus MB':>10} {'files':>6} {'units':>9} {'seconds':>8} {'MB/s':>6} {'peak RSS MB':>12}")
    rows = []
    for mb in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            build_corpus(corpus, mb)
            run = subprocess.run(
                [sys.executable, __file__, "--measure", str(corpus)], check=True, capture_output=True, text=True
            )
            r = json.loads(run.stdout)
            rows.append(r)
            print(
                f"{r['mb']:>10.1f} {r['files']:>6} {r['units']:>9} {r['seconds']:>8.1f} {r['mb_per_s']:>6.2f} "
                f"{r['peak_rss_mb']:>12.0f}"
            )
    save("segment_throughput", {"sizes": rows})


if __name__ == "__main__":
    main()
