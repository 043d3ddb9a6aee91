"""Finding the files of a run: directories, globs and links, unreadable entries, doc ids; the run goes on past
a bad file."""

from pathlib import Path

from govtag.inference.document import ReadError
from govtag.inference.read import doc_ids, expand, read_all

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "read"
BAD = FIXTURES / "bad"


def test_expand_files_directories_and_globs(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for rel in ("a/1.txt", "a/b/2.docx", "a/b/3.html", "a/notes.md", "a/old.doc", ".hidden/4.txt", "5.pdf"):
        (tmp_path / rel).write_text("x")
    items = list(
        expand(
            [
                tmp_path / "a",
                tmp_path / "a" / "1.txt",
                str(tmp_path / "*.pdf"),
                str(tmp_path / "*.none"),
                tmp_path / "gone.txt",
            ]
        )
    )
    paths = [p for p in items if isinstance(p, Path)]
    errors = [e for e in items if isinstance(e, ReadError)]
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "a/1.txt",
        "a/b/2.docx",
        "a/b/3.html",
        "a/old.doc",
        "5.pdf",
    ]
    assert [e.reason for e in errors] == ["no file matches this pattern", "no such file or directory"]


def test_broken_symbolic_links_are_reported(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.txt").write_text("x")
    (tmp_path / "in" / "gone.txt").symlink_to(tmp_path / "moved.txt")
    items = list(expand([tmp_path / "in", tmp_path / "in" / "gone.txt"]))
    assert [(str(e.path), e.reason) for e in items if isinstance(e, ReadError)] == [
        (str(tmp_path / "in" / "gone.txt"), "broken symbolic link: its target is missing")
    ] * 2
    assert [p for p in items if isinstance(p, Path)] == [tmp_path / "in" / "ok.txt"]


def test_a_directory_without_reports_is_an_error(tmp_path):
    (tmp_path / "notes.md").write_text("x")
    [error] = list(expand([tmp_path]))
    assert (
        isinstance(error, ReadError) and error.path == str(tmp_path) and "no reports in this directory" in error.reason
    )


def test_doc_ids_disambiguate_shared_stems():
    paths = [Path("x/report.txt"), Path("y/report.docx"), Path("y/other.txt")]
    assert doc_ids(paths) == {paths[0]: "x/report", paths[1]: "y/report", paths[2]: "other"}
    same_base = [Path("x/r.docx"), Path("x/r.html"), Path("y/r.txt")]
    assert doc_ids(same_base) == {same_base[0]: "x/r.docx", same_base[1]: "x/r.html", same_base[2]: "y/r"}
    # The second report inside X.txt is X#2, so a file named X#2.txt keeps its extension to stay apart.
    numbered = [Path("X.txt"), Path("X#2.txt"), Path("Y#2.txt")]
    assert doc_ids(numbered) == {numbered[0]: "X", numbered[1]: "X#2.txt", numbered[2]: "Y#2"}


def test_read_all_reports_errors_and_goes_on():
    items = list(expand([BAD / "empty.txt", FIXTURES / "missing.txt", FIXTURES / "utf8.txt", BAD / "binary.txt"]))
    out = list(read_all(items))
    assert [type(x).__name__ for x in out] == ["ReadError", "ReadError", "Document", "ReadError"]
    assert out[2].doc_id == "utf8"


def test_expand_leaves_out_the_runs_own_output_directory(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "r.txt").write_text("x")
    (tmp_path / "out" / "report.html").write_text("x")
    assert list(expand([tmp_path], exclude=tmp_path / "out")) == [tmp_path / "r.txt"]


def test_a_symbolic_link_loop_is_reported_as_a_loop_and_the_other_files_go_on(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.txt").write_text("一、工作成效\n全年完成投资10亿元。", encoding="utf-8")
    (folder / "a.txt").symlink_to(folder / "b.txt")
    (folder / "b.txt").symlink_to(folder / "a.txt")
    items = list(expand([folder, folder / "a.txt"], exclude=tmp_path / "out"))
    loop = "symbolic link loop: the link leads back to itself"
    assert [(Path(e.path).name, e.reason) for e in items if isinstance(e, ReadError)] == [
        ("a.txt", loop),
        ("b.txt", loop),
        ("a.txt", loop),
    ]
    assert [p for p in items if isinstance(p, Path)] == [folder / "ok.txt"]


def test_an_unreadable_sub_directory_is_reported_not_skipped_silently(tmp_path, monkeypatch):
    import os

    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    (folder / "ok.txt").write_text("全年完成投资10亿元。", encoding="utf-8")
    (folder / "locked" / "hidden.txt").write_text("全年完成投资10亿元。", encoding="utf-8")
    scandir = os.scandir

    def denied(path="."):  # as for a folder without read permission (the tests may run as root)
        if Path(path) == folder / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    items = list(expand([folder]))
    assert [(e.path, e.reason) for e in items if isinstance(e, ReadError)] == [
        (str(folder / "locked"), "cannot list this directory (Permission denied); skipped")
    ]
    assert [p for p in items if isinstance(p, Path)] == [folder / "ok.txt"]


def test_an_unreadable_file_is_a_read_error_and_the_others_are_read(tmp_path, monkeypatch):
    secret, ok = tmp_path / "secret.txt", tmp_path / "ok.txt"
    for path in (secret, ok):
        path.write_text("全年完成投资10亿元。", encoding="utf-8")
    opened = Path.open

    def denied(self, *args, **kwargs):
        if self == secret:
            raise PermissionError(13, "Permission denied", str(self))
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    monkeypatch.setattr(Path, "read_bytes", lambda self: denied(self, "rb").read())
    docs = list(read_all(list(expand([secret, ok]))))
    assert [(e.path, e.reason) for e in docs if isinstance(e, ReadError)] == [
        (str(secret), "permission denied: this file cannot be read")
    ]
    assert [d.doc_id for d in docs if not isinstance(d, ReadError)] == ["ok"]
