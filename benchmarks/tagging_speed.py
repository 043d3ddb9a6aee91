"""Tagging speed, memory and int8 accuracy: the plain `transformers` pipeline against our two paths.

    python benchmarks/tagging_speed.py [--model models/default] [--repeat 3] [--data FILE.jsonl|dev|test]
    python benchmarks/tagging_speed.py --memory-scaling [--reports 10,100]

Speed mode tags one corpus (the seed reports in examples/, segmented as `govtag tag` does, repeated
--repeat times) four ways, each in a fresh subprocess so peak RSS is that path's alone:

(a) pipeline — what a user of `transformers` would write: the `transformers.Pipeline` subclass of
    benchmarks/plain_pipeline.py, called one unit at a time, with the same weights and inputs as (b) (and
    the model's TF-IDF part, if it has one, blended in its postprocessing).
(b) torch — `Tagger` with the torch backend, one document per call as `govtag tag` runs it (so a heading
    path shared by two documents is encoded twice), as many documents at a time as the model's tag.workers
    says (one per core, each on one thread, with the default): length-sorted batches of at most
    --batch-size (default the model's tag.batch_size) cut where padding costs more than a call, dynamic
    padding, inference_mode.
(c) onnx int8 — `Tagger` with the onnx backend on MODEL/onnx/model.int8.onnx (exported here if missing),
    near ties tagged again with the fp32 export (the model's tag.onnx_recheck_margin): `govtag tag`'s default.
(d) the same, int8 alone (`--recheck-margin 0`).

It prints one Markdown table: units/s, speed-up over (a), peak RSS, agreement with (b) (% of units with
the same domain AND type), and for (b)–(d) macro-F1 and agreement on a labeled file (--data; only read,
never copied) or on the dev or test split of the model's own data (--data dev).

--memory-scaling tags directories of 10, 100, … copies of the seed reports through `tag_paths` (all
outputs written, as `govtag tag` does) and prints peak RSS per size: it stays flat as the corpus grows.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.results import save  # noqa: E402

PATHS = {
    "pipeline": "(a) transformers pipeline, 1 unit/call",
    "torch": "(b) govtag tag --backend torch, batch {}",
    "onnx": "(c) govtag tag (the default: ONNX int8 + fp32 re-check of near ties), batch {}",
    "int8": "(d) govtag ONNX int8 alone (`--recheck-margin 0`), batch {}",
}


def cpu() -> str:
    """The CPU's name and vector extensions: with VNNI (int8 dot products) paths (c) and (d) run about 1.5× faster."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return platform.machine()
    field = lambda key: next((line.split(":", 1)[1].strip() for line in info if line.startswith(key)), "")  # noqa: E731
    flags = set(field("flags").split())
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else platform.machine()
    return f"{field('model name') or platform.machine()} ({vector}, {'VNNI' if flags & {'avx512_vnni', 'avx_vnni'} else 'no VNNI'})"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_corpus(repeat: int) -> list[dict]:
    from govtag.inference.document import Document
    from govtag.inference.read import expand, read_all
    from govtag.inference.segment import document_units

    units = []
    for doc in read_all(list(expand([REPO / "examples"]))):
        assert isinstance(doc, Document), doc
        units += document_units(doc)
    return units * repeat


def best_of(rounds: int, predict, units: list[dict]) -> tuple[list, float]:
    """Predictions and the fastest of `rounds` timed passes: other work on a shared machine only slows runs."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        pred = predict(units)
        times.append(time.perf_counter() - start)
    return pred, min(times)


def pipeline_predictor(model_dir: str):
    """(a): the plain pipeline, called one unit at a time."""
    from benchmarks.plain_pipeline import plain_pipeline
    from govtag.inference.bundle import load_bundle, load_document_step, load_tfidf, read_json
    from govtag.labels.schema import TASKS

    model, tokenizer, cfg, schema = load_bundle(model_dir)
    pipe = plain_pipeline(
        model,
        tokenizer,
        cfg,
        schema=schema,
        tfidf=load_tfidf(model_dir, cfg),
        temperature=read_json(model_dir, "calibration.json"),
        document_step=load_document_step(model_dir),
    )
    documents = lambda units: (list(doc) for _, doc in itertools.groupby(units, key=lambda u: u["doc_id"]))  # noqa: E731
    return lambda units: [
        [schema.labels(t)[i] for t, i in zip(TASKS, labels)] for doc in documents(units) for labels in pipe(doc)
    ]


def worker(args) -> None:
    """Tag the units file one way; write predictions, timings and peak RSS as JSON."""
    import torch

    from govtag.inference.model_inputs import contextualize
    from govtag.inference.tagger import Tagger
    from govtag.labels.corpus import read_units
    from govtag.labels.schema import load_schema

    torch.set_num_threads(args.threads)
    units = [json.loads(line) for line in Path(args.units).read_text(encoding="utf-8").splitlines()]
    result: dict = {"units": len(units)}
    if args.worker == "pipeline":
        result["pred"], result["seconds"] = best_of(args.rounds, pipeline_predictor(args.model), units)
        result["rss_mb"] = peak_rss_mb()
    else:
        backend, recheck = ("onnx", 0.0) if args.worker == "int8" else (args.worker, None)
        tagger = Tagger.load(
            args.model, threads=args.threads, backend=backend, batch_size=args.batch_size, recheck_margin=recheck
        )

        def predict(units: list[dict]) -> list[list[str]]:
            docs = [list(group) for _, group in itertools.groupby(units, key=lambda u: u["doc_id"])]
            return [[r["domain"], r["type"]] for doc in tagger.map_documents(tagger.predict, docs) for r in doc]

        result["pred"], result["seconds"] = best_of(args.rounds, predict, units)
        result["workers"], result["threads"] = tagger.workers, tagger.threads
        result["rss_mb"] = peak_rss_mb()  # before the labeled file, which is not part of the timing
        if args.data in ("dev", "test"):  # a split of the model's own data
            from govtag.training.evaluate import split_of_model_data

            gold = split_of_model_data(tagger.cfg, tagger.schema, args.data)
        else:
            gold = contextualize(read_units(args.data, load_schema()))
        result["data"] = {"gold": [[u["domain"], u["type"]] for u in gold], "pred": predict(gold)}
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def run_worker(args, kind: str, units_file: Path, tmp: Path, extra: tuple[str, ...] = ()) -> dict:
    out = tmp / f"{kind}.json"
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            kind,
            "--model",
            str(args.model),
            "--units",
            str(units_file),
            "--data",
            str(args.data),
            "--threads",
            str(args.threads),
            "--batch-size",
            str(args.batch_size),
            "--rounds",
            str(args.rounds),
            "--out",
            str(out),
            *extra,
        ],
        check=True,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def macro_f1(rows: dict, task: int) -> float:
    from govtag.labels.schema import load_schema
    from govtag.training.metrics import task_metrics

    name = ("domain", "type")[task]
    return task_metrics([g[task] for g in rows["gold"]], [p[task] for p in rows["pred"]], load_schema().labels(name))[
        "macro_f1"
    ]


def speed(args) -> None:
    from govtag.inference.onnx_session import HEADS, INT8, ONNX_DIR

    if not all((Path(args.model) / ONNX_DIR / name).exists() for name in (INT8, HEADS)):
        print(f"exporting {args.model} to ONNX first", file=sys.stderr)
        # in its own process: a worker forked from this one would start from the export's peak memory
        subprocess.run(
            [sys.executable, "-m", "govtag.cli", "export-onnx", "--model", str(args.model)],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    units = seed_corpus(args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        units_file = Path(tmp) / "units.jsonl"
        units_file.write_text("".join(json.dumps(u, ensure_ascii=False) + "\n" for u in units), encoding="utf-8")
        results = {kind: run_worker(args, kind, units_file, Path(tmp)) for kind in PATHS}
    base, ref = results["pipeline"], results["torch"]
    print(
        f"\n{len(units)} units (seed reports × {args.repeat}), model `{args.model}`, {args.threads} threads, "
        f"{cpu()}, load average {os.getloadavg()[0]:.1f}, best of {args.rounds} passes; "
        f"macro-F1 on `{args.data}` ({len(ref['data']['gold'])} units); (b)–(d) tag {ref['workers']} "
        f"document(s) at a time, {ref['threads']} thread(s) each\n"
    )
    print("| path | units/s | speed-up | peak RSS MB | same labels as (b) | domain macro-F1 | type macro-F1 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = []
    for kind, r in results.items():
        rate = r["units"] / r["seconds"]
        same = sum(a == b for a, b in zip(r["pred"], ref["pred"])) / len(units)
        rows.append(
            {
                "path": PATHS[kind].format(args.batch_size),
                "units_per_s": round(rate, 1),
                "peak_rss_mb": round(r["rss_mb"]),
                "same_labels_as_b": round(same, 4),
                **(
                    {
                        "domain_macro_f1": round(macro_f1(r["data"], 0), 4),
                        "type_macro_f1": round(macro_f1(r["data"], 1), 4),
                    }
                    if "data" in r
                    else {}
                ),
            }
        )
        f1 = [f"{macro_f1(r['data'], t):.3f}" if "data" in r else "–" for t in (0, 1)]
        if kind in ("onnx", "int8"):
            f1 = [
                f"{f} ({100 * (macro_f1(r['data'], t) - macro_f1(ref['data'], t)):+.1f} pt)" for t, f in enumerate(f1)
            ]
        print(
            f"| {PATHS[kind].format(args.batch_size)} | {rate:.1f} | {rate / (base['units'] / base['seconds']):.1f}× | {r['rss_mb']:.0f} "
            f"| {100 * same:.1f}% | {f1[0]} | {f1[1]} |"
        )
    for kind in ("onnx", "int8"):
        same = sum(a == b for a, b in zip(results[kind]["data"]["pred"], ref["data"]["pred"])) / len(
            ref["data"]["pred"]
        )
        print(
            f"\nOn `{args.data}`, {PATHS[kind][:3]} gives the same domain and type as (b) for {100 * same:.1f}% "
            "of units."
        )
        rows[list(results).index(kind)]["same_labels_as_b_on_data"] = round(same, 4)
    save(
        "tagging_speed",
        {
            "units": len(units),
            "model": str(args.model),
            "threads": args.threads,
            "data": str(args.data),
            "rounds": args.rounds,
            "paths": rows,
        },
    )


def scale_worker(args) -> None:
    from govtag.inference.pipeline import tag_paths
    from govtag.inference.tagger import Tagger

    tagger = Tagger.load(args.model, threads=args.threads, backend=args.backend, batch_size=args.batch_size)
    loaded = peak_rss_mb()
    summary = tag_paths([args.units], tagger, Path(args.out).parent / "tagged")
    Path(args.out).write_text(
        json.dumps(
            {
                "units": summary.units,
                "seconds": summary.seconds,
                "loaded_mb": loaded,
                "rss_mb": peak_rss_mb(),
                "backend": tagger.backend.name,
            }
        ),
        encoding="utf-8",
    )


def memory_scaling(args) -> None:
    seeds = sorted((REPO / "examples").glob("*.txt"))
    print("| reports | units | seconds | units/s | RSS after load MB | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    rows = []
    for n in (int(x) for x in args.reports.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "reports"
            corpus.mkdir()
            for i in range(n):
                shutil.copy(seeds[i % len(seeds)], corpus / f"{i:05d}_{seeds[i % len(seeds)].name}")
            backend = ("--backend", args.backend) if args.backend else ()
            r = run_worker(args, "scale", corpus, Path(tmp), backend)
        rows.append({"reports": n, **r})
        print(
            f"| {n} | {r['units']} | {r['seconds']:.1f} | {r['units'] / r['seconds']:.1f} | {r['loaded_mb']:.0f} "
            f"| {r['rss_mb']:.0f} |",
            flush=True,
        )
    print(f"\nbackend: {r['backend']}, model `{args.model}`, {args.threads} threads, {cpu()}, all outputs written")
    save("memory_scaling", {"model": str(args.model), "threads": args.threads, "runs": rows})


def main() -> None:
    from govtag.inference.onnx_session import physical_cores

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(REPO / "models" / "default"))
    parser.add_argument("--repeat", type=int, default=1, help="Repeat the seed corpus N times.")
    parser.add_argument(
        "--data",
        default=str(REPO / "labels" / "data" / "seeds.jsonl"),
        help="Labeled JSONL for macro-F1 and agreement, or dev or test: a split of the model's own data.",
    )
    parser.add_argument("--threads", type=int, default=physical_cores())
    parser.add_argument("--batch-size", type=int, help="Batch size of (b)–(d) (default: the model's tag.batch_size).")
    parser.add_argument("--rounds", type=int, default=3, help="Timed passes per path; the fastest counts.")
    parser.add_argument("--memory-scaling", action="store_true")
    parser.add_argument("--reports", default="10,100", help="Corpus sizes (number of reports) for --memory-scaling.")
    parser.add_argument("--backend", choices=("torch", "onnx"), help="--memory-scaling backend (default: the model's).")
    parser.add_argument("--worker", choices=(*PATHS, "scale"), help=argparse.SUPPRESS)
    parser.add_argument("--units", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.batch_size is None:
        from govtag.inference.bundle import check_bundle

        args.batch_size = check_bundle(args.model)[0].tag.batch_size
    if args.worker == "scale":
        scale_worker(args)
    elif args.worker:
        worker(args)
    elif args.memory_scaling:
        memory_scaling(args)
    else:
        speed(args)


if __name__ == "__main__":
    main()
