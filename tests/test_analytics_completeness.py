"""The 补链 report on planted ecosystems: roles present and absent, the score and its breakdown,
chain links with a planted gap and a planted single supplier; rules changed as data only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from graph.analytics import RulesError, UnknownCluster, completeness, link_status, load_rules, parse_rules
from graph.analytics.completeness import DEFAULT_RULES_PATH
from graph.analytics.planted import GraphSpec, write_spec
from graph.store import GraphStore


def _chain() -> GraphSpec:
    """Cluster ``rail`` with a leader, a key lab hosted by a member, a bank, a policy and three
    links: ``bogie`` with two firms, ``traction`` with one (fragile), ``maintenance`` with none (gap).
    Cluster ``metals`` is part of industry ``materials``, whose partner bank serves it."""
    s = GraphSpec()
    s.node("rail", "Cluster", name="轨道交通装备")
    s.node("lead", "Enterprise", name="链主企业", is_leader=True)
    s.node("f1", "Enterprise", name="配套一")
    s.node("f2", "Enterprise", name="配套二")
    s.node("outsider", "Enterprise", name="外地企业", is_leader=True)  # a leader, but of no cluster
    s.node("lab", "Platform", name="实验室", kind="重点实验室")
    s.node("pilot", "Platform", name="中试", kind="中试基地")
    s.node("bank", "FinancialInstitution", name="银行", kind="银行")
    s.node("policy", "Policy", name="条例")
    for link in ("bogie", "traction", "maintenance"):
        s.node(link, "ChainLink", name=link)
        s.edge("rail", "HAS_LINK", link)
    for firm in ("lead", "f1", "f2"):
        s.edge(firm, "MEMBER_OF", "rail")
    s.edge("f1", "OPERATES_IN", "bogie")
    s.edge("f2", "OPERATES_IN", "bogie")
    s.edge("lead", "OPERATES_IN", "traction")
    s.edge("lab", "HOSTED_BY", "lead")  # a key lab of the cluster through its host
    s.edge("pilot", "SUPPORTS", "lead")  # supports a firm, not the cluster: does not count
    s.edge("bank", "FINANCES", "rail")
    s.edge("policy", "SUPPORTS", "rail")
    s.node("materials", "Cluster", name="新材料产业")
    s.node("metals", "Cluster", name="特种金属材料")
    s.node("jinshang", "FinancialInstitution", name="晋商银行", kind="银行")
    s.edge("metals", "PART_OF", "materials")
    s.edge("jinshang", "FINANCES", "materials")
    return s


def _by_role(cluster: dict) -> dict[str, dict]:
    return {role["role"]: role for role in cluster["roles"]}


def test_roles_score_and_planted_gap_and_single_supplier(store: GraphStore) -> None:
    write_spec(store, _chain())
    report = {c["id"]: c for c in completeness(store)}
    assert list(report) == ["materials", "metals", "rail"]
    rail = report["rail"]
    roles = _by_role(rail)
    assert roles["leader"]["present"] and roles["leader"]["entities"] == ["lead"]
    assert roles["key_lab"]["entities"] == ["lab"]
    assert roles["finance"]["entities"] == ["bank"]
    assert roles["policy"]["entities"] == ["policy"]
    absent = {"engineering_centre", "pilot_base", "incubator", "tech_transfer", "talent"}
    assert {r for r, v in roles.items() if not v["present"]} == absent
    assert all(roles[r]["entities"] == [] for r in absent)
    rules = load_rules()
    present_weight = sum(r.weight for r in rules.roles if r.role not in absent)
    assert rail["score"] == pytest.approx(present_weight / rules.total_weight)
    assert rail["score"] == pytest.approx(5 / 10)  # leader counts 2 of the 10
    assert rail["links"] == [
        {"id": "bogie", "name": "bogie", "enterprises": ["f1", "f2"], "status": "ok"},
        {"id": "maintenance", "name": "maintenance", "enterprises": [], "status": "gap"},
        {"id": "traction", "name": "traction", "enterprises": ["lead"], "status": "fragile"},
    ]
    assert set(rail) == {"id", "name", "score", "roles", "links"}
    assert all(set(r) == {"role", "label", "weight", "present", "entities"} for r in rail["roles"])


def test_a_part_inherits_the_roles_of_its_parent_cluster(store: GraphStore) -> None:
    write_spec(store, _chain())
    report = {c["id"]: c for c in completeness(store, clusters=["metals", "materials"])}
    assert _by_role(report["materials"])["finance"]["entities"] == ["jinshang"]
    assert _by_role(report["metals"])["finance"]["entities"] == ["jinshang"]
    assert report["metals"]["score"] == pytest.approx(0.1)
    assert report["metals"]["links"] == []


def test_unknown_cluster_is_reported(store: GraphStore) -> None:
    write_spec(store, _chain())
    with pytest.raises(UnknownCluster) as info:
        completeness(store, clusters=["rail", "atlantis", "lead"])
    assert info.value.ids == ["atlantis", "lead"]  # an enterprise is not a cluster


def test_a_changed_rules_file_changes_the_report_without_code(store: GraphStore, tmp_path: Path) -> None:
    write_spec(store, _chain())
    data = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    # the planning office: pilot bases count when they support any member firm; no inheritance;
    # a link needs three firms to be safe; only two roles
    data["roles"] = [
        {"role": "leader", "label": "链主", "weight": 3,
         "match": [[{"rel": "MEMBER_OF", "direction": "in", "type": "Enterprise", "where": {"is_leader": True}}]]},
        {"role": "pilot_base", "label": "中试基地", "weight": 1,
         "match": [[{"rel": "MEMBER_OF", "direction": "in", "type": "Enterprise"},
                    {"rel": "SUPPORTS", "direction": "in", "type": "Platform", "where": {"kind": ["中试基地"]}}]]},
    ]
    data["scope"] = {"inherit": [], "depth": 0}
    data["links"]["fragile_max"] = 2
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    report = {c["id"]: c for c in completeness(store, load_rules(path))}
    rail = report["rail"]
    assert [(r["role"], r["present"], r["entities"]) for r in rail["roles"]] == [
        ("leader", True, ["lead"]), ("pilot_base", True, ["pilot"])]
    assert rail["score"] == 1.0
    assert [link["status"] for link in rail["links"]] == ["fragile", "gap", "fragile"]
    assert report["metals"]["score"] == 0.0


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["roles"][0].pop("match"), "missing match"),
    (lambda d: d["roles"][0]["match"][0][0].update(rel="OWNS"), "unknown relationship type 'OWNS'"),
    (lambda d: d["roles"][0]["match"][0][0].update(type="Company"), "unknown node type 'Company'"),
    (lambda d: d["roles"][0]["match"][0][0].update(direction="out"), "allows no (Cluster)-[:LEADS]->(Enterprise)"),
    (lambda d: d["roles"][1]["match"][0][0].update(where={"colour": "red"}), "property 'colour' is not declared"),
    (lambda d: d["roles"][0].update(weight=-1), "weight -1 must be a number"),
    (lambda d: d["roles"][1].update(role="leader"), "role 'leader' appears twice"),
    (lambda d: d["roles"][1].update(role="重点实验室"), "must be an ASCII name"),
    (lambda d: d["links"].update(fragile_max="one"), "links.fragile_max"),
    (lambda d: d.update(extra=1), "unknown key(s) extra"),
])
def test_invalid_rules_are_rejected_with_the_entry_and_the_reason(change, message: str) -> None:
    data = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(RulesError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        parse_rules(data)


def test_unreadable_rules_files(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("roles: [", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid YAML"):
        load_rules(bad)


def test_link_status_thresholds() -> None:
    assert [link_status(n) for n in range(4)] == ["gap", "fragile", "ok", "ok"]
    assert [link_status(n, fragile_max=2) for n in range(4)] == ["gap", "fragile", "fragile", "ok"]
