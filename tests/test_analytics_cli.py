"""``ecomap analyze`` runs every step, prints a summary (or JSON), writes results back on request and
prints the 补链 report with ``--gaps``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from graph.analytics import completeness
from graph.analytics.planted import planted_clusters, write_spec
from graph.store import GraphStore
from tests.test_analytics_completeness import _statuses


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, engine, store: GraphStore) -> GraphStore:
    for name, value in engine.env_for(store).items():
        monkeypatch.setenv(name, value)
    write_spec(store, planted_clusters(3, 10, seed=2))
    return store


def test_analyze_prints_a_summary_table(env: GraphStore) -> None:
    result = CliRunner().invoke(cli, ["analyze"])
    assert result.exit_code == 0, result.output
    for label in ("projection from the store", "communities", "completeness (补链)", "total"):
        assert label in result.output
    assert env.read("MATCH (n:Entity) WHERE n.importance IS NOT NULL RETURN count(n)").scalar() == 0


def test_analyze_write_back_as_json(env: GraphStore) -> None:
    result = CliRunner().invoke(cli, ["analyze", "--write-back", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["written"] == 33
    assert set(body["seconds"]) == set(body["summary"]) >= {"projection", "importance", "gaps"}
    assert body["summary"]["communities"].startswith("3 ")
    assert env.read("MATCH (n:Entity) WHERE n.importance IS NOT NULL AND n.community IS NOT NULL "
                    "RETURN count(n)").scalar() == 33


def test_analyze_rejects_a_bad_rules_file_and_engine(env: GraphStore, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("roles: []\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["analyze", "--rules", str(rules)])
    assert result.exit_code == 2 and "non-empty list of roles" in result.output
    result = CliRunner().invoke(cli, ["analyze", "--engine", "graph-tool"])
    assert result.exit_code == 2 and "--engine" in result.output


def test_analyze_gaps_prints_each_cluster_with_the_status_of_each_role(env: GraphStore) -> None:
    write_spec(env, _statuses())
    result = CliRunner().invoke(cli, ["analyze", "--gaps"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    steel_row = next(line for line in result.output.splitlines() if "特钢集群" in line)
    # leader, key lab, engineering centre, pilot base, incubator, finance, policy, tech transfer, talent
    assert [cell.strip() for cell in steel_row.split("│")[3:12]] == [
        "✓ 已有", "✓ 已有", "? 来源未记载", "✕ 来源记载缺少", "? 来源未记载", "✓ 已有", "✓ 已有",
        "? 来源未记载", "✓ 已有"]
    assert "not a judgement of the cluster's real strength" in result.output.replace("\n", " ")
    assert "recorded absent" in result.output  # the summary counts the statuses


def test_analyze_gaps_as_json_is_the_report(env: GraphStore) -> None:
    write_spec(env, _statuses())
    result = CliRunner().invoke(cli, ["analyze", "--gaps", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["gaps"] == completeness(env)
    statuses = [r["status"] for c in body["gaps"] for r in c["roles"]]
    assert body["summary"]["gaps"].startswith(f"{len(body['gaps'])} clusters")
    assert f"{statuses.count('recorded_absent')} recorded absent" in body["summary"]["gaps"]
