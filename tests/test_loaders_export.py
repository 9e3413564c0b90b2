"""Export → load into an empty store gives the same graph (json, csv, xlsx); graph formats parse;
spreadsheet cells are protected from formula injection; GEXF and GraphML are what Gephi, networkx
and igraph expect (labels are names, relationship types are attributes, nothing internal leaks),
checked against the store's own answer."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import igraph
import networkx as nx
import pytest
from openpyxl import load_workbook

from graph.ontology import NODE_TYPE_BY_LABEL, REL_TYPE_BY_NAME, type_label
from graph.store import GraphStore
from loaders import load_dataset, load_paths
from loaders.cells import parse_list
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
    assert node["node_type"] == "Enterprise" and parse_list(node["aliases"]) == ["太钢", "太钢集团"]
    assert node["is_leader"] is True and node["label"] == "太原钢铁（集团）有限公司"


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


# -- GEXF and GraphML for Gephi, networkx and igraph ----------------------------------------------------------
GEXF_NS = {"g": "http://gexf.net/1.3"}

PARALLEL = {
    "nodes": [
        {"type": "Enterprise", "id": "ent-a", "name": "甲公司 <A&B> \"引号\"", "aliases": ["甲", "A|B 公司"],
         "is_leader": True, "description": "第一行\n第二行"},
        {"type": "Enterprise", "id": "ent-b", "name": "乙公司", "is_leader": False},
        {"type": "Cluster", "id": "clu-x", "name": "某产业集群"},
        {"type": "Project", "id": "proj-y", "name": "某项目", "quantity": 16.0, "year": 2021},
    ],
    "relationships": [
        {"type": "MEMBER_OF", "start": "ent-a", "end": "clu-x"},
        {"type": "LEADS", "start": "ent-a", "end": "clu-x", "role": "链主"},
        {"type": "COLLABORATES_WITH", "start": "ent-a", "end": "ent-b", "weight": 0.5},
        {"type": "COLLABORATES_WITH", "start": "ent-b", "end": "ent-a"},
        {"type": "LEADS", "start": "ent-b", "end": "proj-y"},
        {"type": "MEMBER_OF", "start": "proj-y", "end": "clu-x"},
    ],
}
"""Parallel relationships of different types between the same two nodes (and both directions of one
type), with text that needs escaping, lists, booleans and numbers."""


def _load_parallel(store: GraphStore, folder: Path) -> None:
    path = folder / "parallel.json"
    path.write_text(json.dumps(PARALLEL, ensure_ascii=False), encoding="utf-8")
    load_paths(store, [path])


@pytest.fixture
def parallel(store: GraphStore, tmp_path: Path) -> GraphStore:
    _load_parallel(store, tmp_path)
    return store


@pytest.fixture(params=["curated", "parallel"])
def exported_graph(store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest) -> GraphStore:
    """The curated dataset, and the small graph with parallel relationships."""
    if request.param == "curated":
        load_dataset(store, "shanxi")
    else:
        _load_parallel(store, tmp_path)
    return store


class StoreAnswer:
    """What the store itself says, by Cypher: names and types of nodes, relationships and counts per type."""

    def __init__(self, store: GraphStore) -> None:
        rows = store.read("MATCH (n:Entity) RETURN n.id, n.name, labels(n)").rows
        self.names = {i: name for i, name, _ in rows}
        self.types = {i: type_label(labels) for i, _, labels in rows}
        self.rels = Counter(tuple(r) for r in store.read(
            "MATCH (a:Entity)-[r]->(b:Entity) RETURN a.id, type(r), b.id").rows)
        self.per_type = dict(store.read("MATCH (:Entity)-[r]->(:Entity) RETURN type(r), count(r)").rows)
        assert self.names and sum(self.per_type.values()) == sum(self.rels.values()) > 0


def _assert_networkx_matches(read: nx.Graph, answer: StoreAnswer) -> None:
    assert {n: d["label"] for n, d in read.nodes(data=True)} == answer.names
    assert {n: d["node_type"] for n, d in read.nodes(data=True)} == answer.types
    assert {n: d["node_type_zh"] for n, d in read.nodes(data=True)} == {
        n: NODE_TYPE_BY_LABEL[t].zh for n, t in answer.types.items()}
    edges = list(read.edges(data=True))
    assert Counter((u, d["rel_type"], v) for u, v, d in edges) == answer.rels
    assert Counter(d["label"] for _, _, d in edges) == answer.per_type
    assert all(d["rel_type_zh"] == REL_TYPE_BY_NAME[d["rel_type"]].zh for _, _, d in edges)
    for _, data in [*read.nodes(data=True), *((None, d) for _, _, d in edges)]:
        assert "networkx_key" not in data and not any(isinstance(v, list) for v in data.values())


def test_gexf_reads_back_in_networkx_with_names_as_labels_and_types_as_attributes(
        exported_graph: GraphStore, tmp_path: Path) -> None:
    answer = StoreAnswer(exported_graph)
    read = nx.read_gexf(export_graph(exported_graph, "gexf", tmp_path / "g.gexf"))
    _assert_networkx_matches(read, answer)
    assert {n: d["id"] for n, d in read.nodes(data=True)} == {n: n for n in answer.names}


def test_the_gexf_xml_declares_every_attribute_and_nothing_internal(exported_graph: GraphStore,
                                                                    tmp_path: Path) -> None:
    answer = StoreAnswer(exported_graph)
    path = export_graph(exported_graph, "gexf", tmp_path / "g.gexf")
    assert "networkx_key" not in path.read_text(encoding="utf-8")
    root = ET.parse(path).getroot()
    assert root.get("version") == "1.3"
    declared = {cls.get("class"): {a.get("id"): (a.get("title"), a.get("type"))
                                   for a in cls.findall("g:attribute", GEXF_NS)}
                for cls in root.findall("g:graph/g:attributes", GEXF_NS)}
    node_titles = {t for t, _ in declared["node"].values()}
    edge_titles = {t for t, _ in declared["edge"].values()}
    assert {"id", "node_type", "node_type_zh", "name"} <= node_titles
    assert {"rel_type", "rel_type_zh"} <= edge_titles and "type" not in edge_titles | node_titles
    assert ("is_leader", "boolean") in declared["node"].values()

    def values(element: ET.Element, cls: str) -> dict[str, str]:
        found = element.findall("g:attvalues/g:attvalue", GEXF_NS)
        return {declared[cls][v.get("for")][0]: v.get("value") for v in found}

    nodes = root.findall("g:graph/g:nodes/g:node", GEXF_NS)
    assert {n.get("id"): n.get("label") for n in nodes} == answer.names
    assert all(values(n, "node")["id"] == n.get("id") for n in nodes)
    edges = root.findall("g:graph/g:edges/g:edge", GEXF_NS)
    assert len({e.get("id") for e in edges}) == len(edges)
    assert Counter((e.get("source"), e.get("label"), e.get("target")) for e in edges) == answer.rels
    assert all(e.get("kind") == e.get("label") == values(e, "edge")["rel_type"] for e in edges)
    assert not any("type" in e.attrib for e in edges)  # GEXF's own edge type is the direction; Gephi refuses others


def test_graphml_reads_back_in_networkx_and_igraph(exported_graph: GraphStore, tmp_path: Path) -> None:
    answer = StoreAnswer(exported_graph)
    path = export_graph(exported_graph, "graphml", tmp_path / "g.graphml")
    assert "networkx_key" not in path.read_text(encoding="utf-8")
    _assert_networkx_matches(nx.read_graphml(path), answer)
    g = igraph.Graph.Read_GraphML(str(path))
    ids = g.vs["id"]
    assert dict(zip(ids, g.vs["label"], strict=True)) == answer.names
    assert dict(zip(ids, g.vs["node_type"], strict=True)) == answer.types
    assert Counter((ids[e.source], e["rel_type"], ids[e.target]) for e in g.es) == answer.rels
    assert Counter(g.es["label"]) == answer.per_type
    assert "id" not in g.es.attributes()  # no edge ids: igraph would fill them with vertex ids


def test_parallel_relationships_stay_apart_with_their_own_types(parallel: GraphStore, tmp_path: Path) -> None:
    gexf = nx.read_gexf(export_graph(parallel, "gexf", tmp_path / "g.gexf"))
    assert isinstance(gexf, nx.MultiDiGraph)
    assert sorted(d["rel_type"] for d in gexf["ent-a"]["clu-x"].values()) == ["LEADS", "MEMBER_OF"]
    assert [d["weight"] for d in gexf["ent-a"]["ent-b"].values()] == [0.5]  # Gephi's edge weight
    assert [d.get("weight") for d in gexf["ent-b"]["ent-a"].values()] == [None]
    node = gexf.nodes["ent-a"]
    assert node["label"] == "甲公司 <A&B> \"引号\"" and node["description"] == "第一行\n第二行"
    assert parse_list(node["aliases"]) == ["甲", "A|B 公司"] and node["is_leader"] is True
    assert gexf.nodes["ent-b"]["is_leader"] is False
    assert gexf.nodes["proj-y"]["quantity"] == 16.0 and gexf.nodes["proj-y"]["year"] == 2021
    path = export_graph(parallel, "graphml", tmp_path / "g.graphml")
    g = igraph.Graph.Read_GraphML(str(path))
    a, c = g.vs.find(id="ent-a").index, g.vs.find(id="clu-x").index
    assert sorted(e["rel_type"] for e in g.es.select(_source=a, _target=c)) == ["LEADS", "MEMBER_OF"]
    assert g.vs.find(id="ent-a")["is_leader"] is True and g.vs.find(id="ent-b")["is_leader"] is False
    graphml = nx.read_graphml(path)
    assert sorted(d["label"] for d in graphml["ent-a"]["clu-x"].values()) == ["LEADS", "MEMBER_OF"]
    assert graphml.nodes["ent-a"]["description"] == "第一行\n第二行"
