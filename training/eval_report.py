"""Write an evaluation report directory: Markdown summary, confusion and reliability plots, tables."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from inference.atomic import atomic_write  # noqa: E402
from labels.schema import TASKS, Schema  # noqa: E402

from .evaluate import BREAKDOWN_COLUMNS, GROUPINGS, SCORE_COLUMNS, breakdown_rows, score_cells, score_note  # noqa: E402


def confusion_text(matrix: list[list[int]], labels: tuple[str, ...]) -> str:
    width = max(6, *(len(str(v)) for row in matrix for v in row)) + 1
    head = "gold \\ pred".ljust(12) + "".join(label[:width - 1].rjust(width) for label in labels)
    rows = [label.ljust(12 - sum(1 for c in label if ord(c) > 0x2E80)) + "".join(str(v).rjust(width) for v in row)
            for label, row in zip(labels, matrix)]
    return "\n".join([head, *rows])


def plot_confusion(path: Path, matrix: list[list[int]], labels: list[str], title: str) -> None:
    fig, ax = plt.subplots(figsize=(1.1 * len(labels) + 2, 1.0 * len(labels) + 1.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    peak = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > peak / 2 else "black")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_reliability(path: Path, bins: list[dict], title: str) -> None:
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    used = [b for b in bins if b["count"]]
    ax.bar([(b["low"] + b["high"]) / 2 for b in used], [b["accuracy"] for b in used], width=0.09,
           alpha=0.7, label="accuracy per confidence bin")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(out: Path, result: dict, documents: dict[str, dict], cases: list[dict], schema: Schema) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"# Evaluation of {result['model']}", "", f"Data: `{result['data']}`, {result['n']} units.", "",
             "| " + " | ".join(SCORE_COLUMNS) + " | temperature |", "|---" * (len(SCORE_COLUMNS) + 1) + "|"]
    for t in TASKS:
        lines.append("| " + " | ".join(score_cells(result, t)) + f" | {result['calibration'].get(t, 1.0)} |")
    lines += ["", score_note(result)]
    for name in GROUPINGS:
        lines += ["", f"## {name.replace('_', ' ').capitalize()}", "", "| " + " | ".join(BREAKDOWN_COLUMNS) + " |",
                  "|---" * len(BREAKDOWN_COLUMNS) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in breakdown_rows(result, name)]
    for t in TASKS:
        labels = schema.labels(t)
        english = [schema.english[label] for label in labels]
        plot_confusion(out / f"confusion_{t}.png", result[t]["confusion"], english, f"{t}: confusion")
        plot_reliability(out / f"reliability_{t}.png", result[t]["reliability"], f"{t}: reliability")
        lines += ["", f"## {t}", "", "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        lines += [f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
                  for label, m in result[t]["per_class"].items()]
        lines += ["", "```", confusion_text(result[t]["confusion"], labels), "```", "",
                  f"![confusion](confusion_{t}.png) ![reliability](reliability_{t}.png)"]
    lines += ["", "## Most confident errors", "", "| task | gold | pred | score | section | text |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {c['task']} | {c['gold']} | {c['pred']} | {c['score']:.2f} | {c['section'][-30:]} | {c['text'][:80]} |"
              for c in cases]
    with atomic_write(out / "report.md") as f:
        f.write("\n".join(lines) + "\n")
    with atomic_write(out / "metrics.json") as f:
        f.write(json.dumps(result, ensure_ascii=False, indent=2))
    with atomic_write(out / "bad_cases.jsonl") as f:
        f.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)
    with atomic_write(out / "per_document.csv", encoding="utf-8-sig") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["doc_id", "n", *(f"{t}_accuracy" for t in TASKS)])
        w.writerows([doc, d["n"], *(d[f"{t}_accuracy"] for t in TASKS)] for doc, d in documents.items())
