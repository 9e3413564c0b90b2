"""Graphs for the API tests: the curated dataset, a small hand-made ecosystem whose every saved query
has rows (and node pairs joined by several relationship types), and an independent networkx view."""

from __future__ import annotations

import threading
import time
import warnings
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import networkx as nx
import uvicorn

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx
    from fastapi.testclient import TestClient

from graph.ontology import LIUXIN_IDS, Liuxin
from graph.store import GraphStore

SECTIONS = ["导语", "赋能高质量转型发展", "加速智慧城市发展", "大力发展新材料产业", "全力打造山西新装备引擎",
            "促进科技成果转化"]


def _n(label: str, id_: str, name: str, **props: Any) -> tuple[str, dict[str, Any]]:
    return label, {"id": id_, "name": name, "synthetic": True, **props}


SAMPLE_NODES = [
    _n("Source", "src-qiushi", "求是文章", title="全力打造一流创新生态", sections=["导语"]),
    _n("Source", "src-shanxi", "山西实践", title="山西实践", sections=SECTIONS),
    *[_n("Category", LIUXIN_IDS[c], c.value) for c in Liuxin],
    _n("Region", "shanxi", "山西省", level="省"),
    _n("Region", "taiyuan", "太原市", level="市", aliases=["并州"]),
    _n("Region", "yangtze-delta", "长三角", level="区域"),
    _n("Region", "gba", "粤港澳", level="区域"),
    _n("Cluster", "cl-semi", "半导体材料产业集群", liuxin=["新材料"], sources=["src-shanxi#3"],
       note="四大产业集群之一"),
    _n("Cluster", "cl-carbon", "碳基新材料产业集群", liuxin=["新材料"], sources=["src-shanxi#3"]),
    _n("Cluster", "cl-rail", "轨道交通装备产业集群", liuxin=["新装备"], sources=["src-shanxi#4"]),
    _n("ChainLink", "link-running-gear", "走行系统", position="零部件", sources=["src-shanxi#4"]),
    _n("ChainLink", "link-traction", "电传动系统", position="零部件", sources=["src-shanxi#4"]),
    _n("ChainLink", "link-maintenance", "运营维保", position="服务", sources=["src-shanxi#4"]),
    _n("Enterprise", "tisco", "太原钢铁（集团）有限公司", name_en="TISCO", aliases=["太钢", "太钢集团"],
       liuxin=["新材料"], region="太原市", is_leader=True, sources=["src-shanxi#3"], note="太钢集团"),
    _n("Enterprise", "ent-rail-a", "晋轨装备公司", region="太原市", liuxin=["新装备"]),
    _n("Enterprise", "ent-rail-b", "并州传动公司", region="大同市", liuxin=["新装备"]),
    _n("Enterprise", "ent-ohara", "O'Hara `quoted` {brace} // 公司", region="太原市"),
    _n("Institution", "inst-tyut", "太原理工大学", kind="高校", region="太原市"),
    _n("Platform", "plat-keylab", "新材料重点实验室", kind="重点实验室"),
    _n("Platform", "plat-pilot", "轨道交通中试基地", kind="中试基地"),
    _n("Platform", "plat-incubator", "综改区双创中心", kind="双创中心"),
    _n("Park", "park-zonggai", "山西转型综合改革示范区", aliases=["综改区"], kind="综改区", region="太原市"),
    _n("FinancialInstitution", "jinshang-bank", "晋商银行", kind="银行", liuxin=["新材料"],
       sources=["src-shanxi#3"], note="新材料产业合作银行"),
    _n("FinancialInstitution", "fund-materials", "新材料产业基金", kind="产业基金"),
    _n("Agency", "agency-miit", "山西省工业和信息化厅", aliases=["省工信厅"], level="省"),
    _n("Agency", "agency-sci", "山西省科学技术厅", aliases=["省科技厅"], level="省"),
    _n("Person", "person-yanlin", "闫林", role="新材料工业处处长", sources=["src-shanxi#3"]),
    _n("Project", "proj-silicon-steel", "年产16万吨高端冷轧取向硅钢", quantity=16.0, unit="万吨/年",
       liuxin=["新材料"], region="太原市", status="重点推进", sources=["src-shanxi#3"]),
    _n("Project", "proj-synbio", "山西合成生物产业生态园区", liuxin=["新材料"], region="太原市",
       status="重点推进", sources=["src-shanxi#3"]),
    _n("Policy", "pol-transfer", "山西省促进科技成果转化条例", year=2019, measures=["政府首购", "首台套"],
       liuxin=["新技术"], sources=["src-shanxi#5"]),
    _n("Policy", "pol-materials", "新材料支持政策", liuxin=["新材料"]),
    _n("Technology", "tech-bim", "BIM技术", liuxin=["新技术"], sources=["src-shanxi#2"]),
    _n("Infrastructure", "infra-5g", "5G网络", liuxin=["新基建"]),
    _n("Product", "labour-harbour", "劳动者港湾", quantity=410.0, unit="个", liuxin=["新业态"]),
]


def _r(start: str, type_: str, end: str, **props: Any) -> tuple[str, str, str, dict[str, Any]]:
    return start, type_, end, {"synthetic": True, **props}


SAMPLE_RELS = [
    _r("cl-rail", "HAS_LINK", "link-running-gear", sources=["src-shanxi#4"]),
    _r("cl-rail", "HAS_LINK", "link-traction", sources=["src-shanxi#4"]),
    _r("cl-rail", "HAS_LINK", "link-maintenance"),
    _r("link-running-gear", "UPSTREAM_OF", "link-maintenance"),
    _r("ent-rail-a", "OPERATES_IN", "link-running-gear"),
    _r("ent-rail-b", "OPERATES_IN", "link-traction"),
    _r("ent-rail-a", "MEMBER_OF", "cl-rail"),
    _r("ent-rail-b", "MEMBER_OF", "cl-rail"),
    _r("ent-rail-a", "LEADS", "cl-rail"),
    _r("ent-rail-a", "COLLABORATES_WITH", "ent-rail-b"),
    _r("ent-rail-b", "COLLABORATES_WITH", "inst-tyut"),
    _r("ent-ohara", "MEMBER_OF", "cl-rail"),
    _r("tisco", "MEMBER_OF", "cl-semi", sources=["src-shanxi#3"], note="骨干企业"),
    _r("tisco", "LEADS", "cl-semi", sources=["src-shanxi#3"]),
    _r("tisco", "PART_OF", "cl-carbon"),
    _r("tisco", "COLLABORATES_WITH", "inst-tyut"),
    _r("tisco", "LOCATED_IN", "taiyuan"),
    _r("proj-silicon-steel", "MEMBER_OF", "cl-semi"),
    _r("tisco", "LEADS", "proj-silicon-steel", sources=["src-shanxi#3"]),
    _r("proj-synbio", "HOSTED_BY", "park-zonggai", sources=["src-shanxi#3"]),
    _r("proj-synbio", "MEMBER_OF", "cl-carbon"),
    _r("inst-tyut", "MEMBER_OF", "cl-carbon"),
    _r("plat-keylab", "MEMBER_OF", "cl-semi"),
    _r("plat-keylab", "SUPPORTS", "cl-carbon"),
    _r("plat-keylab", "HOSTED_BY", "inst-tyut"),
    _r("plat-pilot", "SUPPORTS", "cl-rail"),
    _r("plat-incubator", "HOSTED_BY", "park-zonggai"),
    _r("plat-incubator", "SUPPORTS", "cl-carbon"),
    _r("jinshang-bank", "FINANCES", "cl-semi", role="合作银行", sources=["src-shanxi#3"]),
    _r("jinshang-bank", "FINANCES", "proj-silicon-steel"),
    _r("jinshang-bank", "COLLABORATES_WITH", "tisco"),
    _r("fund-materials", "FINANCES", "cl-carbon"),
    _r("fund-materials", "FINANCES", "tisco"),
    _r("agency-miit", "ISSUES", "pol-materials"),
    _r("agency-sci", "ISSUES", "pol-transfer", sources=["src-shanxi#5"]),
    _r("agency-miit", "GOVERNS", "pol-transfer"),
    _r("pol-materials", "SUPPORTS", "cl-semi"),
    _r("pol-materials", "SUPPORTS", "tisco"),
    _r("pol-transfer", "SUPPORTS", "inst-tyut"),
    _r("person-yanlin", "PART_OF", "agency-miit", role="处长", sources=["src-shanxi#3"]),
    _r("person-yanlin", "LEADS", "agency-miit"),
    _r("cl-semi", "TRANSFERS_FROM", "yangtze-delta", sources=["src-shanxi#3"]),
    _r("cl-semi", "TRANSFERS_FROM", "gba", sources=["src-shanxi#3"]),
    _r("park-zonggai", "USES", "tech-bim", sources=["src-shanxi#2"]),
    _r("park-zonggai", "USES", "infra-5g"),
    _r("cl-rail", "NEEDS", "tech-bim"),
    _r("park-zonggai", "LOCATED_IN", "taiyuan"),
    _r("taiyuan", "PART_OF", "shanxi"),
]


def write_graph(store: GraphStore, nodes: list[tuple[str, dict[str, Any]]],
                rels: list[tuple[str, str, str, dict[str, Any]]]) -> None:
    """Write nodes and relationships with plain batched Cypher, deriving CLASSIFIED_AS and MENTIONED_IN
    from ``liuxin`` and ``sources`` as the loaders do."""
    by_label: dict[str, list[dict]] = defaultdict(list)
    for label, props in nodes:
        by_label[label].append(props)
    for label, rows in by_label.items():
        store.write(f"UNWIND $rows AS row CREATE (n:Entity:{label}) SET n = row", {"rows": rows})
    derived = list(rels)
    for _, props in nodes:
        for category in props.get("liuxin", []):
            derived.append((props["id"], "CLASSIFIED_AS", LIUXIN_IDS[Liuxin(category)], {}))
        for citation in {c.partition("#")[0] for c in props.get("sources", [])}:
            derived.append((props["id"], "MENTIONED_IN", citation, {}))
    by_type: dict[str, list[dict]] = defaultdict(list)
    for start, type_, end, props in derived:
        by_type[type_].append({"s": start, "e": end, "p": props})
    for type_, rows in by_type.items():
        store.write(f"UNWIND $rows AS row MATCH (a:Entity {{id: row.s}}), (b:Entity {{id: row.e}}) "
                    f"CREATE (a)-[r:{type_}]->(b) SET r = row.p", {"rows": rows})


def load_test_graph(store: GraphStore) -> None:
    """The curated 六新 dataset, loaded the way `ecomap load --dataset shanxi` loads it."""
    from loaders import load_dataset

    load_dataset(store, "shanxi")


def to_nx(store: GraphStore) -> nx.MultiDiGraph:
    """The whole graph as a networkx MultiDiGraph, from the loaders' export (node attrs: ``type`` and the
    properties; edge key and ``type``: the relationship type)."""
    from loaders.export import to_networkx

    return to_networkx(store)


KEYS = {"viewer": "viewer-key-0001", "analyst": "analyst-key-0001", "editor": "editor-key-0001"}
"""API keys the tests configure, one per role."""


def keys_setting() -> str:
    return ",".join(f"{key}:{role}" for role, key in KEYS.items())


def auth(role: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[role]}


def fingerprint(store: GraphStore) -> tuple:
    """Everything in the graph, to compare before and after a request that must not write."""
    nodes = sorted((n.id, tuple(sorted(n.labels)), repr(sorted(n.properties.items())))
                   for (n,) in store.read("MATCH (n) RETURN n").rows)
    rels = sorted(map(repr, store.read("MATCH (a)-[r]->(b) RETURN a.id, type(r), b.id, properties(r)").rows))
    return nodes, rels


def undirected_neighbours(g: nx.MultiDiGraph, node: str) -> set[str]:
    return set(g.successors(node)) | set(g.predecessors(node))


def incident(g: nx.MultiDiGraph, node: str) -> list[tuple[str, str, str]]:
    """Every relationship touching ``node`` as (start, type, end)."""
    return [(u, k, v) for u, v, k in g.out_edges(node, keys=True)] + \
        [(u, k, v) for u, v, k in g.in_edges(node, keys=True) if u != node]


def make_client(store: GraphStore, data_dir, api_keys: str = "") -> TestClient:
    from app.main import create_app
    from app.settings import load_settings
    from tests.conftest import fresh_graph_name

    settings = load_settings(backend="embedded", data_dir=data_dir, graph=fresh_graph_name(), api_keys_raw=api_keys)
    return TestClient(create_app(settings, store=store))


@contextmanager
def serving(settings) -> Iterator[str]:
    """The API of ``settings`` on a free loopback port, in a thread; yields its base URL."""
    from app.main import create_app
    from graph.neo4j_local import free_ports

    port = free_ports(1)[0]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the API did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
