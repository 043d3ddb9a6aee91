"""The labeled corpus (labels/corpus.py): units, splits, imported corrections, genres, and its commands."""

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from govtag.inference.config import load_config
from govtag.labels.corpus import (
    DataError,
    hashed_split,
    load_labeled,
    load_splits,
    read_units,
    split_units,
    update_splits,
)
from govtag.labels.schema import load_schema

REPO = Path(__file__).resolve().parent.parent
SCHEMA = load_schema()
CFG = load_config()


@pytest.fixture(scope="module")
def corpus():
    units = load_labeled(CFG.resolve(CFG.data.dir), SCHEMA)
    return units, split_units(units, load_splits(CFG.resolve(CFG.data.splits)))


def test_every_document_is_in_exactly_one_split(corpus):
    units, splits = corpus
    seen = {}
    for split, rows in splits.items():
        for u in rows:
            assert seen.setdefault(u["doc_id"], split) == split
    assert set(seen) == {u["doc_id"] for u in units}


def test_every_label_occurs_in_dev_and_test(corpus):
    _, splits = corpus
    for split in ("dev", "test"):
        for task in ("domain", "type"):
            assert set(SCHEMA.labels(task)) <= {u[task] for u in splits[split]}, (split, task)


def test_training_split_covers_every_domain_type_cell(corpus):
    """At least 60 training units in every cell the guidelines allow (type other implies domain 其他)."""
    _, splits = corpus
    cells = Counter((u["domain"], u["type"]) for u in splits["train"])
    for d in SCHEMA.domain:
        for t in SCHEMA.type:
            if t == "other" and d != SCHEMA.other_domain:
                assert cells[(d, t)] == 0, (d, t)
            else:
                assert cells[(d, t)] >= 60, (d, t, cells[(d, t)])


def test_every_unit_names_its_source(corpus):
    units, _ = corpus
    assert {u.get("source") for u in units} <= {"seed", "written", "imported"}


def test_splits_file_refuses_a_document_in_two_splits(tmp_path):
    path = tmp_path / "splits.yaml"
    path.write_text("train: [a]\ntest: [a]\n", encoding="utf-8")
    with pytest.raises(DataError, match="both train and test"):
        load_splits(path)


def test_update_splits_keeps_existing_assignments(tmp_path):
    path = tmp_path / "splits.yaml"
    path.write_text("test: [a]\n", encoding="utf-8")
    splits = update_splits(path, ["a", "b", "c"])
    assert splits["a"] == "test" and splits["b"] == hashed_split("b")
    assert load_splits(path) == splits


def test_an_imported_correction_replaces_the_unit_it_corrects(tmp_path):
    row = {
        "doc_id": "d",
        "seq": 0,
        "text": "开展消防演练3次。",
        "domain": "民生",
        "type": "achievement",
        "source": "written",
    }
    (tmp_path / "a.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    fixed = {**row, "domain": "安全", "source": "imported"}
    (tmp_path / "imported").mkdir()
    (tmp_path / "imported" / "b.jsonl").write_text(json.dumps(fixed, ensure_ascii=False) + "\n", encoding="utf-8")
    [unit] = load_labeled(tmp_path, SCHEMA)
    assert unit["domain"] == "安全" and unit["source"] == "imported"


@pytest.mark.parametrize(
    "line,message",
    [
        ("{not json", "not valid JSON"),
        ('{"doc_id": "d", "seq": 0, "text": "x", "domain": "经济"}', "missing field"),
        ('{"doc_id": "d", "seq": 0, "text": "x", "domain": "经济", "type": "future"}', "unknown type label"),
        ('{"doc_id": "d", "seq": 0, "text": " ", "domain": "经济", "type": "plan"}', "empty text"),
    ],
)
def test_malformed_lines_are_reported_with_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"doc_id": "d", "seq": 0, "text": "ok", "domain": "经济", "type": "plan"}\n' + line + "\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=f"bad.jsonl:2: .*{message}"):
        read_units(path, SCHEMA)


def test_data_split_and_stats_commands_take_data_and_splits(tmp_path):
    from typer.testing import CliRunner

    from govtag.cli import app

    data = tmp_path / "data"
    data.mkdir()
    rows = [
        {"doc_id": doc, "seq": 0, "text": f"{doc}全年新增就业1200人。", "domain": "民生", "type": "achievement"}
        for doc in ("x1", "x2")
    ]
    (data / "mine.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    splits = tmp_path / "splits.yaml"
    args = ["--data", str(data), "--splits", str(splits)]
    result = CliRunner().invoke(app, ["data", "stats", *args])
    assert result.exit_code == 0
    assert "### not in the splits file yet (`govtag data split` adds them): 2 units" in result.output
    result = CliRunner().invoke(app, ["data", "split", *args])
    assert result.exit_code == 0 and f"{splits}: 2 new document(s), 2 in all" in result.output
    assert load_splits(splits) == {"x1": hashed_split("x1"), "x2": hashed_split("x2")}
    result = CliRunner().invoke(app, ["data", "stats", *args])
    assert result.exit_code == 0 and "| unknown | 2 | 2 |" in result.output and "not in the splits" not in result.output


def test_every_labeled_document_carries_a_genre():
    units = load_labeled(REPO / "labels" / "data", load_schema())
    assert not [u["doc_id"] for u in units if not u.get("genre")]


def test_adding_documents_appends_lines_and_never_reorders_the_splits_file(tmp_path):
    """Each new doc_id is appended at the end of its split's block: the old file's lines stay byte for byte, in
    their order, and the only new lines are the new doc_ids (the sorted rewrite moved 20 entries)."""
    path = tmp_path / "splits.yaml"
    path.write_bytes((REPO / "labels" / "splits.yaml").read_bytes())
    old = path.read_text(encoding="utf-8").splitlines(keepends=True)
    new_docs = ["000_aaaa", "w1-0005", "x2", "b", "001", "zz#2"]
    assert {hashed_split(d) for d in new_docs} == {"train", "dev", "test"}
    splits = update_splits(path, new_docs)
    new = path.read_text(encoding="utf-8").splitlines(keepends=True)
    rest = iter(new)
    assert all(line in rest for line in old)  # a subsequence, in the same order
    added = [line for line in new if line not in old]
    assert len(new) == len(old) + len(new_docs) and sorted(added) == sorted(
        f"- {yaml.safe_dump([d])[2:]}" for d in new_docs
    )
    keys = [i for i, line in enumerate(new) if not line.startswith(("-", "#"))]
    for doc in new_docs:  # inside its split's block, after the block's old lines
        line = next(i for i, x in enumerate(new) if x.rstrip("\n").endswith((doc, f"'{doc}'")) and x in added)
        block = max(k for k in keys if k < line)
        assert new[block] == f"{hashed_split(doc)}:\n"
        assert all(new[i] in added for i in range(line, min([k for k in keys if k > line] + [len(new)])))
    assert (
        load_splits(path)
        == splits
        == {**load_splits(REPO / "labels" / "splits.yaml"), **{d: hashed_split(d) for d in new_docs}}
    )
    before = path.read_bytes()
    update_splits(path, ["x2", "b"])  # nothing new: the file is not touched
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "text, expected",
    [
        ("train:\n- a\ndev:\ntest:\n- t\n", "train:\n- a\n- c\ndev:\n- x2\ntest:\n- t\n- b\n"),
        ("test: [a]\n", "test: [a, b]\ntrain:\n- c\ndev:\n- x2\n"),  # a flow list grows on its own line
        ("train:\r\n  - a\r\n", "train:\r\n  - a\r\n  - c\r\ndev:\r\n- x2\r\ntest:\r\n- b\r\n"),
    ],
)
def test_new_documents_join_their_split_in_any_layout(tmp_path, text, expected):
    path = tmp_path / "splits.yaml"
    path.write_bytes(text.encode("utf-8"))
    update_splits(path, ["b", "c", "x2"])
    assert path.read_bytes().decode("utf-8") == expected
