"""The Python API (govtag/api.py) on a tiny trained model: the same units and tags as `govtag tag`."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import govtag
from govtag.cli import app

TEXT = (
    "2023年工作总结\n一、经济发展\n全年地区生产总值增长6%。\n二、民生保障\n新建学校3所。\n下一步，我们将加强安全生产。"
)


def test_segment_reads_a_text_as_a_txt_file(tmp_path):
    units = govtag.segment(TEXT, doc_id="d1")
    path = tmp_path / "d1.txt"
    path.write_text(TEXT, encoding="utf-8")
    from govtag.inference.read import read
    from govtag.inference.segment import document_units

    expected = document_units(read(path))
    assert [(u["text"], u["section"], u["title"]) for u in units] == [
        (u["text"], u["section"], u["title"]) for u in expected
    ]
    assert units[0]["doc_id"] == "d1" and any(u["section"] == "二、民生保障" for u in units)


def test_segment_of_an_empty_text_is_a_read_error():
    with pytest.raises(govtag.ReadError, match="no text"):
        govtag.segment("  \n\n")


def test_load_of_a_missing_model_names_it(tmp_path):
    with pytest.raises(govtag.ModelDirError, match=str(tmp_path / "nowhere")):
        govtag.load(tmp_path / "nowhere")


def test_tag_text_and_tag_files_agree_with_govtag_tag(tiny_model, tmp_path):
    report = tmp_path / "in" / "report.txt"
    report.parent.mkdir()
    report.write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["tag", str(report.parent), "-m", str(tiny_model), "-o", str(tmp_path / "out"), "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.output
    cli = [json.loads(line) for line in (tmp_path / "out" / "units.jsonl").read_text(encoding="utf-8").splitlines()]

    tagger = govtag.load(tiny_model)
    files = tagger.tag_files([report.parent])
    keys = ("doc_id", "seq", "text", "section", "domain", "type", "domain_score", "type_score", "review")
    assert [{k: u[k] for k in keys} for u in files] == [{k: u[k] for k in keys} for u in cli]

    text = tagger.tag_text(TEXT, doc_id="report")
    assert [(u["text"], u["domain"], u["type"]) for u in text] == [(u["text"], u["domain"], u["type"]) for u in cli]
    assert {u["domain"] for u in text} <= set(tagger.schema.labels("domain"))

    frame = tagger.tag_files(report, as_frame=True, with_probs=True)
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(cli)
    assert {"domain", "type", "review", "domain_probs"} <= set(frame.columns)


def test_tag_files_skips_a_bad_file_with_a_warning_naming_it(tiny_model, tmp_path):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text(TEXT, encoding="utf-8")
    bad.write_bytes(b"")
    tagger = govtag.load(tiny_model)
    with pytest.warns(UserWarning, match="bad.txt: empty file"):
        units = tagger.tag_files([bad, good])
    assert units and {u["doc_id"] for u in units} == {"good"}
    with pytest.raises(govtag.ReadError, match="bad.txt"):
        tagger.tag_files([bad, good], on_error="raise")
    with pytest.raises(ValueError, match="on_error"):
        tagger.tag_files([good], on_error="explode")


def test_load_default_uses_the_registry_default(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("GOVTAG_MODELS_DIR", str(tmp_path / "models"))
    with pytest.raises(govtag.ModelDirError, match="default"):
        govtag.load()
    from govtag.training.registry import register_bundle, set_default

    name = register_bundle(tiny_model)
    set_default(name)
    assert govtag.load().model_dir.resolve() == tiny_model.resolve()


def test_the_api_offers_the_group_summaries_as_dataframes(tiny_model, tmp_path):
    report = tmp_path / "in" / "2023年某镇工作总结.txt"
    report.parent.mkdir()
    report.write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(app, ["tag", str(report.parent), "-m", str(tiny_model), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    long = govtag.summarize(tmp_path / "out", by="year", resamples=50)
    assert isinstance(long, pd.DataFrame) and set(long["year"]) == {2023}
    assert {"share", "ci_low", "ci_high", "measure"} <= set(long.columns)
    assert len(govtag.wide(long)) == 1
