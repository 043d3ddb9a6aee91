"""A user's own metadata file (inference/meta_file.py)."""

from pathlib import Path

import pytest

from govtag.inference.meta_file import MetaFileError, lookup, merge_meta, read_meta_file
from tests.test_metadata import meta_of

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "labels" / "data_meta"


def test_the_user_s_meta_file_overrides_and_extends(tmp_path):
    meta_file = tmp_path / "meta.csv"
    meta_file.write_text(
        "file,year,city,level,source_url\n"
        "a/2024年东坝镇工作总结.docx,2023,临安市,,https://example.org/1\n"
        "\n"
        "other.txt,,,县,\n",
        encoding="utf-8-sig",  # as Excel writes it
    )
    table = read_meta_file(meta_file)
    assert set(table) == {"2024年东坝镇工作总结.docx", "other.txt"}
    assert table["other.txt"] == {"file": "other.txt", "level": "county"}
    extracted = meta_of("2024年,全镇上下坚持稳中求进。", "in/2024年东坝镇工作总结.docx")
    user = lookup(table, doc_id="2024年东坝镇工作总结", file="in/2024年东坝镇工作总结.docx")
    merged = merge_meta(extracted, user)
    assert (merged["year"], merged["period"]) == (2023, "2023")  # the user's year, its period with it
    assert (merged["city"], merged["township"], merged["place"]) == ("临安市", "东坝镇", "临安市东坝镇")
    assert merged["level"] == "township"  # an empty cell sets nothing
    assert merged["source_url"] == "https://example.org/1"  # extra columns kept
    assert merged["genre"] == "工作总结"
    assert lookup(table, doc_id="x", file="elsewhere.txt") == {}


def test_meta_file_keyed_by_doc_id_tab_separated(tmp_path):
    meta_file = tmp_path / "meta.tsv"
    meta_file.write_text("doc_id\tgenre\tperiod\nreport\t讲话\t2021-2025\n", encoding="utf-8")
    table = read_meta_file(meta_file)
    assert lookup(table, doc_id="report#2") == {"doc_id": "report", "genre": "讲话", "period": "2021-2025"}


@pytest.mark.parametrize(
    "content, row, reason",
    [
        ("file,year\na.txt,2024\nb.txt,二〇二四\n", 3, "year '二〇二四' is not a year"),
        ("file,level\na.txt,district\n", 2, "level 'district' is not one of"),
        ("file,year\na.txt,2024\nb.txt,2023\n\nsub/a.txt,2022\n", 5, "'a.txt' is already described in row 2"),
        ("name,year\na.txt,2024\n", 1, "no file or doc_id column"),
        ("file,year\na.txt,2024,extra\n", 2, "3 cells, the header has 2"),
        ("file,year\n,2024\n", 2, "no file or doc_id"),
        ('file,year\n"a.txt,2024\n', 2, "not CSV"),
    ],
)
def test_a_bad_meta_file_names_the_file_and_the_row(tmp_path, content, row, reason):
    meta_file = tmp_path / "meta.csv"
    meta_file.write_text(content, encoding="utf-8")
    with pytest.raises(MetaFileError) as caught:
        read_meta_file(meta_file)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(f"{meta_file}, row {row}: ")
    assert reason in str(caught.value)
    assert caught.value.row == row and caught.value.path == str(meta_file)


def test_an_unreadable_meta_file_names_the_file(tmp_path):
    for path, data in ((tmp_path / "empty.csv", b""), (tmp_path / "bin.csv", b"\xff\xfe\x00\x81" * 8)):
        path.write_bytes(data)
        with pytest.raises(MetaFileError, match=f"^{path}: "):
            read_meta_file(path)
    with pytest.raises(MetaFileError, match="missing.csv: cannot be read"):
        read_meta_file(tmp_path / "missing.csv")


# --- the labeled set and its benchmark ------------------------------------------------------------------------------
