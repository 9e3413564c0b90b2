"""The synthetic ecosystem: exact sizes, deterministic per seed, flagged synthetic, realistic in
shape (clusters with chain links, skewed enterprise degrees, Chinese names), loadable as written."""

from __future__ import annotations

import json
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from graph.store import GraphStore
from loaders import load_paths
from loaders.export import to_networkx
from loaders.generate import generate


def test_the_loaded_graph_has_exactly_the_asked_sizes(store: GraphStore, tmp_path: Path) -> None:
    report = generate(1500, 6000, seed=1, out_dir=tmp_path)
    assert report.node_count == 1500 and report.relationship_count == 6000
    load_paths(store, [tmp_path])
    stats = store.stats()
    assert stats.nodes == 1500 + 6  # the loader adds the six Category nodes
    assert stats.relationships == 6000
    assert stats.relationship_types == dict(sorted(report.relationships.items()))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_same_seed_writes_the_same_files(tmp_path: Path, fmt: str) -> None:
    a = generate(500, 2000, seed=5, out_dir=tmp_path / "a", fmt=fmt)
    b = generate(500, 2000, seed=5, out_dir=tmp_path / "b", fmt=fmt)
    c = generate(500, 2000, seed=6, out_dir=tmp_path / "c", fmt=fmt)
    for x, y, z in zip(a.files, b.files, c.files, strict=True):
        assert Path(x).read_bytes() == Path(y).read_bytes()
        assert Path(x).read_bytes() != Path(z).read_bytes()


def test_every_record_is_synthetic_and_named_in_chinese(tmp_path: Path) -> None:
    generate(800, 3000, seed=2, out_dir=tmp_path, fmt="jsonl")
    nodes = [json.loads(line) for line in (tmp_path / "nodes.jsonl").read_text(encoding="utf-8").splitlines()]
    rels = [json.loads(line) for line in (tmp_path / "relationships.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(r["synthetic"] is True for r in nodes + rels)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in n["name"]) for n in nodes)
    types = Counter(n["type"] for n in nodes)
    for label in ("Cluster", "ChainLink", "Enterprise", "Platform", "Park", "FinancialInstitution", "Policy",
                  "Project", "Institution", "Region"):
        assert types[label] > 0, label


def test_the_ecosystem_has_clusters_with_chains_and_skewed_enterprises(store: GraphStore, tmp_path: Path) -> None:
    generate(3000, 15000, seed=3, out_dir=tmp_path)
    load_paths(store, [tmp_path])
    graph = to_networkx(store)
    clusters = [n for n, d in graph.nodes(data=True) if d["type"] == "Cluster"]
    assert all(any(k == "HAS_LINK" for _, _, k in graph.out_edges(c, keys=True)) for c in clusters)
    assert any(k == "UPSTREAM_OF" for _, _, k in graph.edges(keys=True))
    degrees = sorted((graph.degree(n) for n, d in graph.nodes(data=True) if d["type"] == "Enterprise"), reverse=True)
    median = degrees[len(degrees) // 2]
    assert degrees[0] >= 10 * max(1, median)  # a few hubs, many small firms
    leaders = [n for n, d in graph.nodes(data=True) if d.get("is_leader")]
    assert leaders and all(graph.nodes[n]["type"] == "Enterprise" for n in leaders)


def test_an_excel_workbook_is_written_and_loads(store: GraphStore, tmp_path: Path) -> None:
    report = generate(300, 1000, seed=4, out_dir=tmp_path, fmt="xlsx")
    assert [Path(f).name for f in report.files] == ["ecosystem.xlsx"]
    load_paths(store, [tmp_path])
    assert store.stats().relationships == 1000


def test_rows_are_streamed_not_held(tmp_path: Path) -> None:
    tracemalloc.start()
    generate(20_000, 80_000, seed=9, out_dir=tmp_path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 16 * 1024 * 1024  # a few integers per node, not the rows (the files are ~10 MB)
