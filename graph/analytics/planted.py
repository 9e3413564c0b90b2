"""Ecosystem graphs with known structure, for checking the analytics and for benchmarks:
planted clusters joined by a known bridge, and a random ecosystem of any size; plus a batched
writer that puts such a graph into a store.

Every generated node is flagged ``synthetic: true``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from graph.ontology import NODE_TYPE_BY_LABEL, REL_TYPE_BY_NAME
from graph.store import GraphStore


@dataclass
class GraphSpec:
    """Nodes as ``{"id", "type", **properties}`` and relationships as ``(start, type, end)``."""

    nodes: list[dict] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)

    def node(self, node_id: str, node_type: str, **props) -> str:
        self.nodes.append({"id": node_id, "type": node_type, "name": props.pop("name", node_id),
                           "synthetic": True, **props})
        return node_id

    def edge(self, start: str, rel_type: str, end: str) -> None:
        self.edges.append((start, rel_type, end))


def planted_clusters(clusters: int = 3, members: int = 20, *, p_in: float = 0.5, seed: int = 0) -> GraphSpec:
    """``clusters`` clusters of ``members`` enterprises each, densely collaborating inside their
    cluster, and one known bridge: enterprise ``c0-e0`` collaborates with ``c1-e0``, the only
    relationship between any two clusters' members.

    Examples
    --------
    >>> spec = planted_clusters(2, 5, seed=1)
    >>> ("c0-e0", "COLLABORATES_WITH", "c1-e0") in spec.edges
    True
    """
    rnd = random.Random(seed)
    spec = GraphSpec()
    for c in range(clusters):
        cluster = spec.node(f"c{c}", "Cluster", name=f"集群{c}")
        firms = [spec.node(f"c{c}-e{i}", "Enterprise", name=f"企业{c}-{i}") for i in range(members)]
        for firm in firms:
            spec.edge(firm, "MEMBER_OF", cluster)
        # a path through all members keeps each cluster connected; the rest is random
        for a, b in zip(firms, firms[1:], strict=False):
            spec.edge(a, "COLLABORATES_WITH", b)
        for i in range(members):
            for j in range(i + 2, members):
                if rnd.random() < p_in:
                    spec.edge(firms[i], "COLLABORATES_WITH", firms[j])
    if clusters > 1:
        spec.edge("c0-e0", "COLLABORATES_WITH", "c1-e0")
    return spec


_MIX = (("Enterprise", 0.70), ("Platform", 0.08), ("Institution", 0.05), ("Person", 0.05),
        ("Project", 0.04), ("FinancialInstitution", 0.02), ("Policy", 0.02), ("Park", 0.01),
        ("Technology", 0.02), ("Product", 0.01))
_PLATFORM_KINDS = ("重点实验室", "工程技术研究中心", "中试基地", "双创中心", "孵化器", "技术转移机构", "创新团队",
                   "企业技术中心")
_SURNAMES = "晋太阳长临运忻吕朔大晋中"
_WORDS = ("新材料", "装备", "半导体", "碳基", "生物", "金属", "轨道", "智能", "数字", "能源", "化工", "信息")


def random_ecosystem(nodes: int, edges: int, *, seed: int = 0, cluster_size: int = 2_000,
                     links_per_cluster: int = 6) -> GraphSpec:
    """A random ecosystem of about ``nodes`` nodes and ``edges`` relationships: clusters with
    chain links, enterprises (members of a cluster, operating in its links, collaborating with
    a skewed degree mostly inside the cluster), platforms hosted by enterprises, banks financing
    clusters and enterprises, policies supporting clusters, parks, people, projects.

    Examples
    --------
    >>> spec = random_ecosystem(1_000, 4_000, seed=1)
    >>> len(spec.nodes), len(spec.edges)
    (1000, 4000)
    """
    rnd = random.Random(seed)
    spec = GraphSpec()
    n_clusters = max(1, nodes // cluster_size)
    clusters = [spec.node(f"cl{c}", "Cluster", name=f"{rnd.choice(_WORDS)}产业集群{c}") for c in range(n_clusters)]
    links = {c: [spec.node(f"cl{c}-l{i}", "ChainLink", name=f"环节{c}-{i}") for i in range(links_per_cluster)]
             for c in range(n_clusters)}
    for c, cluster in enumerate(clusters):
        for link in links[c]:
            spec.edge(cluster, "HAS_LINK", link)
    remaining = nodes - len(spec.nodes)
    by_type: dict[str, list[str]] = {}
    home: dict[str, int] = {}
    weights = [w for _, w in _MIX]
    for i in range(remaining):
        node_type = rnd.choices([t for t, _ in _MIX], weights)[0]
        props = {}
        if node_type == "Platform":
            props["kind"] = rnd.choice(_PLATFORM_KINDS)
        elif node_type == "FinancialInstitution":
            props["kind"] = rnd.choice(("银行", "产业基金", "风险投资"))
        elif node_type == "Enterprise":
            props["is_leader"] = rnd.random() < 0.01
        node_id = spec.node(f"{node_type[:3].lower()}{i}", node_type,
                            name=f"{rnd.choice(_SURNAMES)}{rnd.choice(_WORDS)}{i}", **props)
        by_type.setdefault(node_type, []).append(node_id)
        home[node_id] = rnd.randrange(n_clusters)
    seen: set[tuple[str, str, str]] = set()

    def add(start: str, rel: str, end: str) -> None:
        key = (start, rel, end)
        if start != end and key not in seen and len(spec.edges) < edges:
            seen.add(key)
            spec.edge(*key)

    firms = by_type.get("Enterprise", [])
    members: dict[int, list[str]] = {}
    for firm in firms:
        members.setdefault(home[firm], []).append(firm)
        add(firm, "MEMBER_OF", clusters[home[firm]])
        add(firm, "OPERATES_IN", rnd.choice(links[home[firm]]))
    for platform in by_type.get("Platform", []):
        hosts = members.get(home[platform])
        if hosts:
            add(platform, "HOSTED_BY", rnd.choice(hosts))
        else:
            add(platform, "MEMBER_OF", clusters[home[platform]])
    for bank in by_type.get("FinancialInstitution", []):
        add(bank, "FINANCES", clusters[home[bank]])
    for policy in by_type.get("Policy", []):
        add(policy, "SUPPORTS", clusters[home[policy]])
    others = [n for t in ("Institution", "Project", "Park") for n in by_type.get(t, [])]
    for node in others:
        add(node, "MEMBER_OF", clusters[home[node]])
    for person in by_type.get("Person", []):
        add(person, "PART_OF", clusters[home[person]])
    # skewed collaboration: endpoints drawn from a list that grows with each endpoint used
    pool = list(firms) or [n["id"] for n in spec.nodes]
    attempts = 0
    while len(spec.edges) < edges and attempts < 20 * edges:
        attempts += 1
        a = rnd.choice(pool)
        same = members.get(home.get(a, 0)) or pool
        b = rnd.choice(pool if rnd.random() < 0.1 else same)
        before = len(spec.edges)
        add(a, "COLLABORATES_WITH", b)
        if len(spec.edges) > before:
            pool += (a, b)
    return spec


def write_spec(store: GraphStore, spec: GraphSpec, *, batch_size: int = 10_000,
               on_batch: Callable[[int], None] | None = None) -> None:
    """Create the nodes and relationships of ``spec`` with batched ``UNWIND`` writes.

    Relationship types and labels are checked against the ontology before they are written.
    """
    by_type: dict[str, list[dict]] = {}
    for node in spec.nodes:
        props = {k: v for k, v in node.items() if k != "type"}
        by_type.setdefault(node["type"], []).append(props)
    for label, rows in by_type.items():
        if label not in NODE_TYPE_BY_LABEL:
            raise ValueError(f"unknown node type {label!r}")
        # The label was checked against the ontology just above.
        store.write_batches(f"UNWIND $rows AS row CREATE (n:Entity:{label}) SET n = row", rows,
                            batch_size=batch_size, on_batch=lambda n, _: on_batch(n) if on_batch else None)
    by_rel: dict[str, list[dict]] = {}
    for start, rel, end in spec.edges:
        by_rel.setdefault(rel, []).append({"a": start, "b": end})
    for rel, rows in by_rel.items():
        if rel not in REL_TYPE_BY_NAME:
            raise ValueError(f"unknown relationship type {rel!r}")
        store.write_batches(
            f"UNWIND $rows AS row MATCH (a:Entity {{id: row.a}}) MATCH (b:Entity {{id: row.b}}) "
            f"CREATE (a)-[:{rel}]->(b)", rows, batch_size=batch_size,
            on_batch=lambda n, _: on_batch(n) if on_batch else None)
