"""Every format and encoding of the small fixture loads into the same graph, read back from the store."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from graph.ontology import LIUXIN_IDS, Liuxin
from graph.store import GraphStore
from loaders import load_paths
from loaders.export import to_networkx

SMALL = Path(__file__).parent / "fixtures" / "small"
VARIANTS = sorted(p.name for p in SMALL.iterdir() if p.name != "small.yaml")


def graph_data(g: nx.MultiDiGraph) -> tuple[list, list]:
    """Nodes and edges with their attributes, comparable with ``==``."""
    edges = sorted((u, v, k, sorted(d.items())) for u, v, k, d in g.edges(keys=True, data=True))
    return sorted(g.nodes(data=True)), edges


@pytest.fixture(scope="module")
def reference(engine) -> tuple[list, list]:
    with engine.graph() as store:
        load_paths(store, [SMALL / "small.yaml"])
        return graph_data(to_networkx(store))


def test_the_reference_graph_holds_the_fixture_as_stored_values(reference: tuple[list, list]) -> None:
    nodes, edges = reference
    by_id = dict(nodes)
    taigang = by_id["ent-taigang"]
    assert taigang["type"] == "Enterprise" and taigang["aliases"] == ["太钢", "太钢集团"]
    assert taigang["is_leader"] is True
    assert taigang["note"] == "=SUM(A1) is text, not a formula"
    project = by_id["proj-silicon-steel"]
    assert (project["quantity"], project["unit"], project["year"]) == (16.0, "万吨/年", 2021)
    assert project["description"] == '-16 万吨 is not a number here; a line\nbreak and "quotes" stay'
    assert by_id["plat-pilot"]["community"] == -3 and by_id["fin-jinshang"]["importance"] == 0.125
    assert by_id[LIUXIN_IDS[Liuxin.NEW_EQUIPMENT]] == {"id": LIUXIN_IDS[Liuxin.NEW_EQUIPMENT], "name": "新装备",
                                                        "name_en": "New equipment", "type": "Category"}
    keys = {(u, k, v): dict(d) for u, v, k, d in edges}
    assert ("ent-taigang", "CLASSIFIED_AS", LIUXIN_IDS[Liuxin.NEW_MATERIAL]) in keys
    assert keys[("ent-taigang", "MENTIONED_IN", "src-demo")]["sections"] == ["0", "1"]
    assert keys[("fin-jinshang", "FINANCES", "clu-materials")]["weight"] == 0.75
    assert len(nodes) == 7 + 2 and len(edges) == 6 + 3 + 2  # + Category nodes; + CLASSIFIED_AS, MENTIONED_IN


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_format_and_encoding_loads_the_same_graph(store: GraphStore, reference: tuple[list, list],
                                                        variant: str) -> None:
    report = load_paths(store, [SMALL / variant])
    assert report.total("node", "created") == 9
    assert graph_data(to_networkx(store)) == reference


def test_an_encoding_can_be_named_instead_of_detected(store: GraphStore, reference: tuple[list, list]) -> None:
    load_paths(store, [SMALL / "small-zh-gb18030.csv"], encoding="gb18030")
    assert graph_data(to_networkx(store)) == reference


def test_a_format_can_be_named_for_any_file_name(store: GraphStore, reference: tuple[list, list],
                                                 tmp_path: Path) -> None:
    renamed = tmp_path / "records.txt"
    renamed.write_bytes((SMALL / "small.jsonl").read_bytes())
    load_paths(store, [renamed], fmt="jsonl")
    assert graph_data(to_networkx(store)) == reference


def test_files_split_across_formats_load_together(store: GraphStore, reference: tuple[list, list],
                                                  tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load((SMALL / "small.yaml").read_text(encoding="utf-8"))
    (tmp_path / "nodes.yaml").write_text(yaml.safe_dump({"nodes": data["nodes"]}, allow_unicode=True), encoding="utf-8")
    import json

    (tmp_path / "relationships.json").write_text(json.dumps({"relationships": data["relationships"]},
                                                            ensure_ascii=False), encoding="utf-8")
    load_paths(store, [tmp_path])
    assert graph_data(to_networkx(store)) == reference
