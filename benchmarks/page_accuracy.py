"""Accuracy from the files: labeled pages tagged as `govtag tag` reads them — reader, segmenter and model
together — against their gold units.

    python benchmarks/page_accuracy.py --model models/default [--pages labels/data/pages/w66 …] [--out FILE]

`govtag evaluate` scores the model on the gold units as stored, so it cannot see what the reader does to a
page. Here each page file (`labels/data/pages/`) is read and tagged from scratch; each gold unit of that page
(`labels/data/written/`, matched by the page's file name) then takes the labels of the tagged unit that covers
most of its characters (whitespace ignored): a reader that runs two sentences into one unit, or cuts one in
two, costs what it costs a user. A gold unit the reader dropped as page furniture counts as 其他/other (right
for wrapper, wrong for report text); units the reader makes that have no gold are not scored.
It prints macro-F1 and accuracy per task, overall and per genre, and writes them as JSON. It uses only the
public API (`govtag.load(...).tag_files`), so it runs as it is with an earlier release's code, for a
before/after of the reader (docs/quality.md).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.results import save  # noqa: E402

TASKS = ("domain", "type")
DROPPED = {"domain": "其他", "type": "other"}  # a gold unit the reader dropped as page furniture is read as that
_SPACE = re.compile(r"\s+")


def page_files(paths: list[str]) -> list[Path]:
    files = []
    for p in map(Path, paths):
        files += sorted(p.rglob("*.txt")) if p.is_dir() else [p]
    return files


def gold_units(data_dir: Path, stems: set[str]) -> dict[str, list[dict]]:
    """The gold units of each page, in reading order (X, X#2 … of one page one after another)."""
    gold = defaultdict(list)
    for path in sorted((data_dir / "written").glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            unit = json.loads(line)
            page, _, part = unit["doc_id"].partition("#")
            if page in stems:
                gold[page].append((int(part or 1), unit["seq"], unit))
    return {page: [u for *_, u in sorted(units, key=lambda t: t[:2])] for page, units in gold.items()}


def _chars(units: list[dict]) -> tuple[str, list[int]]:
    text, owner = "", []
    for i, unit in enumerate(units):
        t = _SPACE.sub("", unit["text"])
        text += t
        owner += [i] * len(t)
    return text, owner


def align(gold: list[dict], tagged: list[dict]) -> list[dict | None]:
    """For each gold unit, the tagged unit covering most of its characters (None: none covers any)."""
    g_text, g_owner = _chars(gold)
    t_text, t_owner = _chars(tagged)
    votes = defaultdict(Counter)
    for a, b, n in difflib.SequenceMatcher(a=g_text, b=t_text, autojunk=False).get_matching_blocks():
        for k in range(n):
            votes[g_owner[a + k]][t_owner[b + k]] += 1
    return [tagged[votes[i].most_common(1)[0][0]] if votes[i] else None for i in range(len(gold))]


def scores(pairs: list[tuple[dict, dict | None]], schema) -> dict:
    """Macro-F1 and accuracy per task, as `govtag evaluate` computes them (training/metrics.py)."""
    from govtag.training.metrics import task_metrics

    out = {"n": len(pairs)}
    for task in TASKS:
        gold = [g[task] for g, _ in pairs]
        pred = [t[task] if t else DROPPED[task] for _, t in pairs]
        metrics = task_metrics(gold, pred, schema.labels(task))
        out[task] = {k: round(metrics[k], 4) for k in ("macro_f1", "accuracy")}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(REPO / "models" / "default"))
    parser.add_argument("--pages", nargs="+", default=[str(REPO / "labels" / "data" / "pages")])
    parser.add_argument("--data", default=str(REPO / "labels" / "data"), help="The labeled corpus (its written/).")
    parser.add_argument("--out", help="Also write the result here (JSON).")
    args = parser.parse_args()

    import govtag

    files = page_files(args.pages)
    gold = gold_units(Path(args.data), {f.stem for f in files})
    tagger = govtag.load(args.model)
    pairs, lost, extra = [], 0, 0
    for page in files:
        if page.stem not in gold:
            continue
        tagged = list(tagger.tag_files([str(page)]))
        matched = align(gold[page.stem], tagged)
        lost += sum(t is None for t in matched)
        extra += len(tagged) - len({id(t) for t in matched if t is not None})
        pairs += list(zip(gold[page.stem], matched))
    if not pairs:
        sys.exit(f"no gold units for the pages given ({len(files)} files)")
    by_genre = defaultdict(list)
    for g, t in pairs:
        by_genre[g.get("genre", "?")].append((g, t))
    result = {
        "model": args.model,
        "pages": len({g["doc_id"].partition("#")[0] for g, _ in pairs}),
        "lost": lost,
        "tagged_units_matching_no_gold_unit": extra,
        "all": scores(pairs, tagger.schema),
        "by_genre": {genre: scores(p, tagger.schema) for genre, p in sorted(by_genre.items())},
    }
    print("| pages | units | domain macro-F1 | accuracy | type macro-F1 | accuracy |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, s in [("all", result["all"])] + sorted(result["by_genre"].items()):
        d, t = s["domain"], s["type"]
        print(
            f"| {name} | {s['n']} | {d['macro_f1']:.3f} | {d['accuracy']:.3f} | {t['macro_f1']:.3f} | {t['accuracy']:.3f} |"
        )
    print(f"\n{result['pages']} pages; gold units the reader dropped (scored as 其他/other): {lost}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    save("page_accuracy", result)


if __name__ == "__main__":
    main()
