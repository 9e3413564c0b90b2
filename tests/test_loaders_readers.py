"""Readers, header mapping and cell rules: the parts of loading that need no store."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.ontology import NODE_TYPES, REL_TYPES, PropType, node_props
from loaders import LoadRejected, Problem, collect
from loaders.cells import CellError, format_list, neutralise, parse_cell, parse_list, unneutralise
from loaders.headers import HEADER_TABLE, field_for_header, resolve_type
from loaders.load import paused_gc
from loaders.problems import MAX_PROBLEMS, Problems


def test_every_ontology_property_has_its_english_and_chinese_header() -> None:
    for node_type in NODE_TYPES:
        for prop in node_props(node_type.label):
            assert field_for_header(prop.name) == prop.name
            assert field_for_header(prop.zh) == prop.name
            for alias in prop.aliases:
                assert field_for_header(alias) == prop.name
    assert (field_for_header("类型"), field_for_header("起点"), field_for_header("终点")) == ("type", "start", "end")
    assert field_for_header(" Name ") == field_for_header("ｎａｍｅ") == "name"
    assert len(HEADER_TABLE) > 60


def test_type_names_are_labels_or_chinese_names() -> None:
    for node_type in NODE_TYPES:
        assert resolve_type(node_type.label) == resolve_type(node_type.zh) == ("node", node_type.label)
    for rel in REL_TYPES:
        assert resolve_type(rel.name) == resolve_type(rel.zh) == ("rel", rel.name)
    assert resolve_type("公司") is None


@pytest.mark.parametrize("text", ["=1+1", "+86", "-5", "@sum", "\tx", "\rx", "'=x", "''", "'", "'a", "plain", "",
                                  "''=x", "=", "'\t"])
def test_neutralised_cells_read_back_unchanged(text: str) -> None:
    cell = neutralise(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert unneutralise(cell) == text


@pytest.mark.parametrize("items", [["新材料"], ["a", "b"], ["a|b"], [" padded "], [""], ["[x]"], [], ["'", "\"q\""]])
def test_list_cells_read_back_unchanged(items: list[str]) -> None:
    assert parse_list(format_list(items)) == items


@pytest.mark.parametrize(("text", "prop_type", "value"), [
    ("16", PropType.INTEGER, 16), ("-3", PropType.INTEGER, -3), ("16", PropType.FLOAT, 16.0),
    ("1e-3", PropType.FLOAT, 0.001), ("是", PropType.BOOLEAN, True), ("FALSE", PropType.BOOLEAN, False),
    ("新材料 | 新技术", PropType.STRING_LIST, ["新材料", "新技术"]), ('["a|b"]', PropType.STRING_LIST, ["a|b"]),
])
def test_text_cells_are_parsed_by_the_declared_type(text: str, prop_type: PropType, value: object) -> None:
    assert parse_cell(text, prop_type) == value


@pytest.mark.parametrize(("text", "prop_type"), [
    ("16.0", PropType.INTEGER), ("1_000", PropType.INTEGER), ("9223372036854775808", PropType.INTEGER),
    ("nan", PropType.FLOAT), ("inf", PropType.FLOAT), ("1e999", PropType.FLOAT), (" 1", PropType.FLOAT),
    ("9007199254740993", PropType.FLOAT), ("yes", PropType.BOOLEAN), ("1", PropType.BOOLEAN),
    ("a||b", PropType.STRING_LIST), ("[1, 2]", PropType.STRING_LIST), ("[oops]", PropType.STRING_LIST),
])
def test_text_that_is_not_of_the_declared_type_is_an_error(text: str, prop_type: PropType) -> None:
    with pytest.raises(CellError):
        parse_cell(text, prop_type)


def test_a_csv_named_after_a_type_needs_no_type_column(tmp_path: Path) -> None:
    (tmp_path / "企业.csv").write_text("编号,名称\nent-a,甲公司\n", encoding="utf-8")
    (tmp_path / "MEMBER_OF.csv").write_text("start,end\nent-a,clu-a\n", encoding="utf-8")
    collected = collect([tmp_path])
    assert not collected.problems
    assert collected.nodes["Enterprise"].keys == ["ent-a"]
    assert collected.rels["MEMBER_OF"].keys == [("ent-a", "clu-a")]


def test_yaml_anchors_and_merge_keys_are_fine_in_moderation(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("defaults: &d {region: 太原市, synthetic: true}\n", encoding="utf-8")
    path = tmp_path / "records.yaml"
    path.write_text("- &base {type: Enterprise, id: ent-a, name: 甲, region: 太原市}\n"
                    "- {<<: *base, id: ent-b, name: 乙}\n", encoding="utf-8")
    collected = collect([path])
    assert not collected.problems
    table = collected.nodes["Enterprise"]
    assert table.keys == ["ent-a", "ent-b"] and table.columns["region"] == ["太原市", "太原市"]


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel-unicode.tsv"
    path.write_bytes("type\tid\tname\nEnterprise\tent-a\t甲公司\n".encode("utf-16"))
    collected = collect([path])
    assert not collected.problems and collected.nodes["Enterprise"].columns["name"] == ["甲公司"]


def test_missing_files_and_unknown_suffixes_are_problems(tmp_path: Path) -> None:
    (tmp_path / "notes.docx").write_bytes(b"x")
    collected = collect([tmp_path / "nowhere.csv", tmp_path / "notes.docx"])
    assert [(p.file.rsplit("/", 1)[-1], p.reason.split(" ")[0]) for p in collected.problems] == [
        ("nowhere.csv", "no"), ("notes.docx", "unknown")]


def test_problems_beyond_the_limit_are_counted_not_kept() -> None:
    some = [Problem("f.csv", row, "name", "bad") for row in range(5)]
    problems = Problems(some[:2], limit=3)
    problems.append(some[2])
    problems += some[3:]
    assert list(problems) == some[:3] and problems.omitted == 2 and problems.total == 5
    inner = Problems(some, limit=1)
    outer = Problems(limit=10)
    outer.extend(inner)
    assert list(outer) == some[:1] and outer.omitted == 4  # what the inner list left out stays counted
    rejected = LoadRejected(problems)
    assert rejected.to_json()["total"] == 5 and rejected.to_json()["omitted"] == 2
    assert len(rejected.to_json()["problems"]) == 3
    assert str(rejected).splitlines()[0] == "the input was rejected with 5 problem(s); nothing was loaded"
    assert str(rejected).splitlines()[-1].startswith("… and 2 more problem(s), not listed")


def test_a_million_unknown_columns_make_a_bounded_list_of_problems(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    columns = 1_000_000
    path.write_text("type,id,name," + ",".join(f"c{i}" for i in range(columns)) + "\n"
                    "Enterprise,ent-wide,宽公司" + "," * columns + "\n", encoding="utf-8")
    with paused_gc():  # as load_paths reads
        collected = collect([path])
    assert len(collected.problems) == MAX_PROBLEMS
    assert collected.problems.total == columns and collected.problems.omitted == columns - MAX_PROBLEMS
    assert collected.problems[0].column == "c0" and "unknown column 'c0'" in collected.problems[0].reason
