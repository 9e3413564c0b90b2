"""``ecomap chain|targets|whatif|report``: the JSON they print is the API's answer, errors are clear in
Chinese and English with a non-zero exit, and removing the planted single supplier turns its link into a gap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from tests.api_helpers import auth, keys_setting, make_client


@pytest.fixture(scope="module")
def client(planted, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    c = make_client(planted[0], tmp_path_factory.mktemp("api"), keys_setting())
    c.headers.update(auth("viewer"))
    return c


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, engine, planted) -> dict[str, Any]:
    for name, value in engine.env_for(planted[0]).items():
        monkeypatch.setenv(name, value)
    return planted[1]


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "300"})


def as_json(*args: str) -> dict[str, Any]:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_chain_and_targets_json_equal_the_api(env, client: TestClient) -> None:
    for cluster in env["clusters"]:
        assert as_json("chain", cluster) == client.get(f"/api/clusters/{cluster}/chain").json()
        assert as_json("targets", cluster) == client.get(f"/api/clusters/{cluster}/targets").json()
        limited = as_json("targets", cluster, "--limit", "1")
        assert all(len(link["candidates"]) <= 1 for link in limited["links"])
        assert any(link["candidates"] for link in limited["links"])


def test_the_tables_name_every_link_and_status(env) -> None:
    cluster, planted = next(iter(env["clusters"].items()))
    result = invoke("chain", cluster)
    assert result.exit_code == 0, result.output
    for link in planted["links"]:
        assert link in result.output
    assert "缺口 gap" in result.output and "薄弱 fragile" in result.output and "★链主" in result.output
    result = invoke("targets", cluster)
    best = next(iter(planted["candidates"].values()))["best"]
    assert result.exit_code == 0 and best in result.output


def test_whatif_removing_the_single_supplier_makes_its_link_a_gap(env, client: TestClient) -> None:
    cluster, planted = next(iter(env["clusters"].items()))
    supplier = planted["single_supplier"]
    body = as_json("whatif", cluster, "--remove", supplier["entity"])
    assert body["became_gap"] == [supplier["link"]]
    api = client.post(f"/api/clusters/{cluster}/whatif", json={"remove": [supplier["entity"]]}).json()
    assert body == api
    gap = planted["gap"][0]
    added = as_json("whatif", cluster, "--add", f"{gap}:新企业:leader")
    assert added["added"][0]["name"] == "新企业" and added["added"][0]["leader"] is True
    assert gap in added["became_fragile"]
    result = invoke("whatif", cluster, "--remove", supplier["entity"])
    assert result.exit_code == 0 and supplier["link"] in result.output


@pytest.mark.parametrize("args", [("chain", "no-such-cluster"), ("targets", "no-such-cluster"),
                                  ("whatif", "no-such-cluster", "--remove", "x"),
                                  ("report", "no-such-cluster", "--out", "r.xlsx")])
def test_an_unknown_cluster_fails_in_chinese_and_english(env, args, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code != 0
    assert "没有编号为 “no-such-cluster” 的产业集群" in result.output and "No industry cluster" in result.output
    assert not (tmp_path / "r.xlsx").exists()


@pytest.mark.parametrize("add", ["no-colon", ":名称", "link:", "link:名称:boss"])
def test_a_bad_add_fails_with_the_form_it_takes(env, add: str) -> None:
    cluster = next(iter(env["clusters"]))
    result = invoke("whatif", cluster, "--add", add)
    assert result.exit_code == 2 and "环节编号:名称[:leader]" in result.output and "LINK:NAME[:leader]" in result.output


def test_an_unknown_link_of_an_addition_is_refused(env) -> None:
    cluster = next(iter(env["clusters"]))
    result = invoke("whatif", cluster, "--add", "no-such-link:新企业")
    assert result.exit_code != 0 and "no-such-link" in result.output


def test_report_writes_the_workbook_and_the_page(env, client: TestClient, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    cluster, planted = next(iter(env["clusters"].items()))
    xlsx, html = tmp_path / "r.xlsx", tmp_path / "r.html"
    assert invoke("report", cluster, "--out", str(xlsx)).exit_code == 0
    book = load_workbook(xlsx)
    links = [row[2] for row in book["产业链"].iter_rows(min_row=2, values_only=True)]
    assert links == planted["links"]
    assert invoke("report", cluster, "--out", str(html)).exit_code == 0
    page = html.read_text(encoding="utf-8")
    assert [link for link in planted["links"] if f'data-link="{link}"' in page] == planted["links"]
    assert 'http-equiv="Content-Security-Policy"' in page and "<script src=" not in page
    bad = invoke("report", cluster, "--out", str(tmp_path / "r.pdf"))
    assert bad.exit_code == 2 and ".xlsx" in bad.output
