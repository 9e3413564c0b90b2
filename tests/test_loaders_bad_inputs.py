"""The bad-input corpus (tests/bad_inputs): every file is rejected with messages naming file, row and
column; the CLI exits non-zero and prints them on stderr; the store's export is the same before and
after. Tricky but valid inputs (HTML in names, quoted line breaks) are accepted as data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import cli
from graph.store import GraphStore
from loaders import LoadRejected, load_paths
from loaders.export import export_graph

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
