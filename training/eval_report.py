"""How an evaluation is shown: the rows and notes of `govtag evaluate`'s tables, its JSON, and the report
directory (Markdown summary, confusion and reliability plots, per-document table, most confident errors)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ..labels.atomic import atomic_write
from ..labels.schema import TASKS, Schema
from .evaluate import GROUPINGS

SCORE_COLUMNS = ("task", "accuracy", "macro-F1 (95% CI)", "baseline macro-F1", "lead over baseline (95% CI)", "ECE")


def score_cells(result: dict, task: str) -> list[str]:
    """One row of SCORE_COLUMNS, as `govtag evaluate` and report.md show it."""
    m, base = result[task], result.get("baseline", {}).get(task)
    low, high = m["macro_f1_ci"]
    lead = (
        "-"
        if base is None
        else (
            f"{base['model_lead']['delta']:+.3f} "
            f"({base['model_lead']['ci'][0]:+.3f} to {base['model_lead']['ci'][1]:+.3f})"
        )
    )
    return [
        task,
        f"{m['accuracy']:.3f}",
        f"{m['macro_f1']:.3f} ({low:.3f}–{high:.3f})",
        "-" if base is None else f"{base['macro_f1']:.3f}",
        lead,
        f"{m['ece']:.3f}",
    ]


def score_note(result: dict) -> str:
    """What the intervals and the lead mean, as `govtag evaluate` and report.md say it."""
    note = (
        "95% CI: over documents resampled with replacement (1000 times); the lead over the baseline is paired "
        "(both scored on the same resamples)."
    )
    weights = result.get("tfidf_weights")
    if weights and "baseline" in result:
        note += (
            " The model blends that baseline into its scores (weights "
            + ", ".join(f"{t} {w}" for t, w in weights.items())
            + "): the lead is what the encoder adds to it."
        )
    return note


BREAKDOWN_COLUMNS = (
    "group",
    "units",
    "documents",
    "domain macro-F1 (95% CI)",
    "type macro-F1 (95% CI)",
    "accuracy domain / type",
)


def breakdown_rows(result: dict, name: str) -> list[list[str]]:
    """Rows of BREAKDOWN_COLUMNS for one breakdown (by_genre, by_heading_path), as `govtag evaluate` and
    report.md show them."""

    def cell(m: dict) -> str:
        return f"{m['macro_f1']:.3f} ({m['macro_f1_ci'][0]:.3f}–{m['macro_f1_ci'][1]:.3f})"

    return [
        [
            group,
            str(m["n"]),
            str(m["documents"]),
            cell(m["domain"]),
            cell(m["type"]),
            f"{m['domain']['accuracy']:.3f} / {m['type']['accuracy']:.3f}",
        ]
        for group, m in result.get(name, {}).items()
    ]


def summary_json(result: dict) -> str:
    keep = {
        "n": result["n"],
        **{t: {k: result[t][k] for k in ("accuracy", "macro_f1", "macro_f1_ci", "per_class", "ece")} for t in TASKS},
        **{name: result[name] for name in GROUPINGS if name in result},
    }
    if "tfidf_weights" in result:
        keep["tfidf_weights"] = result["tfidf_weights"]
    if "baseline" in result:
        keep["baseline"] = {
            t: {k: result["baseline"][t][k] for k in ("accuracy", "macro_f1", "model_lead")} for t in TASKS
        }
    return json.dumps(keep, ensure_ascii=False, indent=2)


def confusion_text(matrix: list[list[int]], labels: tuple[str, ...]) -> str:
    width = max(6, *(len(str(v)) for row in matrix for v in row)) + 1
    head = "gold \\ pred".ljust(12) + "".join(label[: width - 1].rjust(width) for label in labels)
    rows = [
        label.ljust(12 - sum(1 for c in label if ord(c) > 0x2E80)) + "".join(str(v).rjust(width) for v in row)
        for label, row in zip(labels, matrix)
    ]
    return "\n".join([head, *rows])


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no screen
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(path: Path, matrix: list[list[int]], labels: list[str], title: str) -> None:
    plt = _pyplot()
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
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    used = [b for b in bins if b["count"]]
    ax.bar(
        [(b["low"] + b["high"]) / 2 for b in used],
        [b["accuracy"] for b in used],
        width=0.09,
        alpha=0.7,
        label="accuracy per confidence bin",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(out: Path, result: dict, schema: Schema) -> None:
    """The report directory of a `run_evaluation` result."""
    documents, cases = result["per_document"], result["bad_cases"]
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Evaluation of {result['model']}",
        "",
        f"Data: `{result['data']}`, {result['n']} units.",
        "",
        "| " + " | ".join(SCORE_COLUMNS) + " | temperature |",
        "|---" * (len(SCORE_COLUMNS) + 1) + "|",
    ]
    for t in TASKS:
        lines.append("| " + " | ".join(score_cells(result, t)) + f" | {result['calibration'].get(t, 1.0)} |")
    lines += ["", score_note(result)]
    for name in GROUPINGS:
        lines += [
            "",
            f"## {name.replace('_', ' ').capitalize()}",
            "",
            "| " + " | ".join(BREAKDOWN_COLUMNS) + " |",
            "|---" * len(BREAKDOWN_COLUMNS) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in breakdown_rows(result, name)]
    for t in TASKS:
        labels = schema.labels(t)
        english = [schema.english[label] for label in labels]
        plot_confusion(out / f"confusion_{t}.png", result[t]["confusion"], english, f"{t}: confusion")
        plot_reliability(out / f"reliability_{t}.png", result[t]["reliability"], f"{t}: reliability")
        lines += ["", f"## {t}", "", "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        lines += [
            f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
            for label, m in result[t]["per_class"].items()
        ]
        lines += [
            "",
            "```",
            confusion_text(result[t]["confusion"], labels),
            "```",
            "",
            f"![confusion](confusion_{t}.png) ![reliability](reliability_{t}.png)",
        ]
    lines += [
        "",
        "## Most confident errors",
        "",
        "| task | gold | pred | score | section | text |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {c['task']} | {c['gold']} | {c['pred']} | {c['score']:.2f} | {c['section'][-30:]} | {c['text'][:80]} |"
        for c in cases
    ]
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
