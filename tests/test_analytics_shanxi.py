"""The 补链 report on the curated 六新 dataset matches what the source article states.

The expected table below was worked out from ``sources/liuxin-ecosystem-article.txt`` alone, not
from the dataset files. The article names these clusters:

- §0 (Qiushi lead): 战略性新兴产业集群, to get innovation-ecosystem subsystems. Platforms (重点实验室,
  创新团队, 中试基地, 双创中心…), research bodies, leading teams and enterprises are named only as
  kinds the province should build or attract in general — none is stated for the cluster.
- §3 (新材料): the 新材料产业 and its four clusters 半导体材料, 碳基新材料, 生物基新材料, 特种金属材料.
  Stated: 晋商银行 is the industry's partner bank (finance); the seven 十四五 tasks for the industry —
  among them building the four clusters, chain-extending investment attraction and applying
  preferential policies — are its policy support. Not stated: a leading enterprise (太钢 appears
  only as the owner of a project; 骨干企业 are unnamed), any lab, centre, pilot base, incubator or
  transfer body of the industry, any named talent (talent is a task, not a person or team), any
  chain link. The four clusters are parts of the industry, so its bank and policy serve them.
- §4 (新装备): the 轨道交通装备产业 with seven chain links (铁路车辆, 城轨车辆, 走行系统, 电传动系统,
  核心基础零部件, 关键基础材料, 运营维保). No enterprise, platform, bank, policy or talent is stated
  for it, and no enterprise for any link: every link is a gap.
"""

from __future__ import annotations

import pytest

from graph.analytics import completeness, load_rules
from graph.store import GraphStore

loaders = pytest.importorskip("loaders", reason="the loaders package is not available")

ROLES = ("leader", "key_lab", "engineering_centre", "pilot_base", "incubator", "finance", "policy",
         "tech_transfer", "talent")
NEW_MATERIAL = {"finance", "policy"}
RAIL_LINKS = {"铁路车辆", "城轨车辆", "走行系统", "电传动系统", "核心基础零部件", "关键基础材料", "运营维保"}

# cluster name as the article gives it → (roles present, chain links and their status)
EXPECTED: dict[str, tuple[set[str], dict[str, str]]] = {
    "战略性新兴产业集群": (set(), {}),
    "新材料产业": (NEW_MATERIAL, {}),
    "半导体材料": (NEW_MATERIAL, {}),
    "碳基新材料": (NEW_MATERIAL, {}),
    "生物基新材料": (NEW_MATERIAL, {}),
    "特种金属材料": (NEW_MATERIAL, {}),
    "轨道交通装备": (set(), dict.fromkeys(RAIL_LINKS, "gap")),
}


@pytest.fixture
def shanxi(store: GraphStore) -> GraphStore:
    loaders.load_dataset(store, "shanxi")
    return store


def _names(store: GraphStore, ids: list[str]) -> set[str]:
    return {row[0] for row in store.read("MATCH (n:Entity) WHERE n.id IN $ids RETURN n.name", {"ids": ids}).rows}


def _expected_for(name: str) -> tuple[set[str], dict[str, str]]:
    matches = [key for key in EXPECTED if name.startswith(key)]
    assert len(matches) == 1, f"the report has cluster {name!r}, which the expected table does not cover"
    return EXPECTED[matches[0]]


def test_every_cluster_the_source_names_is_reported_once(shanxi: GraphStore) -> None:
    names = [cluster["name"] for cluster in completeness(shanxi)]
    assert sorted(next((key for key in EXPECTED if name.startswith(key)), name) for name in names) == sorted(EXPECTED)


def test_roles_links_and_scores_match_the_source(shanxi: GraphStore) -> None:
    rules = load_rules()
    assert tuple(r.role for r in rules.roles) == ROLES
    weight = {r.role: r.weight for r in rules.roles}
    for cluster in completeness(shanxi):
        present, links = _expected_for(cluster["name"])
        got = {role["role"] for role in cluster["roles"] if role["present"]}
        assert got == present, f"{cluster['name']}: roles present {sorted(got)}, the source states {sorted(present)}"
        assert cluster["score"] == pytest.approx(sum(weight[r] for r in present) / rules.total_weight)
        assert {link["name"]: link["status"] for link in cluster["links"]} == links, cluster["name"]
        assert all(link["enterprises"] == [] for link in cluster["links"])


def test_the_entities_behind_the_present_roles_are_the_ones_the_source_names(shanxi: GraphStore) -> None:
    for cluster in completeness(shanxi):
        roles = {role["role"]: role for role in cluster["roles"]}
        if roles["finance"]["present"]:
            assert "晋商银行" in _names(shanxi, roles["finance"]["entities"])
        if roles["policy"]["present"]:
            policies = _names(shanxi, roles["policy"]["entities"])
            assert policies and all("新材料" in name for name in policies)
