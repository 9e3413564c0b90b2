"""The chain report ("一图一清单"): its workbook and printable page say what the chain and targets API
say; on generated data the 招商目标 sheet ranks the planted best candidate first with evidence naming
real entities; names are escaped on the page and never become formulas in the workbook; and the saved
query chain_targets equals an independent networkx computation and the planted truth."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from app.i18n import text
from app.query_results import citation_path
from graph.store import GraphStore
from loaders import load_dataset
from tests.api_helpers import _n, _r, auth, keys_setting, make_client, to_nx, write_graph
from tests.conftest import filled_graph
from tests.test_saved_queries import check_chain_targets, run_chain_targets

RAIL = "cluster-rail-equipment"
STATUS_WORDS = {s: text(f"chain_report.status.{s}", "zh") for s in ("gap", "fragile", "ok")}


def _client(store: GraphStore, tmp: Path) -> TestClient:
    client = make_client(store, tmp, keys_setting())
    client.headers.update(auth("viewer"))
    return client


@pytest.fixture(scope="module")
def curated(engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with filled_graph(engine, load_dataset) as store:
        yield _client(store, tmp_path_factory.mktemp("curated"))


@pytest.fixture(scope="module")
def planted_site(planted, tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, nx.MultiDiGraph, dict]:
    store, truth = planted
    return _client(store, tmp_path_factory.mktemp("planted")), to_nx(store), truth


def workbook(client: TestClient, cluster: str) -> dict[str, list[dict[str, Any]]]:
    """sheet name → its rows as {header: value}."""
    from openpyxl import load_workbook

    r = client.get(f"/clusters/{cluster}/report.xlsx")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(r.content))
    sheets = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        sheets[sheet.title] = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    return sheets


def api(client: TestClient, cluster: str, answer: str) -> dict[str, Any]:
    r = client.get(f"/api/clusters/{cluster}/{answer}")
    assert r.status_code == 200, r.text
    return r.json()


def citations(cell: str | None) -> list[str]:
    return cell.split("; ") if cell else []


def check_sheets_match_the_api(client: TestClient, cluster: str) -> dict[str, list[dict[str, Any]]]:
    sheets = workbook(client, cluster)
    chain = api(client, cluster, "chain")
    assert list(sheets)[:6] == ["产业链", "环节企业", "缺口与薄弱环节", "招商目标", "支撑要素", "来源"]
    assert "说明" in sheets
    links = chain["links"]
    assert [(r["环节编号"], r["环节"], r["状态"], r["列"], r["本地企业数"], r["省外企业数"], citations(r["来源"]))
            for r in sheets["产业链"]] == \
        [(k["id"], k["name"], STATUS_WORDS[k["status"]], k["column"] + 1, len(k["local"]), len(k["outside"]),
          k["sources"]) for k in links]
    want_firms = [(k["id"], op["id"], "是" if op.get("leader") else "否", op["region"], op["sources"],
                   text(f"chain_report.locality.{op.get('locality', 'outside')}", "zh"))
                  for k in links for op in k["local"] + k["outside"]]
    assert [(r["环节编号"], r["企业编号"], r["链主"], r["地区"], citations(r["来源"]), r["本地/省外"])
            for r in sheets["环节企业"]] == want_firms
    assert [(r["环节编号"], r["状态"]) for r in sheets["缺口与薄弱环节"]] == \
        [(k["id"], STATUS_WORDS[k["status"]]) for k in links if k["status"] != "ok"]
    targets = api(client, cluster, "targets")
    want_targets = []
    for link in targets["links"]:
        want_targets += [(link["id"], i, c["id"], c["score"]) for i, c in enumerate(link["candidates"], 1)] or \
            [(link["id"], None, None, None)]
    assert [(r["环节编号"], r["排名"], r["候选企业编号"], r["得分"]) for r in sheets["招商目标"]] == want_targets
    # every citation of every sheet is listed once on 来源, with its page
    used = {c for name, rows in sheets.items() if name != "来源" for r in rows for c in citations(r.get("来源"))}
    listed = {r["引用"]: r for r in sheets["来源"]}
    assert set(listed) == used
    for citation, row in listed.items():
        assert row["网址"].endswith(citation_path(citation)) and row["网址"].startswith("http")
    return sheets


def test_the_rail_report_matches_the_chain_and_targets_api(curated: TestClient) -> None:
    sheets = check_sheets_match_the_api(curated, RAIL)
    assert len(sheets["产业链"]) == 7 and {r["状态"] for r in sheets["产业链"]} == {"缺口"}
    assert [r["列"] for r in sheets["产业链"]] == [1, 2, 3, 3, 4, 4, 5]
    assert sheets["环节企业"] == []
    # all gaps without candidates: one row per link saying which data would give some
    assert all(r["排名"] is None and "省外" in r["依据"] for r in sheets["招商目标"])
    roles = api(curated, RAIL, "chain")["roles"]
    support = [r for r in sheets["支撑要素"] if r["类别"] == "集群角色"]
    assert {r["角色或环节"] for r in support} == {r["label"] for r in roles}
    present = {(r["label"], e["entity"]) for r in roles for e in r["entities"]}
    assert {(r["角色或环节"], r["实体编号"]) for r in support if r["实体编号"]} == present


def test_the_planted_report_matches_the_api_and_ranks_the_planted_best_first(planted_site) -> None:
    client, g, truth = planted_site
    for cluster, planted_chain in truth["clusters"].items():
        sheets = check_sheets_match_the_api(client, cluster)
        assert {r["环节编号"] for r in sheets["缺口与薄弱环节"]} == {*planted_chain["gap"], *planted_chain["fragile"]}
        leaders = {r["企业编号"] for r in sheets["环节企业"] if r["链主"] == "是"}
        assert planted_chain["single_supplier"]["entity"] in leaders
        rows = sheets["招商目标"]
        for link, expected in planted_chain["candidates"].items():
            ranked = [r for r in rows if r["环节编号"] == link]
            assert ranked[0]["排名"] == 1 and ranked[0]["候选企业编号"] == expected["best"]
            ids = [r["候选企业编号"] for r in ranked]
            assert ids.index(expected["second"]) < ids.index(expected["third"])
            best = ranked[0]
            assert best["得分"] > 0 and best["依据"]
            assert citations(best["来源"]) == g.nodes[expected["best"]].get("sources", [])
            # the evidence text reads "A —关系→ B" with the names of real endpoints of stored relationships
            steps = re.findall(r"([^：，；（）]+) —([^→]+)→ ([^，；（）]+)", best["依据"])
            assert steps
            names = {d.get("name") for _, d in g.nodes(data=True)}
            rel_words = {text_of(k) for _, _, k in g.edges(keys=True)}
            for start, rel, end in steps:
                assert start.strip() in names and end.strip() in names and rel in rel_words, (start, rel, end)


def text_of(rel: str) -> str:
    from graph.ontology import REL_TYPE_BY_NAME

    return REL_TYPE_BY_NAME[rel].zh


def test_the_page_lists_every_link_in_order_with_its_status(planted_site) -> None:
    client, _, truth = planted_site
    cluster = next(iter(truth["clusters"]))
    r = client.get(f"/clusters/{cluster}/report")
    assert r.status_code == 200 and "default-src 'none'" in r.headers["content-security-policy"]
    chain = api(client, cluster, "chain")
    boxes = re.findall(r'class="link-box status-(\w+)" data-link="([^"]+)"', r.text)
    assert [(link, status) for status, link in boxes] == [(k["id"], k["status"]) for k in chain["links"]]
    for status, _ in boxes:
        assert f'data-i18n="chain_report.status.{status}">{STATUS_WORDS[status]}<' in r.text
    assert r.text.count('data-leader="true"') == sum(op["leader"] for k in chain["links"] for op in k["local"])
    assert "@media print" in r.text and "A4 landscape" in r.text
    for key in ("chain", "firms", "weak", "targets", "support", "sources"):
        assert f'id="table-{key}"' in r.text
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", r.text)


def test_an_unknown_cluster_is_a_chinese_404(curated: TestClient) -> None:
    page = curated.get("/clusters/no-such-cluster/report")
    assert page.status_code == 404 and "没有编号为 “no-such-cluster” 的产业集群" in page.text
    sheet = curated.get("/clusters/no-such-cluster/report.xlsx")
    assert sheet.status_code == 404
    error = sheet.json()["error"]
    assert error["code"] == "not_found" and "no-such-cluster" in error["details"]["message_zh"]


EVIL_LINK = '<img src=x onerror="alert(1)">零部件'
EVIL_FIRM = '=HYPERLINK("http://evil.example","点我")'


def _evil_graph(store: GraphStore) -> None:
    nodes = [_n("Source", "src-t", "测试来源", title="测试来源", sections=["导语", "第一节"]),
             _n("Region", "shanxi", "山西省", level="省"), _n("Region", "ty", "太原市", level="市"),
             _n("Region", "js", "江苏省", level="省"),
             _n("Cluster", "cl-evil", "<script>alert('c')</script>集群", sources=["src-t#1"]),
             _n("ChainLink", "link-evil", EVIL_LINK, position="零部件", sources=["src-t#1"]),
             _n("Enterprise", "ent-evil", EVIL_FIRM, region="太原市", is_leader=True, sources=["src-t#1"]),
             _n("Enterprise", "ent-out", "@SUM(1)外省公司", region="江苏省", sources=["src-t"])]
    rels = [_r("ty", "PART_OF", "shanxi"), _r("cl-evil", "HAS_LINK", "link-evil"),
            _r("ent-evil", "OPERATES_IN", "link-evil"), _r("ent-out", "OPERATES_IN", "link-evil")]
    write_graph(store, nodes, rels)


def test_malicious_names_are_escaped_and_never_formulas(engine, tmp_path: Path) -> None:
    with filled_graph(engine, _evil_graph) as store:
        client = _client(store, tmp_path)
        page = client.get("/clusters/cl-evil/report").text
        assert "<img src=x" not in page and "<script>alert" not in page
        assert "&lt;img src=x onerror=" in page and "&lt;script&gt;alert" in page
        sheets = workbook(client, "cl-evil")
        assert [r["环节"] for r in sheets["产业链"]] == [EVIL_LINK]
        assert {r["企业"] for r in sheets["环节企业"]} == {EVIL_FIRM, "@SUM(1)外省公司"}
        with zipfile.ZipFile(io.BytesIO(client.get("/clusters/cl-evil/report.xlsx").content)) as archive:
            xml = "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("xl/worksheets/"))
        assert "<f>" not in xml and "<f " not in xml
        sources = {r["引用"]: r for r in sheets["来源"]}
        assert sources["src-t#1"]["来源标题"] == "测试来源" and sources["src-t#1"]["章节"] == "第一节"


# -- the saved query chain_targets ----------------------------------------------------------------------
def test_the_saved_query_equals_networkx_and_the_planted_truth(planted_site) -> None:
    client, g, truth = planted_site
    check_chain_targets(client, g)
    for cluster, planted_chain in truth["clusters"].items():
        got = run_chain_targets(client, cluster=cluster, home=g.nodes[truth["home_region"]]["name"])
        assert {k for k, v in got.items() if v[0] == "缺口"} == set(planted_chain["gap"])
        assert {k for k, v in got.items() if v[0] == "薄弱"} == set(planted_chain["fragile"])
        for link, (_, _, outside) in got.items():
            assert outside == sorted(planted_chain["outside_operators"].get(link, []))


def test_the_saved_query_on_the_curated_rail_cluster(curated: TestClient) -> None:
    got = run_chain_targets(curated, cluster=RAIL)
    assert len(got) == 7 and all(v == ("缺口", 0, []) for v in got.values())
    assert run_chain_targets(curated, cluster=RAIL, home="没有这个省") == {}
