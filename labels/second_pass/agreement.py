"""Agreement between the blind second pass (labels/second_pass/relabel.jsonl)
and the first annotator (labels/data/written/*.jsonl), joined on (doc_id, seq).

Run from /work/main:  python labels/second_pass/agreement.py
"""
import glob
import json
from collections import Counter
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parents[2]  # /work/main
SECOND = ROOT / "labels/second_pass/relabel.jsonl"
FIRST = sorted(glob.glob(str(ROOT / "labels/data/written/*.jsonl")))


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


first = {}
for p in FIRST:
    for r in load(p):
        first[(r["doc_id"], r["seq"])] = r
second = load(SECOND)

pairs = []
missing = []
for r in second:
    k = (r["doc_id"], r["seq"])
    if k not in first:
        missing.append(k)
        continue
    if first[k]["text"] != r["text"]:
        print(f"WARNING text mismatch at {k}")
    pairs.append((first[k], r))

print(f"second-pass units: {len(second)}  joined: {len(pairs)}  missing: {len(missing)}")
print(f"documents: {len({a['doc_id'] for a, _ in pairs})}")
print()
print(f"{'task':<8}{'n':>5}{'agree':>7}{'raw %':>8}{'kappa':>8}")
for task in ("domain", "type"):
    a = [x[task] for x, _ in pairs]
    b = [y[task] for _, y in pairs]
    agree = sum(x == y for x, y in zip(a, b))
    k = cohen_kappa_score(a, b)
    print(f"{task:<8}{len(a):>5}{agree:>7}{100 * agree / len(a):>7.1f}%{k:>8.3f}")
both = sum(x["domain"] == y["domain"] and x["type"] == y["type"] for x, y in pairs)
print(f"{'both':<8}{len(pairs):>5}{both:>7}{100 * both / len(pairs):>7.1f}%")

for task in ("domain", "type"):
    c = Counter((x[task], y[task]) for x, y in pairs if x[task] != y[task])
    print(f"\n{task} disagreements (first -> second): {sum(c.values())}")
    for (f, s), n in c.most_common():
        print(f"  {n:>3}  {f} -> {s}")

# per writer file
print("\nper writer file (raw % domain / type):")
by = {}
for x, y in pairs:
    by.setdefault(x["doc_id"].split("-")[0], []).append((x, y))
for w, ps in sorted(by.items()):
    d = sum(x["domain"] == y["domain"] for x, y in ps) / len(ps)
    t = sum(x["type"] == y["type"] for x, y in ps) / len(ps)
    print(f"  {w}: n={len(ps):>3}  domain {100 * d:5.1f}%  type {100 * t:5.1f}%")

print("\nall disagreeing units (first | second):")
for x, y in pairs:
    if x["domain"] != y["domain"] or x["type"] != y["type"]:
        h = "H " if x.get("heading") else "  "
        print(f"  {x['doc_id']}:{x['seq']:<3} {h}{x['domain']}/{x['type']} | "
              f"{y['domain']}/{y['type']}  {x['text'][:60]}")
