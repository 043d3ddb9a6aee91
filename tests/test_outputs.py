from openpyxl import load_workbook

from govtag.inference.outputs import write_xlsx


def test_xlsx_keeps_text_that_looks_like_a_formula_as_text(tmp_path):
    row = {"doc_id": "d", "seq": 1, "text": "=SUM(A1:A9) 合计", "domain": "经济", "domain_score": 0.5, "review": False}
    write_xlsx(tmp_path / "u.xlsx", [row])
    cells = {c.column_letter: c for c in load_workbook(tmp_path / "u.xlsx").active[2]}
    assert (cells["D"].value, cells["D"].data_type) == ("=SUM(A1:A9) 合计", "s")
    assert cells["H"].value == 0.5 and cells["J"].value is False
