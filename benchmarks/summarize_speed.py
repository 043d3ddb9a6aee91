"""Speed and memory of `govtag summarize` on synthetic tagged units (for speed only: the labels are random).

    python benchmarks/summarize_speed.py [--units 100000 400000] [--by year,level] [--resamples 1000]

For each size it writes units.jsonl and units.parquet of that many units (documents of 20 to 140 units, ten years
× four levels), then runs what the command runs (read the units into per-document counts, resample documents,
write .csv .parquet .dta .xlsx) in a fresh process per source, and reports the seconds and the process's peak
RSS, beside the RSS of the same process before reading (Python with numpy, pandas and pyarrow loaded): flat
memory means the difference does not grow with the units.
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
sys.path.insert(0, str(REPO))
from benchmarks.results import save  # noqa: E402

DOMAINS = ("党建", "安全", "民生", "环境", "经济", "其他")
TYPES = ("achievement", "problem", "plan", "other")
LEVELS = ("province", "city", "county", "township")


def synthetic(folder: Path, units: int, seed: int = 0) -> int:
    """units.jsonl and units.parquet of `units` units, the metadata columns on every row; returns documents."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    pool = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 2000))
    texts = ["".join(rng.choice(list(pool), int(n))) + "。" for n in rng.integers(8, 90, 5000)]
    sizes = []
    while sum(sizes) < units:
        sizes.append(int(rng.integers(20, 141)))
    sizes[-1] -= sum(sizes) - units
    doc = np.repeat(np.arange(len(sizes)), sizes)
    types = rng.choice(len(TYPES), units, p=[0.45, 0.15, 0.25, 0.15])
    domains = np.where(types == 3, 5, rng.choice(len(DOMAINS), units, p=[0.15, 0.15, 0.25, 0.15, 0.25, 0.05]))
    frame = pd.DataFrame(
        {
            "doc_id": [f"report{d:05d}" for d in doc],
            "seq": np.concatenate([np.arange(n) for n in sizes]),
            "text": [texts[i] for i in rng.integers(0, len(texts), units)],
            "section": "一、工作回顾",
            "domain": [DOMAINS[i] for i in domains],
            "type": [TYPES[i] for i in types],
            "domain_score": 0.9,
            "type_score": 0.9,
            "review": False,
            "title": "政府工作报告",
            "file": [f"/reports/report{d:05d}.docx" for d in doc],
            "year": 2015 + doc % 10,
            "level": [LEVELS[d % 4] for d in doc // 10],
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "units.jsonl", "w", encoding="utf-8") as f:
        for row in frame.to_dict("records"):
            f.write(
                json.dumps({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}, ensure_ascii=False)
            )
            f.write("\n")
    frame.to_parquet(folder / "units.parquet", index=False, row_group_size=10_000)  # as `govtag tag` writes it
    return len(sizes)


def memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process in MB: /proc's figures are this program's own, where
    getrusage's peak also counts the parent's memory at the fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(units: str, out: str, by: str, resamples: int) -> None:
    """One run as the command does it, in this fresh process; prints its figures as JSON."""
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    from govtag.inference.summarize import summarize_with_notes
    from govtag.inference.summary_files import write_tables

    before = memory_mb("VmRSS")
    start = time.perf_counter()
    frame, _ = summarize_with_notes(units, by, resamples=resamples)
    summarized = time.perf_counter()
    write_tables(frame, Path(out))
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "seconds": round(done - start, 2),
                "summarize_seconds": round(summarized - start, 2),
                "write_seconds": round(done - summarized, 2),
                "groups": int(frame.drop_duplicates(frame.attrs["by"]).shape[0]) if frame.attrs["by"] else 1,
                "rows": len(frame),
                "peak_rss_mb": round(memory_mb("VmHWM"), 1),
                "rss_before_reading_mb": round(before, 1),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, nargs="+", default=[100_000, 400_000])
    ap.add_argument("--by", default="year,level")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--child", nargs=2, metavar=("UNITS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child, args.by, args.resamples)
        return
    runs = []
    print(f"--by {args.by}, {args.resamples} resamples\n")
    print("| units | documents | source | groups | seconds (read + resample / write) | peak RSS | RSS before reading |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.units:
            folder = Path(tmp) / f"u{n}"
            documents = synthetic(folder, n)
            for source in ("units.jsonl", "units.parquet"):
                command = [sys.executable, __file__, "--child", str(folder / source), str(folder / "out")]
                command += ["--by", args.by, "--resamples", str(args.resamples)]
                run = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
                runs.append({"units": n, "documents": documents, "source": source, **run})
                print(
                    f"| {n:,} | {documents:,} | {source} | {run['groups']} | {run['seconds']:.2f} "
                    f"({run['summarize_seconds']:.2f} / {run['write_seconds']:.2f}) | {run['peak_rss_mb']:.0f} MB "
                    f"| {run['rss_before_reading_mb']:.0f} MB |"
                )
    save("summarize_speed", {"by": args.by, "resamples": args.resamples, "runs": runs})


if __name__ == "__main__":
    main()
