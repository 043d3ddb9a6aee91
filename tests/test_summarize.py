"""Group comparisons with intervals (`govtag summarize`, `inference.summarize`): shares computed by hand on a tiny
example, the document bootstrap, metadata from a table, the files, and bad input as one error line."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from govtag.cli.analysis import analysis_app
from govtag.inference import summarize as summarize_module
from govtag.inference.summarize import SummaryError, bootstrap, summarize, summarize_with_notes, wide

# two groups, three documents: 2019 has A and B, 2020 has C, whose units are all `other`
TINY = [
    ("A", 2019, "党建", "achievement", "一二三四"),
    ("A", 2019, "民生", "plan", "一二"),
    ("A", 2019, "其他", "other", "标题标题标题"),
    ("B", 2019, "党建", "problem", "一二三四五六"),
    ("B", 2019, "经济", "achievement", "一二"),
    ("B", 2019, "经济", "achievement", "三四"),
    ("C", 2020, "其他", "other", "xyz"),
    ("C", 2020, "其他", "other", "abcde"),
]


def units_of(rows, **extra):
    return [
        {"doc_id": d, "seq": i, "text": text, "section": "", "domain": dom, "type": t, "domain_score": 0.9,
         "type_score": 0.9, "review": False, "title": "t", "file": f"/reports/{d}.docx", "year": year, **extra}
        for i, (d, year, dom, t, text) in enumerate(rows)
    ]  # fmt: skip


def write_units(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "units.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(u, ensure_ascii=False) + "\n" for u in rows)
    return folder


def pick(frame, measure="sentences", domain="all", type_="all", **group):
    rows = frame[(frame["measure"] == measure) & (frame["domain"] == domain) & (frame["type"] == type_)]
    for column, value in group.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]


@pytest.fixture
def tiny(tmp_path):
    return write_units(tmp_path / "out", units_of(TINY))


def test_shares_by_hand_on_two_groups_of_three_documents(tiny):
    frame = summarize(tiny, by="year", resamples=200)
    assert list(frame.columns[:4]) == ["year", "measure", "domain", "type"]
    assert frame["year"].dtype == "Int64"  # a number for R and Stata, not text
    # 2019: 6 units, 5 with content: 党建 2, 民生 1, 经济 2; their characters 4+6, 2, 2+2 of 16
    g = pick(frame, domain="党建", year=2019)
    assert (g["documents"], g["units"], g["content_units"], g["count"], g["total"]) == (2, 6, 5, 2, 5)
    assert g["share"] == pytest.approx(2 / 5)
    assert pick(frame, domain="民生", year=2019)["share"] == pytest.approx(1 / 5)
    assert pick(frame, domain="经济", year=2019)["share"] == pytest.approx(2 / 5)
    assert pick(frame, domain="安全", year=2019)["share"] == 0
    chars = pick(frame, "characters", domain="党建", year=2019)
    assert (chars["count"], chars["total"]) == (10, 16)
    assert chars["share"] == pytest.approx(10 / 16)
    assert pick(frame, "characters", domain="经济", year=2019)["share"] == pytest.approx(4 / 16)
    # per statement type and per domain × type, over the same content units
    assert pick(frame, type_="achievement", year=2019)["share"] == pytest.approx(3 / 5)
    assert pick(frame, domain="党建", type_="problem", year=2019)["share"] == pytest.approx(1 / 5)
    assert pick(frame, domain="经济", type_="achievement", year=2019)["share"] == pytest.approx(2 / 5)
    assert "other" not in set(frame["type"])  # content units only: a domain × other cell is empty by definition
    domains = frame[(frame["year"] == 2019) & (frame["type"] == "all") & (frame["domain"] != "all")]
    assert domains.groupby("measure")["share"].sum().tolist() == pytest.approx([1, 1])


def test_characters_and_sentences_differ_when_sentence_lengths_differ(tiny):
    frame = summarize(tiny, by="year", resamples=50)
    sentences, characters = (pick(frame, m, domain="党建", year=2019)["share"] for m in ("sentences", "characters"))
    assert sentences == pytest.approx(0.4) and characters == pytest.approx(0.625)
    same_length = [(d, y, dom, t, "一二") for d, y, dom, t, _ in TINY]
    even = summarize(pd.DataFrame(units_of(same_length)), by="year", resamples=50)
    assert pick(even, "characters", domain="党建", year=2019)["share"] == pytest.approx(0.4)


def test_a_document_with_only_other_units(tiny, tmp_path):
    frame = summarize(tiny, by="year", resamples=100)
    g = pick(frame, domain="党建", year=2020)  # a group whose one document has no content: no share, no error
    assert (g["documents"], g["units"], g["content_units"]) == (1, 2, 0)
    assert np.isnan(g["share"]) and np.isnan(g["ci_low"]) and np.isnan(g["ci_high"])
    # in a group with content it adds a document and units, and changes no share
    joined = [(d, 2019, dom, t, text) for d, _, dom, t, text in TINY]
    pooled = summarize(pd.DataFrame(units_of(joined)), by="year", resamples=100)
    g = pick(pooled, domain="党建", year=2019)
    assert (g["documents"], g["units"], g["content_units"]) == (3, 8, 5)
    assert g["share"] == pytest.approx(2 / 5)
    assert pick(pooled, "characters", domain="党建", year=2019)["share"] == pytest.approx(10 / 16)


def random_units(rng, documents, group, p):
    rows = []
    for k in range(documents):
        mix = rng.dirichlet(p * 20)  # documents differ: the bootstrap sees that spread
        domains = rng.choice(["党建", "安全", "民生", "环境", "经济"], size=int(rng.integers(10, 40)), p=mix)
        for dom in domains:
            t = rng.choice(["achievement", "problem", "plan", "other"], p=[0.5, 0.15, 0.25, 0.1])
            rows.append((f"{group}{k}", group, "其他" if t == "other" else dom, t, "字" * int(rng.integers(4, 60))))
    return rows


def test_intervals_hold_the_estimate_and_shrink_with_more_documents():
    rng = np.random.default_rng(1)
    p = np.array([0.1, 0.15, 0.3, 0.15, 0.3])
    rows = random_units(rng, 8, "few", p) + random_units(rng, 200, "many", p)
    frame = summarize(pd.DataFrame(units_of([(d, g, dom, t, x) for d, g, dom, t, x in rows])), by="year")
    assert frame["ci_low"].notna().all()
    assert ((frame["ci_low"] <= frame["share"] + 1e-12) & (frame["share"] <= frame["ci_high"] + 1e-12)).all()
    width = (frame["ci_high"] - frame["ci_low"]).groupby([frame["year"], frame["measure"]]).mean()
    for measure in ("sentences", "characters"):
        assert width[("many", measure)] < width[("few", measure)] / 2  # ~ 1/sqrt(25) as wide
    for domain in ("党建", "民生", "经济"):
        few, many = (pick(frame, domain=domain, year=g) for g in ("few", "many"))
        assert many["ci_high"] - many["ci_low"] < few["ci_high"] - few["ci_low"]
    again = summarize(pd.DataFrame(units_of(rows)), by="year")
    pd.testing.assert_frame_equal(frame, again)  # a fixed seed: the same intervals
    other = summarize(pd.DataFrame(units_of(rows)), by="year", seed=1)
    assert not np.allclose(other["ci_low"], frame["ci_low"])
    assert np.allclose(other["share"], frame["share"])


def test_the_vectorised_bootstrap_is_the_resample_loop(monkeypatch):
    rng = np.random.default_rng(3)
    y = rng.integers(0, 9, (7, 2, 4)).astype(np.int64)  # documents × measures × [counts…, total]
    y[..., -1] = y[..., :-1].sum(-1) + 1
    monkeypatch.setattr(summarize_module, "BLOCK", 20)  # blocks of 2 resamples: the blocks join up
    low, high = bootstrap(y, 11, np.random.default_rng(5), 0.9)
    draw, shares = np.random.default_rng(5), []
    for a in range(0, 11, 2):
        drawn = draw.integers(0, 7, (min(2, 11 - a), 7))
        for idx in drawn:
            s = y[idx].sum(0)
            shares.append(s[:, :-1] / s[:, -1:])
    expected = np.quantile(np.array(shares), [0.05, 0.95], axis=0)
    assert np.allclose(low, expected[0]) and np.allclose(high, expected[1])


def test_quantiles_are_numpys_without_its_slow_path_for_missing_values():
    values = np.random.default_rng(0).random((300, 2, 5))
    values[values < 0.2] = np.nan
    values[:, 0, 0] = np.nan  # no resample with content units
    values[1:, 1, 1] = np.nan  # one
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = [np.nanquantile(values, q, axis=0) for q in (0.025, 0.5, 0.975)]
    for got, want in zip(summarize_module.nanquantiles(values, (0.025, 0.5, 0.975)), expected):
        assert np.allclose(got, want, equal_nan=True)


def test_one_document_or_no_resamples():
    frame = summarize(pd.DataFrame(units_of(TINY[:3])), by=None, resamples=100)
    assert "year" not in frame.columns and frame["documents"].eq(1).all()
    assert (frame["ci_low"] == frame["share"]).all()  # one document: every resample is that document
    frame = summarize(pd.DataFrame(units_of(TINY)), resamples=0)
    assert frame["ci_low"].isna().all() and pick(frame, domain="党建")["share"] == pytest.approx(2 / 5)


def test_metadata_from_a_table_keyed_by_file_name_or_doc_id(tiny, tmp_path):
    meta = tmp_path / "meta.csv"  # as Excel saves it on a Chinese Windows: GB18030
    meta.write_bytes("file,level,province,year\nA.docx,city,江苏,\nB.docx,county,浙江,2021\n".encode("gb18030"))
    frame, notes = summarize_with_notes(tiny, by="province,year", meta=meta, resamples=50)
    assert list(frame.columns[:2]) == ["province", "year"]
    assert pick(frame, domain="党建", province="江苏")["share"] == pytest.approx(1 / 2)
    assert pick(frame, domain="经济", province="浙江")["share"] == pytest.approx(2 / 3)
    # a value in the table replaces the units' own; an empty cell leaves it
    assert [pick(frame, domain="党建", province=p)["year"] for p in ("江苏", "浙江")] == [2019, 2021]
    assert frame["province"].isna().sum() and "1 of 3 documents have no row" in notes[0] and "C" in notes[0]
    by_id = pd.DataFrame({"doc_id": ["A", "B", "C"], "year": ["2021", "2021", "2022"], "extra": ["x", "y", "z"]})
    frame = summarize(tiny, by=["year"], meta=by_id, resamples=50)  # the table's year replaces the units' own
    assert sorted(frame["year"].unique()) == [2021, 2022]
    assert pick(frame, domain="党建", year=2021)["documents"] == 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = summarize(tiny, by="year", meta=pd.DataFrame({"doc_id": ["A", "Z"], "year": ["1", "2"]}), resamples=9)
    assert [str(w.message) for w in caught] == [
        "2 of 3 documents have no row in the metadata frame (first: B); their values come from the units, if any",
        "1 of 2 rows of the metadata frame match no document",
    ]
    assert sorted(frame["year"].unique()) == [1, 2019, 2020]


def test_parquet_and_frames_give_what_jsonl_gives(tiny):
    expected = summarize(tiny, by="year", resamples=100)
    pd.DataFrame(units_of(TINY)).to_parquet(tiny / "units.parquet")
    pd.testing.assert_frame_equal(summarize(tiny, by="year", resamples=100), expected, check_like=True)
    pd.testing.assert_frame_equal(summarize(pd.DataFrame(units_of(TINY)), by="year", resamples=100), expected)
    pd.DataFrame(units_of(TINY)).drop(columns="year").to_parquet(tiny / "units.parquet")
    pd.testing.assert_frame_equal(summarize(tiny, by="year", resamples=100), expected)  # jsonl has the column


def test_wide_has_one_row_per_group_and_a_share_with_interval_per_domain(tiny):
    table = wide(summarize(tiny, by="year", resamples=100))
    assert table["year"].tolist() == [2019, 2020]
    assert table.columns[:5].tolist() == ["year", "documents", "units", "content_units", "content sentences"]
    assert table.columns[5:8].tolist() == ["党建 share", "党建 ci_low", "党建 ci_high"]
    assert table["党建 share"].iloc[0] == pytest.approx(0.4) and np.isnan(table["党建 share"].iloc[1])
    chars = wide(summarize(tiny, by="year", resamples=100), "characters")
    assert chars["经济 share"].iloc[0] == pytest.approx(0.25) and chars["content characters"].iloc[0] == 16


def test_missing_group_column_names_it_and_the_available_ones(tiny):
    with pytest.raises(SummaryError, match=r"no column 'province' to group by .*available: doc_id, file, .*year"):
        summarize(tiny, by="year,province")
    with pytest.raises(SummaryError, match="cannot group by 'share'"):
        summarize(tiny, by="share")


def cli():
    app = typer.Typer()
    app.callback()(lambda: None)  # a group, as the govtag app is
    app.add_typer(analysis_app)
    return app


def test_cli_writes_the_tables(tiny, tmp_path):
    meta = tmp_path / "meta.csv"
    meta.write_text("doc_id,level\nA,city\nB,county\nC,city\n", encoding="utf-8-sig")
    out = tmp_path / "tables"
    result = CliRunner().invoke(
        cli(), ["summarize", str(tiny), "--by", "year,level", "--meta", str(meta), "-o", str(out), "--resamples", "200"]
    )
    assert result.exit_code == 0, result.output
    assert "党建" in result.stdout and "2019" in result.stdout and "shares_by_year_level.csv" in result.stdout
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"shares_by_year_level.{s}" for s in ("csv", "dta", "parquet", "xlsx")]
    raw = (out / "shares_by_year_level.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfyear,level,measure,domain,type,share,ci_low,ci_high,count,total,documents")
    long = pd.read_csv(out / "shares_by_year_level.csv")
    assert long.columns[0] == "year" and len(long) == 3 * 2 * (6 + 3 + 18)  # groups × measures × labels
    row = long[
        (long["level"] == "city")
        & (long["year"] == 2019)
        & (long["domain"] == "党建")
        & (long["type"] == "all")
        & (long["measure"] == "sentences")
    ]
    assert row["share"].tolist() == [0.5]
    parquet = pd.read_parquet(out / "shares_by_year_level.parquet")
    assert parquet["count"].dtype == "int64" and len(parquet) == len(long)
    stata = pd.read_stata(out / "shares_by_year_level.dta")
    assert set(stata["domain"]) == {"党建", "安全", "民生", "环境", "经济", "其他", "all"} and len(stata) == len(long)
    from openpyxl import load_workbook

    wb = load_workbook(out / "shares_by_year_level.xlsx")
    assert wb.sheetnames == ["sentences", "characters"]
    ws = wb["sentences"]
    assert [c.value for c in ws[1]][:6] == ["year", "level", "documents", "units", "content_units", "content sentences"]
    assert ws.max_row == 4 and ws["G2"].number_format == "0.0%"
    assert CliRunner().invoke(cli(), ["summarize", str(tiny)]).exit_code == 0  # one group, beside the units
    assert (tiny / "shares_all.xlsx").exists()


def error_line(args):
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_bad_input_is_one_error_line_with_exit_code_2(tiny, tmp_path):
    missing = tmp_path / "no-such-run"
    assert (
        error_line(["summarize", str(missing)])
        == f"error: {missing}: no such directory (expected the output directory of `govtag tag`)"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert str(empty) in error_line(["summarize", str(empty)]) and "no units.jsonl" in error_line(
        ["summarize", str(empty)]
    )
    assert "no column 'province'" in error_line(["summarize", str(tiny), "--by", "province"])
    assert "metadata file not found" in error_line(["summarize", str(tiny), "--meta", str(tmp_path / "m.csv")])
    keyless = tmp_path / "keyless.csv"
    keyless.write_text("name,year\nA,2019\n", encoding="utf-8")
    assert "keyless.csv, row 1: the header has no file or doc_id column" in error_line(
        ["summarize", str(tiny), "--meta", str(keyless)]
    )
    broken = write_units(tmp_path / "broken", units_of(TINY[:2]))
    with open(broken / "units.jsonl", "a", encoding="utf-8") as f:
        f.write('{"doc_id": "A", "text": \n')
    assert error_line(["summarize", str(broken)]).startswith(f"error: {broken / 'units.jsonl'}:3: not valid JSON")
    unknown = write_units(tmp_path / "unknown", units_of([("A", 2019, "教育", "plan", "x")]))
    assert "unknown domain label '教育'" in error_line(["summarize", str(unknown)])
    untagged = write_units(tmp_path / "untagged", [{"doc_id": "A", "text": "x"}])
    assert "not tagged units, missing ['domain', 'type']" in error_line(["summarize", str(untagged)])
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "units.parquet").write_bytes(b"not parquet")
    assert "not a readable Parquet file" in error_line(["summarize", str(tmp_path / "corrupt")])
    file = tmp_path / "file.txt"
    file.write_text("x", encoding="utf-8")
    assert "is a file" in error_line(["summarize", str(tiny), "-o", str(file)])


def test_speed_benchmark_runs_and_writes_its_figures(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    env = {**os.environ, "GOVTAG_BENCH_RESULTS": str(tmp_path)}
    command = [sys.executable, str(REPO / "benchmarks" / "summarize_speed.py"), "--units", "3000", "--resamples", "50"]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    assert "| 3,000 |" in out and "units.parquet" in out
    (written,) = tmp_path.glob("summarize_speed-*.json")
    runs = json.loads(written.read_text(encoding="utf-8"))["result"]["runs"]
    assert [r["source"] for r in runs] == ["units.jsonl", "units.parquet"]
    assert runs[0]["rows"] == runs[1]["rows"] == runs[0]["groups"] * 2 * 27 and runs[0]["peak_rss_mb"] > 0
