"""`govtag import` refusals: every problem of a correction file named with its file and line, and nothing
written (labels/imports.py)."""

import pytest
from typer.testing import CliRunner

from govtag.cli import app
from govtag.inference.review import CSV_FILE, DOCCANO
from govtag.labels.imports import IMPORTED, ImportFailed, merge
from tests.imports_support import (
    DOC,
    SCHEMA,
    accept_model,
    imported_units,
    label_doccano,
    read_csv,
    read_doccano,
    snapshot,
    write_csv,
    write_jsonl,
)

BAD_CASES = {
    "unknown label": (
        "bad.csv",
        lambda rows: [{**rows[0]}, {**rows[1], "domain": "文化"}],
        ":3: unknown domain label '文化'",
    ),
    "half annotated": (
        "bad.csv",
        lambda rows: [{**rows[0], "type": ""}],
        ":2: half-labelled: domain is filled but type is empty",
    ),
    "missing text": (
        "bad.jsonl",
        lambda rows: [{k: v for k, v in rows[0].items() if k != "text"}],
        ":1: missing unit: no text",
    ),
    "missing doc_id": ("bad.csv", lambda rows: [{**rows[0], "doc_id": ""}], ":2: missing unit: no doc_id"),
    "bad seq": ("bad.csv", lambda rows: [{**rows[0], "seq": "三"}], ":2: missing unit: seq must be a whole number"),
    "other type, governance domain": (
        "bad.csv",
        lambda rows: [{**rows[0], "domain": "民生", "type": "other"}],
        ":2: type other implies domain 其他",
    ),
    "two type labels": (
        "bad.jsonl",
        lambda rows: [{**rows[0], "label": ["domain:民生", "type:plan", "type:problem"]}],
        ":1: expected exactly one type:… label",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_a_malformed_row_is_reported_with_its_line_and_nothing_is_written(case, data, tasks, tmp_path):
    name, corrupt, message = BAD_CASES[case]
    path = tmp_path / name
    if name.endswith(".csv"):
        write_csv(path, corrupt(accept_model(read_csv(tasks / CSV_FILE))))
    else:
        write_jsonl(path, corrupt(label_doccano(read_doccano(tasks / DOCCANO))))
    good = write_csv(tmp_path / "good.csv", accept_model(read_csv(tasks / CSV_FILE)))
    before = snapshot(*data)
    with pytest.raises(ImportFailed) as e:
        merge([good, path], *data, SCHEMA)
    assert f"{path}{message}" in str(e.value)
    assert snapshot(*data) == before


def other_seq(rows):
    return [{**rows[0], "seq": "9999"}]


def other_text(rows):
    return [{**rows[0], "text": rows[0]["text"] + "（已修改）"}]


def colliding_new_units(rows):  # new-report-2 goes to train, as DOC is: its texts cross no split
    return [{**rows[0], "doc_id": "new-report-2"}, {**rows[1], "doc_id": "new-report-2", "seq": rows[0]["seq"]}]


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (other_seq, ":2: this text is {doc} seq {seq} in the data, not 9999"),
        (other_text, ":2: {doc} seq {seq} is the unit '{text}', not this text"),
        (colliding_new_units, ":3: new-report-2 seq {seq} is the unit '{text}', not this text"),
    ],
)
def test_a_row_is_matched_by_doc_id_and_seq_and_must_keep_its_text(corrupt, message, data, tasks, tmp_path):
    rows = accept_model(read_csv(tasks / CSV_FILE))
    path = write_csv(tmp_path / "bad.csv", corrupt(rows) + rows[2:])
    before = snapshot(*data)
    with pytest.raises(ImportFailed) as e:
        merge([path], *data, SCHEMA)
    assert str(e.value).count(str(path)) == 1
    assert f"{path}{message.format(doc=DOC, seq=rows[0]['seq'], text=rows[0]['text'][:30])}" in str(e.value)
    assert snapshot(*data) == before


def test_new_documents_may_repeat_a_text_at_another_seq(data, tasks, tmp_path):
    rows = accept_model(read_csv(tasks / CSV_FILE))[:2]
    rows = [{**r, "doc_id": "new-report-1", "text": "各位代表："} for r in rows]
    assert merge([write_csv(tmp_path / "new.csv", rows)], *data, SCHEMA).new_units == 2


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad.jsonl", '{"text": "x", "label": []}\n{"text": "y", "label": [\n', "bad.jsonl:2: not valid JSON"),
        ("bad.json", '[{"id": 1, "data": {}\n', "bad.json:2: not valid JSON"),
        ("bad.json", '{"tasks": []}', "expected a JSON list"),
        ("bad.csv", "doc_id,text,label\na,b,c\n", "bad.csv:1: CSV header lacks column(s) ['seq', 'domain', 'type']"),
        ("bad.txt", "anything", "unknown format"),
    ],
)
def test_malformed_files_are_refused(name, content, message, data, tmp_path):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    before = snapshot(*data)
    with pytest.raises(ImportFailed, match="nothing imported") as e:
        merge([path], *data, SCHEMA)
    assert message in str(e.value)
    assert snapshot(*data) == before


def test_cli_reports_every_problem_and_exits_nonzero(data, tasks, tmp_path):
    rows = accept_model(read_csv(tasks / CSV_FILE))
    rows[0]["type"], rows[2]["domain"] = "plans", "经 济"
    path = write_csv(tmp_path / "bad.csv", rows)
    args = ["import", str(path), "--data", str(data[0]), "--splits", str(data[1])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "bad.csv:2: unknown type label 'plans'" in result.output and "bad.csv:4:" in result.output
    assert not (data[0] / IMPORTED).exists()
    rows[0]["type"], rows[2]["domain"] = "plan", "经济"
    result = CliRunner().invoke(app, ["import", str(write_csv(tmp_path / "ok.csv", rows)), *args[2:]])
    assert result.exit_code == 0 and "6 units imported" in result.output


def test_tag_output_is_refused_because_its_labels_are_the_models(data, tasks, tmp_path):
    rows = [
        {k: v for k, v in r.items() if not k.startswith("model_")} for r in accept_model(read_csv(tasks / CSV_FILE))
    ]  # units.csv: labels beside their scores
    units = write_jsonl(tmp_path / "units.jsonl", rows)
    for path in (write_csv(tmp_path / "units.csv", rows), units):
        with pytest.raises(ImportFailed, match="is `govtag tag` output"):
            merge([path], *data, SCHEMA)


def test_one_unit_given_two_labels_is_refused(data, tasks, tmp_path):
    rows = accept_model(read_csv(tasks / CSV_FILE))
    rows.append({**rows[0], "domain": "安全" if rows[0]["domain"] != "安全" else "民生"})
    with pytest.raises(ImportFailed, match=":8: .* here but .* at .*:2; keep one"):
        merge([write_csv(tmp_path / "two.csv", rows)], *data, SCHEMA)


def test_a_mistyped_doc_id_is_refused_and_padding_is_stripped(data, tasks, tmp_path):
    rows = accept_model(read_csv(tasks / CSV_FILE))
    with pytest.raises(ImportFailed, match=f"unknown document '{DOC[:-1]}', but this text is {DOC} seq"):
        merge([write_csv(tmp_path / "typo.csv", [{**rows[0], "doc_id": DOC[:-1]}])], *data, SCHEMA)
    result = merge([write_csv(tmp_path / "pad.csv", [{**rows[0], "doc_id": f" {DOC} "}])], *data, SCHEMA)
    assert result.new_documents == [] and imported_units(data[0])[0]["doc_id"] == DOC


def test_an_edited_text_names_the_import_that_holds_the_unit(data, tasks, tmp_path):
    rows = accept_model(read_csv(tasks / CSV_FILE))[:1]
    rows[0].update(doc_id="new-report-1", text="2025/12/20")  # a date a spreadsheet rewrote
    first = merge([write_csv(tmp_path / "mangled.csv", rows)], *data, SCHEMA).path
    with pytest.raises(ImportFailed, match=f"it came from {first}: if that import was wrong, delete that file"):
        merge([write_csv(tmp_path / "good.csv", [{**rows[0], "text": "2025年12月20日"}])], *data, SCHEMA)
