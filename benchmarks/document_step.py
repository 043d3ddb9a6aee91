"""The document step on the project's dev split: none, gated neighbour smoothing, or a learned step.

    python benchmarks/document_step.py --model models/default [--folds 5] [--out FILE]

The model's scores of the dev units (calibrated, its own document step switched off) are split by document
into folds; each fold is scored by a step fitted on the other folds, so every figure is held out:

- none: the model's scores as they are;
- gated: gated neighbour smoothing (`inference.document_step.fit`: window, weight and threshold);
- learned: logistic regression per task over the unit's log-probabilities, the mean log-probabilities of its
  neighbours one and two units away on each side, and those of the unit before and after it.

It prints macro-F1 of each (with the 95% document-bootstrap interval of the gain over none) and writes them as
JSON. The default keeps a learned step only where it beats gated smoothing here (docs/quality.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.results import save  # noqa: E402


def features(logp: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per unit of one document (rows in reading order): own, window-1 and window-2 neighbour means, before, after."""
    p = logp[rows]
    n, k = p.shape
    pad = np.vstack([np.zeros((2, k)), p, np.zeros((2, k))])
    count = np.vstack([np.zeros((2, 1)), np.ones((n, 1)), np.zeros((2, 1))])
    mean = (
        lambda offsets: (
            sum(pad[2 + o : 2 + o + n] for o in offsets)  # noqa: E731
            / np.maximum(sum(count[2 + o : 2 + o + n] for o in offsets), 1)
        )
    )
    return np.hstack([p, mean((-1, 1)), mean((-2, -1, 1, 2)), pad[1 : 1 + n], pad[3 : 3 + n]])


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    from govtag.inference.document_step import documents, fit, smooth
    from govtag.inference.tagger import Tagger
    from govtag.labels.schema import TASKS
    from govtag.training.evaluate import gold_index, split_of_model_data
    from govtag.training.metrics import paired_bootstrap

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(REPO / "models" / "default"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", help="JSON file to write (default: benchmarks/results/document_step-DATE.json)")
    args = ap.parse_args()

    tagger = Tagger.load(args.model)
    tagger.document_step = {}
    units = split_of_model_data(tagger.cfg, tagger.schema, "dev")
    probs = tagger.document_probabilities(units)
    docs = documents(units)
    fold_of = [
        int(hashlib.sha1(str(units[rows[0]]["doc_id"]).encode()).hexdigest()[:8], 16) % args.folds for rows in docs
    ]
    preds = {name: {} for name in ("none", "gated", "learned")}
    settings = {}
    for t in TASKS:
        gold, logp = gold_index(units, tagger.schema, t), np.log(np.clip(probs[t], 1e-9, None))
        out = {name: probs[t].argmax(1).copy() for name in preds}
        x = np.zeros((len(units), 5 * probs[t].shape[1]))
        for rows in docs:
            x[rows] = features(logp, rows)
        settings[t] = []
        for f in range(args.folds):
            train_docs = [rows for rows, g in zip(docs, fold_of) if g != f]
            held = [rows for rows, g in zip(docs, fold_of) if g == f]
            if not held:
                continue
            train_rows = np.concatenate(train_docs)
            s = fit_by_documents(probs[t], gold, units, train_docs, fit)
            settings[t].append(s.to_dict())
            learned = LogisticRegression(max_iter=2000, C=1.0).fit(x[train_rows], gold[train_rows])
            for rows in held:
                out["gated"][rows] = smooth(probs[t][rows], s).argmax(1)
                out["learned"][rows] = learned.classes_[learned.predict_proba(x[rows]).argmax(1)]
        for name in preds:
            preds[name][t] = out[name]
    gold = {t: gold_index(units, tagger.schema, t) for t in TASKS}
    sizes = {t: len(tagger.schema.labels(t)) for t in TASKS}
    doc_ids = [str(u["doc_id"]) for u in units]
    result = {
        "model": args.model,
        "dev_units": len(units),
        "documents": len(docs),
        "folds": args.folds,
        "gated_settings": settings,
        "scores": {},
    }
    print(f"dev split of {args.model}: {len(units)} units, {len(docs)} documents, {args.folds} folds by document\n")
    print("| step | domain macro-F1 | gain (95% CI) | type macro-F1 | gain (95% CI) |\n|---|---:|---:|---:|---:|")
    for name in preds:
        paired = paired_bootstrap(gold, preds["none"], preds[name], sizes, docs=doc_ids)
        row = {}
        for t in TASKS:
            m = paired[f"{t}_macro_f1"]
            row[t] = {"macro_f1": m["new"], "gain": m["delta"], "gain_ci": m["ci"]}
        result["scores"][name] = row
        print(
            f"| {name} | "
            + " | ".join(
                f"{row[t]['macro_f1']:.3f} | {row[t]['gain']:+.3f} "
                f"({row[t]['gain_ci'][0]:+.3f} to {row[t]['gain_ci'][1]:+.3f})"
                for t in TASKS
            )
            + " |"
        )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nwritten to {args.out}")
    else:
        save("document_step", result)


def fit_by_documents(probs, gold, units, train_docs, fit):
    """`fit` on the documents of the training folds, each read in its own order."""
    rows = np.concatenate(train_docs)
    order = {int(i): k for k, i in enumerate(rows)}
    local = [{"doc_id": units[i]["doc_id"], "seq": order[int(i)]} for i in rows]
    return fit(probs[rows], gold[rows], local)


if __name__ == "__main__":
    main()
