"""The planted industry chains of the synthetic ecosystem: every claim of the truth file holds in the
written files, read back independently (csv + networkx), at sizes from tiny to a few thousand nodes."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph.ontology import REL_TYPE_BY_NAME
from loaders import collect
from loaders.generate import generate


@dataclass
class Files:
    nodes: dict[str, dict[str, str]]
    rels: list[tuple[str, str, str]]
    truth: dict[str, Any]

    def label(self, node: str) -> str:
        return self.nodes[node]["type"]

    def ids(self, label: str) -> set[str]:
        return {i for i, row in self.nodes.items() if row["type"] == label}

    def out(self, rel_type: str, start: str) -> set[str]:
        return {e for t, s, e in self.rels if t == rel_type and s == start}


def written(out: Path, truth_path: str) -> Files:
    with open(out / "nodes.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(out / "relationships.csv", encoding="utf-8", newline="") as handle:
        rels = [(r["type"], r["start"], r["end"]) for r in csv.DictReader(handle)]
    assert all(r["synthetic"] == "true" for r in rows)
    nodes = {r["id"]: r for r in rows}
    assert len(nodes) == len(rows)
    return Files(nodes, rels, json.loads(Path(truth_path).read_text(encoding="utf-8")))


def home_and_outside(f: Files) -> tuple[str | None, set[str], set[str]]:
    """The id of 山西省, the Region ids inside it (it and everything PART_OF it, transitively) and the others."""
    regions = f.ids("Region")
    parts = nx.DiGraph()
    parts.add_nodes_from(regions)
    parts.add_edges_from((s, e) for t, s, e in f.rels if t == "PART_OF" and s in regions and e in regions)
    [province] = [r for r in regions if f.nodes[r]["name"] == "山西省"] or [None]
    home = {province, *nx.ancestors(parts, province)} if province else set()
    return province, home, regions - home


def check_the_truth(f: Files) -> None:
    """Every claim of the truth file, and the rules around outside enterprises, against the files."""
    truth = f.truth
    province, home, outside_regions = home_and_outside(f)
    home_names = {f.nodes[r]["name"] for r in home}
    outside_names = {f.nodes[r]["name"]: r for r in outside_regions}
    assert truth["outside_regions"] == sorted(outside_regions)
    assert truth["home_region"] == province
    assert sorted([*truth["clusters"], *truth["unplanted"]]) == sorted(f.ids("Cluster"))
    assert not set(truth["clusters"]) & set(truth["unplanted"])

    # every relationship allowed, none twice
    for t, s, e in f.rels:
        assert REL_TYPE_BY_NAME[t].allows(f.label(s), f.label(e)), (t, s, e)
    assert max(Counter(f.rels).values(), default=1) == 1

    # local and outside: by the region property; local nodes are never located outside
    enterprises = f.ids("Enterprise")
    outside_firms = {e for e in enterprises if f.nodes[e]["region"] in outside_names}
    assert all(f.nodes[e]["region"] in home_names for e in enterprises - outside_firms)
    for t, s, e in f.rels:
        if t == "LOCATED_IN" and s not in outside_firms:
            assert e in home or f.label(e) == "Park", (s, e)
    for node, row in f.nodes.items():
        if row["type"] != "Region" and node not in outside_firms:
            assert row["region"] in home_names or not home, node

    # outside enterprises: no membership, never an edge's end, one LOCATED_IN to their own region,
    # COLLABORATES_WITH and USES only as a best candidate
    best = {c["best"] for planted in truth["clusters"].values() for c in planted["candidates"].values()}
    for t, s, e in f.rels:
        assert e not in outside_firms, (t, s, e)
        if s in outside_firms:
            assert t in ("OPERATES_IN", "LOCATED_IN") or (t in ("COLLABORATES_WITH", "USES") and s in best), (t, s)
    for firm in outside_firms:
        assert f.out("LOCATED_IN", firm) in (set(), {outside_names[f.nodes[firm]["region"]]})
        assert not f.nodes[firm]["is_leader"]

    leaders = {e for e in enterprises if f.nodes[e]["is_leader"] == "true"}
    assert leaders <= enterprises - outside_firms
    operators: dict[str, set[str]] = defaultdict(set)
    for t, s, e in f.rels:
        if t == "OPERATES_IN":
            operators[e].add(s)
    for cluster, planted in truth["clusters"].items():
        check_one_chain(f, cluster, planted, operators, outside_firms, leaders)


def check_one_chain(f: Files, cluster: str, planted: dict[str, Any], operators: dict[str, set[str]],
                    outside_firms: set[str], leaders: set[str]) -> None:
    links = f.out("HAS_LINK", cluster)
    chain = nx.DiGraph([(s, e) for t, s, e in f.rels if t == "UPSTREAM_OF" and s in links and e in links])
    chain.add_nodes_from(links)
    assert list(nx.topological_sort(chain)) == planted["links"]
    assert all(chain.out_degree(n) <= 1 and chain.in_degree(n) <= 1 for n in chain) and nx.is_weakly_connected(chain)
    gap, fragile, covered = planted["gap"], planted["fragile"], planted["covered"]
    assert len(gap) == len(fragile) == 1 and sorted(gap + fragile + covered) == sorted(links)

    enterprises = f.ids("Enterprise")
    local = {link: {o for o in operators[link] if o in enterprises and o not in outside_firms} for link in links}
    outside = {link: {o for o in operators[link] if o in outside_firms} for link in links}
    assert {k: sorted(v) for k, v in local.items()} == {k: sorted(v) for k, v in planted["local_operators"].items()}
    assert {k: sorted(v) for k, v in outside.items()} == {k: sorted(v) for k, v in planted["outside_operators"].items()}
    assert not local[gap[0]] and not any(f.label(o) == "Institution" for o in operators[gap[0]])
    leader = planted["leader"]
    assert local[fragile[0]] == {leader} and planted["single_supplier"] == {"link": fragile[0], "entity": leader}
    assert all(len(local[link]) >= 2 for link in covered)

    members = {s for t, s, e in f.rels if t == "MEMBER_OF" and e == cluster}
    assert leader in members and members & leaders == {leader} and f.nodes[leader]["is_leader"] == "true"
    assert not members & outside_firms

    transfer, technology = planted["transfer_region"], planted["technology"]
    assert f.out("TRANSFERS_FROM", cluster) == {transfer} and technology in f.out("NEEDS", cluster)
    outside_regions = home_and_outside(f)[2]
    assert transfer in outside_regions
    assert set(planted["candidates"]) == {gap[0], fragile[0]}
    ties = {(t, s) for t, s, e in f.rels if t in ("COLLABORATES_WITH", "USES")} | \
        {(t, e) for t, s, e in f.rels if t in ("COLLABORATES_WITH", "USES")}
    for link, c in planted["candidates"].items():
        for firm in c.values():
            assert firm in outside_firms and link in f.out("OPERATES_IN", firm)
        assert f.out("COLLABORATES_WITH", c["best"]) == {leader} and f.out("USES", c["best"]) == {technology}
        assert f.out("LOCATED_IN", c["best"]) == f.out("LOCATED_IN", c["second"]) == {transfer}
        assert f.nodes[c["best"]]["region"] == f.nodes[c["second"]]["region"] == f.nodes[transfer]["name"]
        [elsewhere] = f.out("LOCATED_IN", c["third"])
        assert elsewhere != transfer and elsewhere in outside_regions
        for firm in (c["second"], c["third"]):
            assert not {(t, firm) for t in ("COLLABORATES_WITH", "USES")} & ties


@pytest.mark.parametrize(("nodes", "edges", "seed"), [(3000, 15000, 3), (400, 1600, 1), (60, 200, 2),
                                                      (3000, 4300, 5), (3000, 2500, 5), (1500, 6000, 8)])
def test_every_planted_claim_holds_in_the_files(tmp_path: Path, nodes: int, edges: int, seed: int) -> None:
    report = generate(nodes, edges, seed, tmp_path)
    assert report.node_count == nodes and report.relationship_count == edges
    f = written(tmp_path, report.truth)
    assert len(f.nodes) == nodes
    assert len(f.rels) == edges - report.relationships.get("CLASSIFIED_AS", 0)
    check_the_truth(f)


def test_a_full_sized_ecosystem_plants_every_chain_and_leaders_are_the_planted_ones(tmp_path: Path) -> None:
    report = generate(3000, 15000, 3, tmp_path)
    f = written(tmp_path, report.truth)
    clusters = f.ids("Cluster")
    assert sorted(f.truth["clusters"]) == sorted(clusters) and f.truth["unplanted"] == []
    leaders = {e for e in f.ids("Enterprise") if f.nodes[e]["is_leader"] == "true"}
    assert leaders == {planted["leader"] for planted in f.truth["clusters"].values()}
    assert len(leaders) == len(clusters)
    assert 2 <= len(f.truth["outside_regions"]) <= 8
    assert all(f.nodes[r]["level"] == "省" for r in f.truth["outside_regions"])


def test_a_tiny_ecosystem_plants_nothing_and_says_so(tmp_path: Path) -> None:
    report = generate(60, 200, 2, tmp_path)
    f = written(tmp_path, report.truth)
    assert f.truth["clusters"] == {} and f.truth["unplanted"] == sorted(f.ids("Cluster"))
    assert f.truth["outside_regions"] == []
    assert not any(row["is_leader"] for row in f.nodes.values())


def test_a_short_edge_budget_claims_only_the_chains_written_whole(tmp_path: Path) -> None:
    report = generate(3000, 4300, 5, tmp_path)  # room for the members' links and about half the chains
    f = written(tmp_path, report.truth)
    assert f.truth["clusters"] and f.truth["unplanted"]
    check_the_truth(f)
    starved = generate(3000, 2500, 5, tmp_path / "starved")  # not even room for every member's link
    assert json.loads(Path(starved.truth).read_text(encoding="utf-8"))["clusters"] == {}


def test_the_truth_is_deterministic_the_same_in_every_format_and_not_loaded(tmp_path: Path) -> None:
    a = generate(800, 3200, 4, tmp_path / "a")
    b = generate(800, 3200, 4, tmp_path / "b", fmt="jsonl")
    c = generate(800, 3200, 9, tmp_path / "c")
    assert a.truth and Path(a.truth).parent == tmp_path / "a" and a.truth not in a.files
    assert Path(a.truth).read_bytes() == Path(b.truth).read_bytes() != Path(c.truth).read_bytes()
    assert json.loads(Path(a.truth).read_text(encoding="utf-8"))["clusters"]
    collected = collect([tmp_path / "a"])
    assert not collected.problems and sorted(collected.files) == sorted(a.files)
