import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from govtag.cli import app
from govtag.inference.outputs import COLUMNS
from govtag.inference.pipeline import RunSummary, meta_columns, prepare_parts, tag_paths, write_all
from govtag.inference.ray_engine import PARQUET_DIR, ReplicaPool, TagReplica, collect, file_rows, read_and_segment
from govtag.inference.tagger import Tagger
from tests.conftest import REPO

EXAMPLES = REPO / "examples"
OUTPUTS = ("units.jsonl", "units.csv", "summary.csv", "report.html", "errors.jsonl")
FORMATS = ("jsonl", "csv", "parquet")


@pytest.fixture(scope="module")
def inputs():
    """Relative paths, as a user types them: outputs show them so, whatever a Ray worker's directory."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        yield [EXAMPLES.name, "no/such/report.txt"]


@pytest.fixture(scope="module")
def plain(tiny_model, inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("plain")
    tag_paths(inputs, Tagger.load(tiny_model), out, formats=FORMATS)
    return out


def assert_same_outputs(a, b):
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    partitions = sorted((b / PARQUET_DIR).glob("part-*.parquet"))
    assert pa.concat_tables([pq.read_table(p) for p in partitions]).equals(pq.read_table(a / "units.parquet"))
    return partitions


def test_replicas_write_what_the_plain_pipeline_writes_without_ray(tiny_model, inputs, plain, tmp_path):
    """The engine's steps called in this process: read + segment, two replicas on two partitions, collect."""
    tagger = Tagger.load(tiny_model)
    parts = prepare_parts(tmp_path, tagger, resume=False)
    seg = tagger.cfg.segment
    rows = [
        read_and_segment(r, str(parts), int(seg.max_file_mb * 1e6), seg.max_unit_chars, False)
        for r in file_rows(inputs)
    ]
    assert [r["index"] for r in rows] == list(range(6)) and rows[-1]["error"] == "no such file or directory"
    replicas = [
        TagReplica(
            str(tiny_model),
            str(parts),
            str(tmp_path / PARQUET_DIR),
            False,
            1,
            "onnx",  # the default path, as `plain` ran
            None,
            tagger.cfg.tag.review_threshold,
            tagger.cfg.tag.onnx_recheck_margin,
        )
        for _ in range(2)
    ]
    returned = []
    for replica, chunk in zip(replicas, (rows[3:], rows[:3])):  # out of order, as Ray may return them
        out = replica({k: np.array([r[k] for r in chunk]) for k in chunk[0]})
        returned += [dict(zip(out, values)) for values in zip(*out.values())]
    assert "units" not in returned[0]
    summary = RunSummary(files=len(rows))
    write_all(tmp_path, collect(returned, parts, summary), tagger, FORMATS, summary)
    assert summary.documents == 5 and summary.failed == 1
    assert [p.name for p in assert_same_outputs(plain, tmp_path)] == ["part-000000.parquet", "part-000003.parquet"]


def test_replica_pool_sizes():
    assert ReplicaPool().resolve({"CPU": 8.0}, 100) == (8, 0.0, 13)
    assert ReplicaPool(cpus_per_worker=4).resolve({"CPU": 8.0}, 1000) == (2, 0.0, 32)
    assert ReplicaPool().resolve({"CPU": 16.0, "GPU": 2.0}, 3) == (2, 1.0, 2)
    assert ReplicaPool(workers=3, gpus_per_worker=0.5).resolve({"CPU": 4.0, "GPU": 1.0}, 9) == (3, 0.5, 3)


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


def test_govtag_tag_on_a_local_ray_cluster_matches_plain_tag(ray_cluster, tiny_model, inputs, plain, tmp_path):
    out = tmp_path / "ray"
    result = CliRunner().invoke(
        app,
        [
            "tag",
            *inputs,
            "-m",
            str(tiny_model),
            "-o",
            str(out),
            "--format",
            ",".join(FORMATS),
            "--engine",
            "ray",
            "--workers",
            "2",
        ],
    )
    assert result.exit_code == 1, result.output  # the missing file, as with the plain engine
    assert "5 documents from 5 files" in result.output and "units_parquet/" in result.output
    assert len(assert_same_outputs(plain, out)) == 2  # 5 files over 2 replicas: 2 partitions
    assert json.loads((out / "errors.jsonl").read_text(encoding="utf-8"))["path"] == "no/such/report.txt"
    first = json.loads((out / "units.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["file"].startswith("examples/")
    summary = tag_paths(inputs, Tagger.load(tiny_model), out, formats=FORMATS, resume=True)
    assert summary.resumed == 5  # the parts are the plain engine's: either engine resumes the other's run
    assert_same_outputs(plain, out)


def test_replica_partitions_carry_a_users_meta_columns(tiny_model, inputs, tmp_path):
    tagger = Tagger.load(tiny_model)
    parts = prepare_parts(tmp_path, tagger, resume=False)
    seg = tagger.cfg.segment
    meta = {"000_4b54a07587a75276": {"doc_id": "000_4b54a07587a75276", "funding": "A", "year": 2019}}
    rows = [
        read_and_segment(r, str(parts), int(seg.max_file_mb * 1e6), seg.max_unit_chars, False, meta)
        for r in file_rows(inputs)[:2]
    ]
    columns = [*COLUMNS, *meta_columns(meta), "file"]
    replica = TagReplica(
        str(tiny_model), str(parts), str(tmp_path / PARQUET_DIR), False, 1, "onnx", None, 0.6, 0.15, columns
    )
    replica({k: np.array([r[k] for r in rows]) for k in rows[0]})
    table = pq.read_table(next((tmp_path / PARQUET_DIR).glob("part-*.parquet")))
    assert "funding" in table.column_names and "year" in table.column_names
    first = table.slice(0, 1).to_pylist()[0]
    assert (first["funding"], first["year"]) == ("A", 2019)
