"""The bad-input corpus (tests/bad_inputs): every file is rejected with messages naming file, row and
column; the CLI exits non-zero and prints them on stderr; the store's export is the same before and
after. Tricky but valid inputs (HTML in names, quoted line breaks) are accepted as data.

Inputs too large to keep in the corpus are built at test time: a ZIP bomb, sheets that reach far
beyond their data, a file with thousands of problems (listed up to ``MAX_PROBLEMS``, all counted)."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from app.cli import cli
from graph.store import GraphStore
from loaders import LoadRejected, collect, load_paths, xlsx_safety
from loaders.export import export_graph
from loaders.problems import MAX_PROBLEMS

BAD = Path(__file__).parent / "bad_inputs"
EXPECTED: dict[str, list[dict]] = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))
SMALL = Path(__file__).parent / "fixtures" / "small" / "small.yaml"
TRICKY = Path(__file__).parent / "fixtures" / "tricky"


def test_the_corpus_is_large_and_every_file_has_expectations() -> None:
    files = {p.name for p in BAD.iterdir() if p.name != "expected.yaml"}
    assert files == set(EXPECTED)
    assert len(files) >= 25


@pytest.fixture
def loaded(store: GraphStore) -> GraphStore:
    load_paths(store, [SMALL])
    return store


def snapshot(store: GraphStore, tmp_path: Path, name: str) -> str:
    return export_graph(store, "json", tmp_path / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_bad_input_is_rejected_with_file_row_and_column(loaded: GraphStore, tmp_path: Path, name: str) -> None:
    before = snapshot(loaded, tmp_path, "before.json")
    with pytest.raises(LoadRejected) as caught:
        load_paths(loaded, [BAD / name])
    found = [(p.file, p.row, p.column, p.reason) for p in caught.value.problems]
    for want in EXPECTED[name]:
        file = str(BAD / name) + (f"[{want['sheet']}]" if "sheet" in want else "")
        assert any(f == file and r == want["row"] and c == want["column"] and want["reason"] in reason
                   for f, r, c, reason in found), (want, found)
    assert snapshot(loaded, tmp_path, "after.json") == before


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_cli_exits_non_zero_and_prints_file_row_column(loaded: GraphStore, engine, name: str) -> None:
    env = engine.env_for(loaded)
    result = CliRunner().invoke(cli, ["load", str(BAD / name)], env=env)
    assert result.exit_code == 1
    want = EXPECTED[name][0]
    file = str(BAD / name) + (f"[{want['sheet']}]" if "sheet" in want else "")
    assert f"{file}:{want['row']}:{want['column']}: " in result.stderr
    assert "nothing was loaded" in result.stderr
    as_json = CliRunner().invoke(cli, ["load", "--json", str(BAD / name)], env=env)
    assert as_json.exit_code == 1
    problems = json.loads(as_json.stdout)["problems"]
    assert {"file", "row", "column", "reason"} <= set(problems[0])


def test_every_problem_of_a_file_is_reported_not_only_the_first(store: GraphStore, tmp_path: Path) -> None:
    many = tmp_path / "many.csv"
    many.write_text("type,id,name,year,liuxin\n"
                    "Project,proj-a,甲,二〇二一,新材料\n"
                    "Project,PROJ-B,乙,2021,新能源\n"
                    "Project,proj-c,,2021.0,\n", encoding="utf-8")
    with pytest.raises(LoadRejected) as caught:
        load_paths(store, [many])
    where = sorted((p.row, p.column) for p in caught.value.problems)
    assert where == [(2, "year"), (3, "id"), (3, "liuxin"), (4, "name"), (4, "year")]


@pytest.mark.parametrize("name", ["html-in-names.csv", "quoted-line-breaks.csv"])
def test_tricky_but_valid_text_is_accepted_as_data(store: GraphStore, name: str) -> None:
    load_paths(store, [TRICKY / name])
    names = dict(store.read("MATCH (n:Entity) RETURN n.id, n.name").rows)
    expected = json.loads((TRICKY / "expected.json").read_text(encoding="utf-8"))[name]
    assert names == expected


# -- workbooks built at test time: ZIP bombs and sheets far larger than their file -----------------
def workbook(rows: list[list[object]], title: str = "Enterprise") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def repacked(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The workbook ``data`` with some parts replaced and others added."""
    replace = replace or {}
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, replace.get(name, source.read(name)))
        for name, body in (add or {}).items():
            target.writestr(name, body)
    return buffer.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
SHEET_XML = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}'
             '</sheetData></worksheet>')
GOOD_ROWS = [["id", "name"], ["ent-book", "工作簿公司"]]


def sheet_of(rows: str) -> bytes:
    return repacked(workbook(GOOD_ROWS), {SHEET: SHEET_XML.format(rows=rows).encode()})


def zip_bomb() -> bytes:
    """A valid workbook whose sheet unpacks to 64 MiB (blanks between the rows) from about 64 KiB."""
    padding = " " * (64 << 20)
    rows = f'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>{padding}'
    return sheet_of(rows)


def rejected_reasons(path: Path) -> list[str]:
    """Every problem reading ``path`` finds, as ``file:row:column: reason``."""
    return [str(p) for p in collect([path]).problems]


def test_a_zip_bomb_is_refused_from_the_archive_directory_alone(loaded: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb())
    assert path.stat().st_size < 1 << 20
    before = snapshot(loaded, tmp_path, "before.json")
    started = time.perf_counter()
    with pytest.raises(LoadRejected) as caught:
        load_paths(loaded, [path])
    seconds = time.perf_counter() - started
    [problem] = caught.value.problems
    assert problem.file == str(path) and (problem.row, problem.column) == (1, 1)
    assert f"the part {SHEET} unpacks" in problem.reason and "ZIP bomb" in problem.reason
    assert seconds < 1.0, seconds
    assert snapshot(loaded, tmp_path, "after.json") == before


@pytest.mark.parametrize(("limit", "value", "reason"), [
    ("MAX_PART_BYTES", 4096, "unpacks to"), ("MAX_TOTAL_BYTES", 8192, "the workbook unpacks to"),
    ("MAX_PARTS", 5, "parts; at most 5 are read")])
def test_every_archive_limit_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, value: int,
                                        reason: str) -> None:
    monkeypatch.setattr(xlsx_safety, limit, value)
    path = tmp_path / "book.xlsx"
    path.write_bytes(repacked(workbook(GOOD_ROWS), add={"xl/media/big.bin": os.urandom(6000)}))
    reasons = rejected_reasons(path)
    assert reasons and all(r.startswith(f"{path}:1:1: ") for r in reasons)
    assert any(reason in r for r in reasons), reasons


def test_a_cell_beyond_excels_last_row_stops_the_reading(tmp_path: Path) -> None:
    """No declared range, one cell at row 5,000,000: the reader would make millions of empty rows."""
    path = tmp_path / "far.xlsx"
    path.write_bytes(sheet_of('<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'
                              '<row r="5000000"><c r="A5000000" t="inlineStr"><is><t>x</t></is></c></row>'))
    started = time.perf_counter()
    reasons = rejected_reasons(path)
    assert time.perf_counter() - started < 10
    assert reasons == [f"{path}[Enterprise]:1048577:1: the sheet has a cell beyond row 1,048,576 or column XFD "
                       f"(Excel's last); {xlsx_safety._LIMITS}"]


def test_stray_cells_far_right_count_against_the_cell_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each row with a cell in column XFD is 16,384 cells wide once read."""
    monkeypatch.setattr(xlsx_safety, "MAX_CELLS", 100_000)
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'
    rows = "".join(f'<row r="{r}"><c r="XFD{r}" t="inlineStr"><is><t>x</t></is></c></row>' for r in range(2, 20))
    path = tmp_path / "wide.xlsx"
    path.write_bytes(sheet_of(header + rows))
    *no_header, stop = rejected_reasons(path)
    # 1 + 6 × 16,384 cells after row 7; row 8 passes 100,000 and nothing after it is read
    assert [r.split(":")[1] for r in no_header] == ["2", "3", "4", "5", "6", "7"]
    assert stop.startswith(f"{path}[Enterprise]:8:16384: the sheet holds more than 100,000 cells"), stop


def test_text_that_starts_with_equals_is_text_in_a_workbook_as_in_csv(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Enterprise"
    sheet.append(["id", "name", "note"])
    sheet.append(["ent-eq", "等号公司", "=text"])
    sheet["C2"].data_type = "s"  # a text cell, as Excel stores '=text typed with a leading quote
    book.save(tmp_path / "text.xlsx")
    (tmp_path / "text.csv").write_text("type,id,name,note\nEnterprise,ent-eq2,等号公司二,=text\n", encoding="utf-8")
    collected = collect([tmp_path / "text.xlsx", tmp_path / "text.csv"])
    assert not collected.problems
    assert collected.nodes["Enterprise"].columns["note"] == ["=text", "=text"]


def test_a_file_with_thousands_of_bad_rows_lists_the_first_and_counts_all(loaded: GraphStore, engine,
                                                                           tmp_path: Path) -> None:
    bad = 2_500
    path = tmp_path / "bad-ids.csv"
    path.write_text("type,id,name\n" + "".join(f"Enterprise,Bad Id {i},坏\n" for i in range(bad)), encoding="utf-8")
    before = snapshot(loaded, tmp_path, "before.json")
    with pytest.raises(LoadRejected) as caught:
        load_paths(loaded, [path])
    assert (len(caught.value.problems), caught.value.total) == (MAX_PROBLEMS, bad)
    assert [p.row for p in caught.value.problems] == list(range(2, MAX_PROBLEMS + 2))  # the first ones, in order
    result = CliRunner().invoke(cli, ["load", "--json", str(path)], env=engine.env_for(loaded))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (len(report["problems"]), report["total"], report["omitted"]) == (MAX_PROBLEMS, bad, bad - MAX_PROBLEMS)
    assert snapshot(loaded, tmp_path, "after.json") == before
