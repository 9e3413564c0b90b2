"""Export → load into an empty store gives the same graph (json, csv, xlsx); graph formats parse;
spreadsheet cells are protected from formula injection."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest
from openpyxl import load_workbook

from graph.store import GraphStore
from loaders import load_paths
from loaders.export import export_graph, to_networkx
from loaders.generate import generate

SMALL = Path(__file__).parent / "fixtures" / "small" / "small.yaml"


@pytest.fixture
def source(store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> GraphStore:
    """The small fixture plus a synthetic ecosystem: every type, lists, numbers, derived edges."""
    out = tmp_path_factory.mktemp("synthetic")
    generate(400, 1600, seed=11, out_dir=out)
    load_paths(store, [SMALL, out])
    return store


@pytest.fixture
def empty(engine) -> GraphStore:
    with engine.graph() as store:
        yield store


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_export_then_load_into_an_empty_store_gives_the_same_graph(source: GraphStore, empty: GraphStore,
                                                                   tmp_path: Path, fmt: str) -> None:
    original = export_graph(source, "json", tmp_path / "original.json").read_text(encoding="utf-8")
    exported = export_graph(source, fmt, tmp_path / f"graph.{fmt}")
    load_paths(empty, [exported])
    assert export_graph(empty, "json", tmp_path / "back.json").read_text(encoding="utf-8") == original
    assert not load_paths(empty, [exported]).changed  # and loading it again changes nothing


def test_the_json_export_is_the_loader_record_format_in_a_stable_order(source: GraphStore, tmp_path: Path) -> None:
    data = json.loads(export_graph(source, "json", tmp_path / "g.json").read_text(encoding="utf-8"))
    ids = [n["id"] for n in data["nodes"]]
    assert ids == sorted(ids)
    taigang = next(n for n in data["nodes"] if n["id"] == "ent-taigang")
    assert list(taigang)[:3] == ["type", "id", "name"] and taigang["type"] == "Enterprise"
    rel = next(r for r in data["relationships"] if r["type"] == "LEADS" and r["start"] == "ent-taigang")
    assert rel == {"type": "LEADS", "start": "ent-taigang", "end": "proj-silicon-steel", "sources": ["src-demo#1"],
                   "role": "牵头单位"}


def test_spreadsheet_cells_that_look_like_formulas_are_neutralised(source: GraphStore, tmp_path: Path) -> None:
    folder = export_graph(source, "csv", tmp_path / "csv")
    with open(folder / "nodes.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {row["id"]: row for row in csv.DictReader(fh)}
    assert rows["ent-taigang"]["note"] == "'=SUM(A1) is text, not a formula"
    assert rows["proj-silicon-steel"]["description"].startswith("'-16 万吨")
    assert rows["plat-pilot"]["community"] == "-3"  # a number is not a formula
    workbook = load_workbook(export_graph(source, "xlsx", tmp_path / "g.xlsx"), read_only=True)
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "'=SUM(A1) is text, not a formula" in cells and "'@晋商银行 as partner" in cells
    assert not any(isinstance(c, str) and c.startswith(("=", "+", "-", "@")) for c in cells)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_formats_hold_every_node_and_edge(source: GraphStore, tmp_path: Path, fmt: str) -> None:
    path = export_graph(source, fmt, tmp_path / f"g.{fmt}")
    read = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    graph = to_networkx(source)
    assert read.number_of_nodes() == graph.number_of_nodes()
    assert read.number_of_edges() == graph.number_of_edges()
    node = read.nodes["ent-taigang"]
    assert node["type"] == "Enterprise" and json.loads(node["aliases"]) == ["太钢", "太钢集团"]


def test_to_networkx_keys_nodes_by_id_and_edges_by_type(source: GraphStore) -> None:
    graph = to_networkx(source)
    assert isinstance(graph, nx.MultiDiGraph)
    assert graph.nodes["proj-silicon-steel"]["quantity"] == 16.0
    assert graph.nodes["proj-silicon-steel"]["type"] == "Project"
    assert list(graph["ent-taigang"]["proj-silicon-steel"]) == ["LEADS"]
    assert graph["fin-jinshang"]["clu-materials"]["FINANCES"]["weight"] == 0.75
    stats = source.stats()
    assert graph.number_of_nodes() == stats.nodes and graph.number_of_edges() == stats.relationships


def test_an_empty_store_exports_empty_files(empty: GraphStore, tmp_path: Path) -> None:
    data = json.loads(export_graph(empty, "json", tmp_path / "g.json").read_text(encoding="utf-8"))
    assert data == {"nodes": [], "relationships": []}
    assert export_graph(empty, "csv", tmp_path / "csv").joinpath("nodes.csv").exists()
