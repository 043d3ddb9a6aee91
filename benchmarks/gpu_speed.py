"""GPU tagging speed: the plain `transformers` pipeline against govtag's batched path, on one device.

    python benchmarks/gpu_speed.py [--repeat 20] [--batch-sizes 64,256,1024] [--json results.json]
    python benchmarks/gpu_speed.py --device cpu --repeat 1 --pipeline-units 100   # smoke run on a CPU

Every path runs the same randomly initialised model of the default model's shape (BERT encoder as
e5-small with the CJK vocabulary: 12 layers, 12 heads, hidden 384, vocabulary 100,882; mean pooling
and the two heads): speed does not depend on the weights, and no model file has to travel to the GPU
machine. The tokenizer is the tiny test backbone's character vocabulary: one token per Chinese
character, a little longer than the real XLM-R pieces, so the rates are if anything conservative.
The units are the seed units repeated --repeat times.

(a) pipeline — the plain `transformers.Pipeline` of benchmarks/plain_pipeline.py, one unit per call,
    fp32: what a user of `transformers` would write;
(b) govtag `Tagger` with autocast off (fp32): length-sorted batches, dynamic padding, inference_mode,
    logits fetched from the GPU once at the end; at each of --batch-sizes;
(c) govtag `Tagger` on a GPU: the same plus bf16 autocast (fp16 on GPUs without bf16);
(d) as `govtag tag` runs it: (c) called once per document (the pipeline tags document by document, so
    a batch never spans two), at tag.gpu_batch_size (256, the GPU default; tag.batch_size, 16, is for CPUs).
The last line gives the rate of tokenizing alone (CPU): no batched path can beat it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import nullcontext
from itertools import groupby
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.plain_pipeline import plain_pipeline  # noqa: E402
from benchmarks.results import save  # noqa: E402
from govtag.inference.config import Config, default_config  # noqa: E402
from govtag.inference.model import GovTagModel  # noqa: E402
from govtag.inference.model_inputs import encode, model_contexts, model_texts  # noqa: E402
from govtag.inference.tagger import Tagger  # noqa: E402
from govtag.labels.schema import TASKS, load_schema  # noqa: E402


def default_shaped_model(n_domain: int, n_type: int) -> GovTagModel:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    encoder = BertModel(
        BertConfig(
            vocab_size=100882,
            hidden_size=384,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=1536,
            max_position_embeddings=512,
            type_vocab_size=1,
        ),
        add_pooling_layer=False,
    )
    return GovTagModel(encoder, n_domain, n_type).eval()


def char_tokenizer():
    from transformers import BertTokenizerFast

    from govtag.training.backbone import tiny_vocabulary

    return BertTokenizerFast(vocab={piece: i for i, piece in enumerate(tiny_vocabulary())})


def pipeline_labels(model: GovTagModel, tokenizer, cfg: Config, units: list[dict], device: str) -> list[tuple]:
    """(a): the plain pipeline, called one unit at a time."""
    return plain_pipeline(model, tokenizer, cfg, device)(units)


def timed(fn, device: str) -> tuple[object, float, float]:
    """(result, seconds, peak GPU memory in MB) of fn()."""
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    result = fn()
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return result, seconds, torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0.0


def tagger_labels(tagger: Tagger, units: list[dict], per_document: bool = False) -> list[tuple]:
    if per_document:
        docs = [list(g) for _, g in groupby(units, key=lambda u: u["doc_id"])]
        return [label for doc in docs for label in tagger_labels(tagger, doc)]
    logits = tagger.logits(units)
    return list(zip(*(logits[t].argmax(-1).tolist() for t in TASKS)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--repeat", type=int, default=20, help="Repeat the 434 seed units N times.")
    p.add_argument("--batch-sizes", default="64,256,1024", help="Batch sizes for (b) and (c).")
    p.add_argument("--pipeline-units", type=int, default=3000, help="Units timed for (a), the slow path.")
    p.add_argument("--json", help="Also write the results to this JSON file.")
    args = p.parse_args()
    seeds = [json.loads(line) for line in (REPO / "labels/data/seeds.jsonl").read_text(encoding="utf-8").splitlines()]
    units = seeds * args.repeat
    schema, cfg, tokenizer = load_schema(), default_config(), char_tokenizer()
    model = default_shaped_model(len(schema.domain), len(schema.type))
    device = args.device
    name = torch.cuda.get_device_name(0) if device == "cuda" else "CPU"
    few = units[: args.pipeline_units]
    pipeline_labels(model, tokenizer, cfg, few[:20], device)  # warm-up
    ref, seconds, memory = timed(lambda: pipeline_labels(model, tokenizer, cfg, few, device), device)
    rows = [("(a) transformers pipeline, 1 unit/call, fp32", len(few), seconds, memory, 1.0)]
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    runs = [(f"(b) govtag Tagger, batch {b}, fp32", b, False, False) for b in sizes]
    dtype = "bf16" if device == "cuda" and torch.cuda.is_bf16_supported() else "fp16"
    if device == "cuda":
        runs += [(f"(c) govtag Tagger, batch {b}, {dtype} autocast", b, True, False) for b in sizes]
    runs.append(
        (
            f"(d) govtag tag: per document, batch {cfg.tag.gpu_batch_size}"
            + (f", {dtype} autocast" if device == "cuda" else ", fp32"),
            cfg.tag.gpu_batch_size,
            True,
            True,
        )
    )
    for label, batch_size, autocast, per_document in runs:
        tagger = Tagger(model, tokenizer, cfg, schema, batch_size=batch_size, device=device, backend="torch")
        if not autocast:
            tagger.backend.autocast = nullcontext
        tagger.logits(units[: 2 * batch_size])  # warm-up
        labels, seconds, memory = timed(lambda t=tagger, d=per_document: tagger_labels(t, units, d), device)
        rows.append((label, len(units), seconds, memory, sum(a == b for a, b in zip(labels, ref)) / len(ref)))
    _, seconds, _ = timed(
        lambda: encode(
            tokenizer, model_texts(units, cfg.model), model_contexts(units, cfg.model), cfg.model.max_length
        ),
        "cpu",
    )
    tokenizing = len(units) / seconds
    base = rows[0][1] / rows[0][2]
    print(
        f"\ndevice: {name}, torch {torch.__version__}, default-shaped model (random weights), "
        f"{len(units)} units (seed units × {args.repeat})\n"
    )
    print("| path | units | units/s | speed-up | peak GPU MB | same labels as (a) |\n|---|---:|---:|---:|---:|---:|")
    for label, n, seconds, memory, same in rows:
        print(f"| {label} | {n} | {n / seconds:.0f} | {n / seconds / base:.1f}× | {memory:.0f} | {100 * same:.1f}% |")
    print(f"\ntokenizing alone (`inference.model_inputs.encode`, on the CPU): {tokenizing:.0f} units/s")
    payload = {
        "device": name,
        "torch": torch.__version__,
        "tokenizing_units_per_s": round(tokenizing),
        "rows": [
            {
                "path": r[0],
                "units": r[1],
                "seconds": round(r[2], 3),
                "units_per_s": round(r[1] / r[2], 1),
                "peak_gpu_mb": round(r[3]),
                "same_labels": round(r[4], 4),
            }
            for r in rows
        ],
    }
    save("gpu_speed", payload)
    if args.json:
        Path(args.json).write_text(json.dumps(payload, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
