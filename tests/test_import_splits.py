"""`govtag import` and the fixed splits: new documents get a split by appending to the splits file, and no
sentence ends up in two splits (labels/imports.py, labels/corpus.py)."""

import shutil

import pytest
from typer.testing import CliRunner

from govtag.cli import app
from govtag.inference.review import CSV_FILE
from govtag.labels.corpus import load_splits
from govtag.labels.imports import ImportFailed, merge
from tests.conftest import REPO
from tests.imports_support import (
    SCHEMA,
    accept_model,
    imported_units,
    read_csv,
    snapshot,
    write_csv,
    write_jsonl,
)


def test_a_new_document_gets_a_fixed_split_and_the_model_label_as_previous(data, tasks, tmp_path):
    rows = read_csv(tasks / CSV_FILE)[:1]
    rows[0].update(doc_id="new-report-1", text="社区新增停车位200个。", domain="经济", type="problem")
    result = merge([write_csv(tmp_path / "new.csv", rows)], *data, SCHEMA)
    assert result.new_units == 1 and result.new_documents == ["new-report-1"]
    assert "new-report-1" in load_splits(data[1])
    (u,) = imported_units(data[0])
    assert u["previous"] == {"domain": "经济", "type": "plan", "source": "model"}


def test_a_new_unit_whose_text_belongs_to_another_splits_document_is_refused(data, tasks, tmp_path, seed_units):
    """A row with an unknown doc_id carrying a dev document's sentence would put that sentence into train."""
    dev = next(u for u in seed_units if u["doc_id"] == "003_444c352ad45b9e4f" and u["seq"] == 3)
    row = {**accept_model(read_csv(tasks / CSV_FILE))[0], "doc_id": "xinqiao-2025", "seq": "0", "text": dev["text"]}
    path = write_csv(tmp_path / "leak.csv", [row])
    before = snapshot(*data)
    with pytest.raises(ImportFailed) as e:
        merge([path], *data, SCHEMA)
    assert e.value.errors == [
        f"{path}:2: this text is 003_444c352ad45b9e4f seq 3, a dev document, but xinqiao-2025 goes to train: "
        "one sentence in two splits; keep doc_id and seq as exported, or leave this row out"
    ]
    args = ["import", str(path), "--data", str(data[0]), "--splits", str(data[1])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "a dev document, but xinqiao-2025 goes to train" in result.output
    assert snapshot(*data) == before
    # into a new dev document (new-report-1), or once train holds it too, the sentence crosses no split
    assert merge([write_csv(tmp_path / "dev.csv", [{**row, "doc_id": "new-report-1"}])], *data, SCHEMA).units == 1
    extra = {**dev, "doc_id": "001_106a58ce61b0fd06", "seq": 999, "source": "written"}
    write_jsonl(data[0] / "extra.jsonl", [extra])
    assert merge([path], *data, SCHEMA).new_documents == ["xinqiao-2025"]


def test_importing_a_new_document_only_adds_lines_to_the_splits_file(data, tasks, tmp_path):
    """New documents are appended at the end of their split's block, one line each; no existing line moves,
    not even one an earlier import appended out of alphabetical order."""
    shutil.copy(REPO / "labels" / "splits.yaml", data[1])
    original = data[1].read_text(encoding="utf-8")
    row = accept_model(read_csv(tasks / CSV_FILE))[0]
    for doc in ("nr-b", "nr-a"):  # both go to train
        old = data[1].read_text(encoding="utf-8").splitlines(keepends=True)
        rows = [{**row, "doc_id": doc, "seq": "0", "text": f"{doc}：新增就业岗位120个。"}]
        assert merge([write_csv(tmp_path / f"{doc}.csv", rows)], *data, SCHEMA).new_documents == [doc]
        new = data[1].read_text(encoding="utf-8").splitlines(keepends=True)
        rest = iter(new)
        assert all(line in rest for line in old)  # the old lines, byte for byte, in their order
        assert [line for line in new if line not in old] == [f"- {doc}\n"] and len(new) == len(old) + 1
    assert data[1].read_text(encoding="utf-8") == original.replace("\ndev:\n", "\n- nr-b\n- nr-a\ndev:\n")
    assert load_splits(data[1]) == {**load_splits(REPO / "labels" / "splits.yaml"), "nr-a": "train", "nr-b": "train"}
