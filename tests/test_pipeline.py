import json
import shutil

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from govtag.cli import app
from govtag.inference.pipeline import tag_paths
from govtag.inference.tagger import Tagger
from tests.conftest import REPO

EXAMPLES = REPO / "examples"
TEXT_OUTPUTS = ("units.jsonl", "units.csv", "summary.csv", "errors.jsonl", "report.html")


@pytest.fixture(scope="module")
def tagger(tiny_model):
    return Tagger.load(tiny_model, threads=2, workers=2)  # two documents at a time, whatever the machine


@pytest.fixture(scope="module")
def straight(tagger, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    tag_paths([EXAMPLES], tagger, out, formats=("jsonl", "csv", "xlsx", "parquet"))
    return out


def test_end_to_end_on_the_seed_reports(straight, seed_units):
    rows = [json.loads(line) for line in (straight / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(seed_units)
    assert {"domain", "type", "domain_score", "type_score", "review", "section", "file"} <= set(rows[0])
    assert (straight / "units.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    sheet = load_workbook(straight / "units.xlsx").active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    assert sheet.max_row == len(rows) + 1
    summary = (straight / "summary.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(summary) == 1 + 5 and "党建/problem share" in summary[0]
    assert (straight / "errors.jsonl").read_text(encoding="utf-8") == ""
    import pyarrow.parquet as pq

    assert pq.read_table(straight / "units.parquet").num_rows == len(rows)


def test_a_killed_run_resumed_gives_identical_outputs(tagger, straight, tmp_path, monkeypatch):
    calls = {"n": 0}
    predict = Tagger.predict

    def dies_on_third(self, units, with_probs=False):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return predict(self, units, with_probs)

    monkeypatch.setattr(Tagger, "predict", dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        tag_paths([EXAMPLES], tagger, tmp_path, formats=("jsonl", "csv", "xlsx", "parquet"))
    kept = len(list((tmp_path / ".parts").glob("*.jsonl")))
    assert 2 <= kept <= 3  # the two before the third, and the fourth if it finished beside it
    assert not (tmp_path / "units.jsonl").exists()
    monkeypatch.setattr(Tagger, "predict", predict)
    summary = tag_paths([EXAMPLES], tagger, tmp_path, formats=("jsonl", "csv", "xlsx", "parquet"), resume=True)
    assert summary.resumed == kept and summary.documents == 5
    for name in TEXT_OUTPUTS:
        assert (tmp_path / name).read_bytes() == (straight / name).read_bytes(), name
    a = [list(r) for r in load_workbook(straight / "units.xlsx").active.iter_rows(values_only=True)]
    b = [list(r) for r in load_workbook(tmp_path / "units.xlsx").active.iter_rows(values_only=True)]
    assert a == b


def test_one_document_at_a_time_writes_the_same_outputs(tiny_model, straight, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "tag",
            str(EXAMPLES),
            "-m",
            str(tiny_model),
            "-o",
            str(tmp_path),
            "--workers",
            "1",
            "--format",
            "jsonl,csv,xlsx,parquet",
        ],
    )
    assert result.exit_code == 0, result.output
    for name in TEXT_OUTPUTS:
        assert (tmp_path / name).read_bytes() == (straight / name).read_bytes(), name


def test_resume_refuses_parts_made_by_another_model(tagger, tiny_model, tmp_path):
    tag_paths([EXAMPLES / "002_ba0235b38cfe95e8.txt"], tagger, tmp_path, formats=("jsonl",))
    other = tmp_path / "other_model"
    shutil.copytree(tiny_model, other)
    (other / "model.safetensors").write_bytes((other / "model.safetensors").read_bytes() + b"")
    import os

    os.utime(other / "model.safetensors", (1, 1))
    with pytest.raises(ValueError, match="another model"):
        tag_paths([EXAMPLES], Tagger.load(other), tmp_path, formats=("jsonl",), resume=True)


def test_review_threshold_overrides_the_models_and_resume_keeps_it(tiny_model, tmp_path):
    report = EXAMPLES / "002_ba0235b38cfe95e8.txt"
    flagged = {
        t: tag_paths([report], Tagger.load(tiny_model, review_threshold=t), tmp_path / str(t)).review
        for t in (0.0, 1.0)
    }
    assert flagged[0.0] == 0 and flagged[1.0] == tag_paths([report], Tagger.load(tiny_model), tmp_path / "n").units
    with pytest.raises(ValueError, match="review threshold 0.0"):
        tag_paths([report], Tagger.load(tiny_model, review_threshold=0.5), tmp_path / "0.0", resume=True)


def test_resume_refuses_parts_made_without_probs(tagger, tmp_path):
    tag_paths([EXAMPLES / "002_ba0235b38cfe95e8.txt"], tagger, tmp_path, formats=("jsonl",))
    with pytest.raises(ValueError, match="used no --probs"):
        tag_paths([EXAMPLES], tagger, tmp_path, formats=("jsonl",), resume=True, with_probs=True)
    summary = tag_paths([EXAMPLES], tagger, tmp_path, formats=("jsonl",), resume=True)
    assert summary.resumed == 1


def test_bad_files_are_reported_and_the_rest_goes_on(tiny_model, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(EXAMPLES / "002_ba0235b38cfe95e8.txt", inputs)
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (inputs / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (inputs / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["tag", str(inputs), str(tmp_path / "missing.txt"), "-m", str(tiny_model), "-o", str(out)]
    )
    assert result.exit_code == 1
    errors = {
        json.loads(line)["path"].split("/")[-1]: json.loads(line)["error"]
        for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()
    }
    assert set(errors) == {"empty.txt", "binary.txt", "broken.docx", "sheet.xlsx", "missing.txt"}
    assert "empty" in errors["empty.txt"] and "unsupported" in errors["sheet.xlsx"]
    assert "empty.txt" in result.output
    rows = (out / "units.jsonl").read_text(encoding="utf-8").splitlines()
    assert rows and all(json.loads(r)["doc_id"] == "002_ba0235b38cfe95e8" for r in rows)


def test_probabilities_on_request_and_review_flags(tagger, tmp_path):
    tag_paths([EXAMPLES / "004_493d2021802c45e4.txt"], tagger, tmp_path, formats=("jsonl",), with_probs=True)
    rows = [json.loads(line) for line in (tmp_path / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    assert set(rows[0]["domain_probs"]) == set(tagger.schema.domain)
    threshold = tagger.cfg.tag.review_threshold
    assert all(r["review"] == (min(r["domain_score"], r["type_score"]) < threshold) for r in rows)


def test_missing_model_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(app, ["tag", str(EXAMPLES), "-m", str(tmp_path / "none"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "model directory not found" in result.output


def test_an_output_directory_inside_the_input_is_not_read_back(tagger, tmp_path):
    shutil.copy(EXAMPLES / "002_ba0235b38cfe95e8.txt", tmp_path / "r.txt")
    report = "一、工作回顾\n全年发放\x08补贴30万元。\n" + "全年新增城镇就业1200人,完成改造项目12个。\n" * 10
    (tmp_path / "c.txt").write_text(report, encoding="utf-8")  # a stray \x08 once broke the .xlsx writer
    first = tag_paths([tmp_path], tagger, tmp_path / "out")
    again = tag_paths([tmp_path], tagger, tmp_path / "out")
    assert (first.files, first.failed) == (again.files, again.failed) == (2, 0) and first.units == again.units


def test_units_in_a_format_not_asked_for_again_are_removed(tiny_model, tmp_path):
    report = str(EXAMPLES / "002_ba0235b38cfe95e8.txt")
    args = ["tag", report, "-m", str(tiny_model), "-o", str(tmp_path)]
    assert CliRunner().invoke(app, [*args, "--format", "jsonl,csv,csv"]).exit_code == 0
    result = CliRunner().invoke(app, [*args, "--format", "xlsx"])
    assert result.exit_code == 0 and "removed units.csv, units.jsonl of an earlier run" in result.output
    assert not (tmp_path / "units.csv").exists() and (tmp_path / "units.xlsx").exists()
    result = CliRunner().invoke(app, [*args, "--format", " , "])
    assert result.exit_code == 2 and "--format: name at least one of" in result.output
    assert (tmp_path / "units.xlsx").exists()


def test_resume_with_the_onnx_backend_notices_a_new_export(tiny_model, tmp_path):
    from govtag.inference.onnx_export import export_onnx

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    export_onnx(model, quantize=False)
    report = EXAMPLES / "002_ba0235b38cfe95e8.txt"
    tag_paths([report], Tagger.load(model, backend="onnx"), tmp_path / "out", formats=("jsonl",))
    export_onnx(model)  # an int8 file now, which --backend onnx runs instead of the fp32 one
    with pytest.raises(ValueError, match="the earlier run there used other weights"):
        tag_paths([report], Tagger.load(model, backend="onnx"), tmp_path / "out", formats=("jsonl",), resume=True)


def test_a_documents_tags_do_not_depend_on_the_other_files_in_the_run(tiny_separate_model, tmp_path):
    from govtag.inference.document_step import Smoothing

    tagger = Tagger.load(tiny_separate_model)
    tagger.document_step = {"domain": Smoothing(2, 0.5, 1.01), "type": Smoothing(1, 0.5, 1.01)}  # every unit
    one = REPO / "examples" / "002_ba0235b38cfe95e8.txt"
    tag_paths([one], tagger, tmp_path / "alone", formats=("jsonl",))
    tag_paths([REPO / "examples"], tagger, tmp_path / "together", formats=("jsonl",))
    read = lambda d: [json.loads(line) for line in (d / "units.jsonl").read_text(encoding="utf-8").splitlines()]  # noqa: E731
    alone = read(tmp_path / "alone")
    together = [u for u in read(tmp_path / "together") if u["doc_id"] == one.stem]
    assert alone == together and len(alone) > 50


def test_every_output_carries_the_documents_metadata_and_a_users_meta_file_overrides_it(tiny_model, tmp_path):
    reports = tmp_path / "in"
    reports.mkdir()
    (reports / "a.txt").write_text(
        "浙江省杭州市西湖区转塘街道2023年工作总结\n一、主要成效\n全年新建学校2所。\n", encoding="utf-8"
    )
    shutil.copy(EXAMPLES / "003_444c352ad45b9e4f.txt", reports / "b.txt")
    meta = tmp_path / "meta.csv"
    meta.write_text("file,year,funding,level\nb.txt,2019,A,county\n", encoding="utf-8")
    args = ["tag", str(reports), "-m", str(tiny_model), "-o", str(tmp_path / "out"), "--format", "jsonl,csv,parquet"]
    result = CliRunner().invoke(app, [*args, "--meta", str(meta)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    units = [json.loads(line) for line in (out / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    a = next(u for u in units if u["doc_id"] == "a")
    assert (a["year"], a["province"], a["city"], a["county"], a["township"], a["level"], a["genre"]) == (
        2023,
        "浙江省",
        "杭州市",
        "西湖区",
        "转塘街道",
        "township",
        "工作总结",
    )
    b = [u for u in units if u["doc_id"] == "b"]
    assert {(u["year"], u["funding"], u["level"]) for u in b} == {(2019, "A", "county")}  # the user's values win
    summary = (out / "summary.csv").read_text(encoding="utf-8-sig").splitlines()
    header = summary[0].split(",")
    assert header[:4] == ["doc_id", "title", "year", "period"] and "funding" in header
    import pyarrow.parquet as pq

    table = pq.read_table(out / "units.parquet")
    assert {"year", "province", "genre", "funding"} <= set(table.column_names)
    assert set(table.column("year").to_pylist()) == {2023, 2019}
    again = CliRunner().invoke(app, [*args, "--resume"])  # resuming without the meta file the parts were made with
    assert again.exit_code == 2 and "the earlier run there used another --meta file" in again.output


def test_a_bad_meta_file_is_one_error_naming_the_file_and_row(tiny_model, tmp_path):
    meta = tmp_path / "meta.csv"
    meta.write_text("file,year\na.txt,二〇二四\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["tag", str(EXAMPLES), "-m", str(tiny_model), "-o", str(tmp_path / "o"), "--meta", str(meta)]
    )
    assert result.exit_code == 2
    assert f"{meta}, row 2: year '二〇二四' is not a year" in result.output
    assert not (tmp_path / "o").exists()
