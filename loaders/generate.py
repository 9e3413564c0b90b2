"""A synthetic innovation ecosystem for demos, tests and benchmarks — realistic in shape, never
mistaken for curated data: every record carries ``synthetic: true``.

The shape: a province of cities and counties; industry clusters, each with a chain of links
(material → parts → core parts → manufacturing → integration → services); enterprises in clusters
and chain links with a skewed size (a few very connected leaders, many small firms); universities,
institutes and innovation platforms hosted by them, parks governed by agencies, banks and funds
financing firms and projects, policies supporting them, people leading organisations, projects
with figures and units. Chinese names throughout. Only relationships the ontology allows, at most
one of a type between two nodes.

Each industry chain with at least three links carries a planted answer for the chain analysis:
one gap link no local enterprise operates in, one fragile link only the cluster's leader operates
in, covered links with at least two local operators, and for the gap and fragile links three
enterprises from outside the province operating in them — the best of them collaborates with the
leader, uses the technology the cluster needs and sits in the region the cluster attracts industry
from; the second only sits there; the third sits elsewhere. What was planted is written to
``planted.truth`` (JSON) beside the data; its suffix keeps the loader from reading it as records.
"Local" means a ``region`` inside 山西省; the outside regions are the last few Regions.

Rows are written as they are made (``csv``, ``jsonl`` or ``xlsx``); only a few integers per node
are kept, so a million nodes fit in memory comfortably. The same ``seed`` gives the same files.

``edges`` counts the relationships of the loaded graph, including the ``CLASSIFIED_AS`` edges the
loader derives from ``liuxin`` (about a tenth of them). The six Category nodes are not written:
the loader creates them.
"""

from __future__ import annotations

import csv
import json
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from graph.ontology import (
    FINANCE_KINDS,
    ID_PATTERN,
    INSTITUTION_KINDS,
    PARK_KINDS,
    PLATFORM_KINDS,
    PRODUCT_KINDS,
    REL_TYPE_BY_NAME,
    Liuxin,
)
from loaders.cells import format_cell, format_list, neutralise

GENERATE_FORMATS = ("csv", "jsonl", "xlsx")
XLSX_MAX_ROWS = 1_048_575

SHARES: dict[str, float] = {
    "Region": 1.0, "Park": 1.5, "Cluster": 0.5, "ChainLink": 3.0, "Enterprise": 55.0, "Institution": 3.0,
    "Platform": 8.0, "FinancialInstitution": 2.0, "Agency": 2.0, "Person": 8.0, "Project": 8.0, "Policy": 2.0,
    "Technology": 3.0, "Infrastructure": 1.0, "Product": 4.0,
}
"""Share of each type among the generated nodes (per cent)."""
PREFIX = {"Region": "reg", "Park": "park", "Cluster": "clu", "ChainLink": "link", "Enterprise": "ent",
          "Institution": "inst", "Platform": "plat", "FinancialInstitution": "fin", "Agency": "agy",
          "Person": "per", "Project": "proj", "Policy": "pol", "Technology": "tech", "Infrastructure": "infra",
          "Product": "prod"}
DERIVED_SHARE = 0.1
"""At most this share of the edges are CLASSIFIED_AS edges derived from ``liuxin``."""

OUTSIDE_REGIONS = ("江苏省", "浙江省", "广东省", "上海市", "北京市", "天津市", "山东省", "河南省")
"""Names of the Regions outside the province (level 省), taken from the end of the Region range."""
TRUTH_FILE = "planted.truth"
PLANT_MIN_LINKS = 3
"""A cluster's chain needs this many links for a gap, a fragile and a covered link."""
CANDIDATES = ("best", "second", "third")
CITIES = ("太原", "大同", "朔州", "忻州", "阳泉", "吕梁", "晋中", "长治", "晋城", "临汾", "运城")
SYLLABLES = "安宁平阳和兴泰丰隆昌盛华东西南北清源河山汾沁潞翼襄蒲浮灵石介孝文古城新乡"
BRANDS = "华晋泰鑫恒瑞宏德源达盛通科创能安远博智中汇金坤宇航天瀚辰晟昊嘉"
INDUSTRIES = ("新材料", "特钢", "碳基材料", "半导体材料", "装备制造", "轨道交通装备", "电子信息", "生物医药", "新能源",
              "氢能", "光伏", "数字科技", "煤机装备", "合成生物", "节能环保")
LINKS = (("原材料", "材料"), ("零部件", "零部件"), ("核心部件", "零部件"), ("整机制造", "整机"),
         ("系统集成", "集成"), ("检测认证", "服务"), ("运维服务", "服务"))
SUFFIXES = ("有限公司", "股份有限公司", "集团有限公司", "科技有限公司")
DEPARTMENTS = ("工业和信息化局", "科学技术局", "发展和改革委员会", "商务局", "财政局", "数据局")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志红文斌宁晨曦鹏飞海波俊峰"
ROLES = ("董事长", "总经理", "首席科学家", "总工程师", "局长", "处长", "院长", "主任")
TECHS = ("冷轧取向硅钢工艺", "碳纤维复合材料成型", "5G专网", "数字孪生", "建筑信息模型", "工业互联网标识解析",
         "氢燃料电池", "高纯石英提纯", "智能制造执行系统", "永磁电机", "大数据分析", "区块链溯源")
TECH_PREFIXES = ("高性能", "低成本", "智能", "绿色", "新型", "高端", "柔性", "精密")
INFRAS = ("5G基站群", "工业互联网平台节点", "数据中心", "充电网络", "算力中心", "物流枢纽")
PRODUCTS = ("服务平台", "智慧终端", "电商馆", "供应链金融", "培训课程", "应用场景", "信息系统")
UNITS = (("万吨/年", 1, 200), ("亿元", 1, 500), ("台/年", 100, 50000), ("套", 10, 5000), ("万平方米", 1, 100))
STATUSES = ("规划", "在建", "投产", "重点推进")
MEASURES = ("研发费用加计扣除", "首台套奖励", "人才引进补贴", "贷款贴息", "用地保障", "中试熟化支持", "场景开放")

NODE_COLUMNS = ("type", "id", "name", "region", "liuxin", "synthetic", "kind", "is_leader", "industry", "level",
                "role", "position", "quantity", "unit", "year", "status", "measures")
REL_COLUMNS = ("type", "start", "end", "synthetic", "weight")
CLUSTERED = ("Enterprise", "Platform", "Project", "Institution")
"""Types whose nodes belong to a cluster (and take its industry)."""
LIUXIN_ELIGIBLE = ("Cluster", "ChainLink", "Enterprise", "Platform", "Project", "Technology", "Infrastructure",
                   "Product", "Park", "Institution")


@dataclass
class GenerateReport:
    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    """The loadable data files."""
    truth: str | None = None
    """The JSON file saying what was planted in each cluster's chain (see ``_TruthWriter``)."""

    @property
    def node_count(self) -> int:
        return sum(self.nodes.values())

    @property
    def relationship_count(self) -> int:
        return sum(self.relationships.values())


def _allocate(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Split ``total`` by ``shares`` exactly (largest remainder), every type at least once if possible."""
    base = dict.fromkeys(shares, 1 if total >= len(shares) else 0)
    rest = total - sum(base.values())
    weight = sum(shares.values())
    exact = {k: rest * s / weight for k, s in shares.items()}
    counts = {k: base[k] + int(v) for k, v in exact.items()}
    short = total - sum(counts.values())
    for k in sorted(exact, key=lambda k: exact[k] - int(exact[k]), reverse=True)[:short]:
        counts[k] += 1
    if total < len(shares):  # tiny graphs: the first types in the order above
        counts = {k: int(i < total) for i, k in enumerate(shares)}
    return counts


class _Ids:
    def __init__(self, counts: dict[str, int], prefix: str) -> None:
        self.prefix = prefix
        self.width = {t: max(4, len(str(n))) for t, n in counts.items()}

    def __call__(self, label: str, i: int) -> str:
        return f"{self.prefix}-{PREFIX[label]}-{i:0{self.width[label]}d}"


def _skewed(rng: random.Random, n: int, power: float = 2.0) -> int:
    """An index in ``range(n)`` favouring small indices (the big, well-connected nodes)."""
    return min(n - 1, int(n * rng.random() ** power))


# -- output ----------------------------------------------------------------------------
class _Sink:
    """Streams node and relationship records to files of one format."""

    def __init__(self, out_dir: Path, fmt: str) -> None:
        self.fmt = fmt
        out_dir.mkdir(parents=True, exist_ok=True)
        self.files: list[Path] = []
        self.truth_path = out_dir / TRUTH_FILE
        if fmt == "xlsx":
            from openpyxl import Workbook

            self.workbook = Workbook(write_only=True)
            self.path = out_dir / "ecosystem.xlsx"
            self.files.append(self.path)
            self._current: dict[str, Any] = {}
            self._rows: dict[str, int] = {}
            self._parts: dict[str, int] = {}
            return
        suffix = "csv" if fmt == "csv" else "jsonl"
        self._handles = {}
        for kind, columns in (("nodes", NODE_COLUMNS), ("relationships", REL_COLUMNS)):
            path = out_dir / f"{kind}.{suffix}"
            self.files.append(path)
            handle = open(path, "w", encoding="utf-8", newline="")
            if fmt == "csv":
                writer = csv.writer(handle)
                writer.writerow(columns)
                self._handles[kind] = (handle, writer, columns)
            else:
                self._handles[kind] = (handle, None, columns)

    def write(self, kind: str, record: dict[str, Any]) -> None:
        if self.fmt == "xlsx":
            self._xlsx(kind, record)
            return
        handle, writer, columns = self._handles[kind]
        if writer is not None:
            writer.writerow([format_cell(record.get(c)) for c in columns])
        else:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def _xlsx(self, kind: str, record: dict[str, Any]) -> None:
        columns = NODE_COLUMNS if kind == "nodes" else REL_COLUMNS
        if self._rows.get(kind, XLSX_MAX_ROWS) >= XLSX_MAX_ROWS:
            part = self._parts[kind] = self._parts.get(kind, 0) + 1
            self._current[kind] = self.workbook.create_sheet(kind if part == 1 else f"{kind}-{part}")
            self._current[kind].append(list(columns))
            self._rows[kind] = 0
        self._rows[kind] += 1
        cells = []
        for c in columns:
            value = record.get(c)
            if isinstance(value, list):
                value = neutralise(format_list(value))
            elif isinstance(value, str):
                value = neutralise(value)
            cells.append(value)
        self._current[kind].append(cells)

    def close(self) -> None:
        if self.fmt == "xlsx":
            self.workbook.save(self.path)
        else:
            for handle, _, _ in self._handles.values():
                handle.close()


# -- the generator ---------------------------------------------------------------------
def generate(nodes: int, edges: int, seed: int, out_dir: str | Path, fmt: str = "csv", *,
             id_prefix: str = "syn") -> GenerateReport:
    """Write a synthetic ecosystem of ``nodes`` nodes and (about) ``edges`` relationships to ``out_dir``.

    Parameters
    ----------
    nodes : number of node records (the loader adds the six Category nodes).
    edges : number of relationships in the loaded graph, the derived CLASSIFIED_AS edges included.
    seed : the same seed gives the same files.
    out_dir : folder for ``nodes.csv`` + ``relationships.csv``, ``nodes.jsonl`` + ``relationships.jsonl``,
        or ``ecosystem.xlsx``.
    fmt : ``csv``, ``jsonl`` or ``xlsx``.
    id_prefix : ids are ``<id_prefix>-ent-000001`` etc.; different prefixes give disjoint ecosystems.

    Returns
    -------
    GenerateReport : nodes per label, relationships per type (derived ones included), data files written,
        and the path of the truth file about the planted chains.

    Examples
    --------
    >>> report = generate(1000, 5000, seed=7, out_dir="/tmp/eco")  # doctest: +SKIP
    >>> report.node_count, report.relationship_count  # doctest: +SKIP
    (1000, 5000)
    """
    if fmt not in GENERATE_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(GENERATE_FORMATS)}")
    if nodes < 0 or edges < 0:
        raise ValueError("nodes and edges must not be negative")
    if not ID_PATTERN.match(f"{id_prefix}-x"):
        raise ValueError(f"the id prefix {id_prefix!r} does not make valid ids (use lowercase letters and digits)")
    sink = _Sink(Path(out_dir), fmt)
    report = GenerateReport()
    try:
        world = _World(nodes, edges, seed, sink, report, id_prefix)
        world.write_nodes()
        world.write_edges()
    finally:
        sink.close()
    report.files = [str(p) for p in sink.files]
    report.truth = str(sink.truth_path)
    return report


def _outside_region_count(n_regions: int) -> int:
    """How many of the Regions lie outside the province: a few, and only when there are enough."""
    return min(len(OUTSIDE_REGIONS), max(2, n_regions // 4)) if n_regions >= 4 else 0


@dataclass
class _Plant:
    """What is planted in one cluster's chain (indices of links, enterprises, a region, a technology)."""

    cluster: int
    links: range
    gap: int
    fragile: int
    leader: int
    transfer: int
    """The outside Region the cluster attracts industry from."""
    technology: int
    """The Technology the cluster needs."""
    first_outside: int
    """The first of the cluster's outside enterprises; the others follow it."""
    outside_links: list[int] = field(default_factory=list)
    """The link each outside enterprise operates in: the gap's best, second and third candidates, the
    fragile link's, then one per covered link while the reserve lasts."""
    local_operators: dict[int, array] = field(default_factory=dict)
    """The local enterprises written as operating in each link."""
    assigned: int = 0
    """Members other than the leader given a link so far."""
    covered: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.covered = [link for link in self.links if link not in (self.gap, self.fragile)]

    def next_link(self, rng: random.Random) -> int:
        """The link of the next member other than the leader: each covered link twice, then any covered link."""
        j, self.assigned = self.assigned, self.assigned + 1
        return self.covered[j % len(self.covered)] if j < 2 * len(self.covered) else rng.choice(self.covered)


class _TruthWriter:
    """Streams the truth file: ``{"home_region", "outside_regions", "clusters": {cluster id: truth},
    "unplanted": [cluster ids]}``."""

    def __init__(self, handle: Any, home_region: str | None, outside_regions: list[str]) -> None:
        self.handle = handle
        head = json.dumps({"home_region": home_region, "outside_regions": outside_regions})
        handle.write(head[:-1] + ', "clusters": {')
        self.written = 0

    def cluster(self, cluster_id: str, truth: dict[str, Any]) -> None:
        self.handle.write(f"{', ' if self.written else ''}\n{json.dumps(cluster_id)}: {json.dumps(truth)}")
        self.written += 1

    def finish(self, unplanted: list[str]) -> None:
        self.handle.write(f'}}, "unplanted": {json.dumps(unplanted)}}}\n')


class _World:
    def __init__(self, nodes: int, edges: int, seed: int, sink: _Sink, report: GenerateReport,
                 id_prefix: str) -> None:
        self.n = _allocate(nodes, SHARES)
        self.edges = edges
        self.seed = seed
        self.sink = sink
        self.report = report
        self.id = _Ids(self.n, id_prefix)
        self.n_home = self.n["Region"] - _outside_region_count(self.n["Region"])
        self.local = dict(self.n)
        """The nodes the structural and random families draw from: all but the outside enterprises."""
        # The few integers per node the edges need: where each node is, which cluster it is in.
        self.region_of: dict[str, array] = {}
        self.cluster_of: dict[str, array] = {}
        self.outside_region = array("i")
        self.outside_cluster = array("i")
        """Region and planted cluster (-1: none) of each outside enterprise."""
        self.plants: dict[int, _Plant] = {}
        self.planted: set[int] = set()
        """The clusters whose plant was written whole."""
        self._plan()
        self.leaders = {plant.leader for plant in self.plants.values()}
        self.derived_budget = int(edges * DERIVED_SHARE)
        eligible = sum(self.n[t] for t in LIUXIN_ELIGIBLE) - len(self.outside_region)
        self.liuxin_p = min(1.0, self.derived_budget / eligible) if eligible else 0.0

    def rng(self, phase: str) -> random.Random:
        return random.Random(f"{self.seed}:{phase}")

    def emit_node(self, label: str, record: dict[str, Any]) -> None:
        record = {"type": label, **{k: v for k, v in record.items() if v is not None}, "synthetic": True}
        self.sink.write("nodes", record)
        self.report.nodes[label] = self.report.nodes.get(label, 0) + 1

    def emit_edge(self, rel_type: str, start: str, end: str, weight: float | None = None) -> None:
        record: dict[str, Any] = {"type": rel_type, "start": start, "end": end, "synthetic": True}
        if weight is not None:
            record["weight"] = weight
        self.sink.write("relationships", record)
        self.report.relationships[rel_type] = self.report.relationships.get(rel_type, 0) + 1

    # -- the plan ----------------------------------------------------------------------
    def _plan(self) -> None:
        """Reserve the outside enterprises (the last Enterprise indices), put the local nodes in
        clusters, and choose what each chain with enough links and members gets."""
        n = self.n
        plantable = [c for c in range(n["Cluster"]) if len(self._links_of(c)) >= PLANT_MIN_LINKS]
        if n["Region"] - self.n_home < 2 or not n["Technology"]:
            plantable = []
        # per chain: three candidates for each of the gap and the fragile link, one per covered link
        reserve = min(n["Enterprise"] // 4, sum(2 * len(CANDIDATES) + len(self._links_of(c)) - 2 for c in plantable))
        self.local["Enterprise"] = n["Enterprise"] - reserve
        members, first = self._assign_clusters()
        rng = self.rng("plant")
        outside = self.local["Enterprise"]
        for cluster in plantable:
            links = self._links_of(cluster)
            supply = n["Enterprise"] - outside
            if members[cluster] < 1 + 2 * (len(links) - 2) or supply < 2 * len(CANDIDATES):
                continue
            gap, fragile = rng.sample(links, 2)
            plant = _Plant(cluster, links, gap, fragile, first[cluster], self._outside_region(rng),
                           rng.randrange(n["Technology"]), outside)
            plant.outside_links = [gap] * len(CANDIDATES) + [fragile] * len(CANDIDATES)
            plant.outside_links += plant.covered[:supply - len(plant.outside_links)]
            for offset in range(len(plant.outside_links)):
                role = CANDIDATES[offset % len(CANDIDATES)] if offset < 2 * len(CANDIDATES) else None
                self.outside_region.append(plant.transfer if role in ("best", "second") else
                                           self._outside_region(rng, plant.transfer if role else None))
                self.outside_cluster.append(cluster)
            outside += len(plant.outside_links)
            self.plants[cluster] = plant
        for _ in range(outside, n["Enterprise"]):  # the reserve no chain needed: outside firms of their own
            self.outside_region.append(self._outside_region(rng))
            self.outside_cluster.append(-1)

    def _assign_clusters(self) -> tuple[array, array]:
        """Put the local nodes of the clustered types in clusters (skewed: a few big clusters); return
        each cluster's number of enterprises and its first enterprise."""
        n_clusters = self.n["Cluster"]
        rng = self.rng("clusters")
        for label in CLUSTERED if n_clusters else ():
            self.cluster_of[label] = array("i", (_skewed(rng, n_clusters, 1.5) for _ in range(self.local[label])))
        members = array("i", [0]) * n_clusters
        first = array("i", [-1]) * n_clusters
        for i, cluster in enumerate(self.cluster_of.get("Enterprise", ())):
            if first[cluster] < 0:
                first[cluster] = i
            members[cluster] += 1
        return members, first

    def _outside_region(self, rng: random.Random, but: int | None = None) -> int:
        """A Region outside the province, other than ``but``."""
        n_outside = self.n["Region"] - self.n_home
        if but is None:
            return self.n_home + rng.randrange(n_outside)
        return self.n_home + (but - self.n_home + 1 + rng.randrange(n_outside - 1)) % n_outside

    # -- nodes -------------------------------------------------------------------------
    def _liuxin(self, rng: random.Random, label: str, industry: int) -> list[str] | None:
        if label not in LIUXIN_ELIGIBLE or self.derived_budget <= 0 or rng.random() >= self.liuxin_p:
            return None
        categories = list(Liuxin)
        self.derived_budget -= 1
        self.report.relationships["CLASSIFIED_AS"] = self.report.relationships.get("CLASSIFIED_AS", 0) + 1
        return [categories[industry % len(categories)].value]

    def write_nodes(self) -> None:
        rng = self.rng("nodes")
        n = self.n
        self._regions: list[str] = []
        for i in range(n["Region"]):
            if i >= self.n_home:
                name, level = OUTSIDE_REGIONS[i - self.n_home], "省"
            elif i == 0:
                name, level = "山西省", "省"
            elif i <= len(CITIES):
                name, level = f"{CITIES[i - 1]}市", "市"
            else:
                name, level = f"{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}县", "县"
            self._regions.append(name)
            self.emit_node("Region", {"id": self.id("Region", i), "name": name, "level": level})

        def place(label: str) -> tuple[int, str | None]:
            """A home region (never one outside the province)."""
            if not self.n_home:
                return 0, None
            r = _skewed(rng, self.n_home, 1.5)
            self.region_of.setdefault(label, array("i")).append(r)
            return r, self._regions[r]

        for label in SHARES:
            if label == "Region":
                continue
            for i in range(n[label]):
                if label == "Enterprise" and i >= self.local[label]:
                    self.emit_node(label, self._outside_enterprise(i, rng))
                    continue
                r, region = place(label)
                if label == "ChainLink":
                    industry = self._link_cluster(i)
                elif label in self.cluster_of:
                    industry = self.cluster_of[label][i]
                else:
                    industry = rng.randrange(len(INDUSTRIES))
                record = self._node_record(label, i, industry % len(INDUSTRIES), self._city(r), rng)
                record["id"] = self.id(label, i)
                record["region"] = region
                record["liuxin"] = self._liuxin(rng, label, industry)
                if label == "Enterprise" and i in self.leaders:
                    record["is_leader"] = True
                self.emit_node(label, record)

    def _outside_enterprise(self, i: int, rng: random.Random) -> dict[str, Any]:
        """An enterprise outside the province, in its planted chain's industry (no 六新: no derived edges)."""
        j = i - self.local["Enterprise"]
        r, cluster = self.outside_region[j], self.outside_cluster[j]
        industry = cluster if cluster >= 0 else rng.randrange(len(INDUSTRIES))
        record = self._node_record("Enterprise", i, industry % len(INDUSTRIES), self._city(r), rng)
        return {**record, "id": self.id("Enterprise", i), "region": self._regions[r]}

    def _city(self, r: int) -> str:
        name = self._regions[r] if self._regions else "晋"
        return name.removesuffix("市").removesuffix("县").removesuffix("省")

    def _node_record(self, label: str, i: int, industry: int, city: str, g: random.Random) -> dict[str, Any]:
        """Name and type-specific properties of one node."""
        trade = INDUSTRIES[industry]
        if label == "Park":
            kind = g.choice(PARK_KINDS)
            return {"name": f"{city}{g.choice(BRANDS)}{kind}", "kind": kind}
        if label == "Cluster":
            return {"name": f"{city}{trade}产业集群"}
        if label == "ChainLink":
            link, position = LINKS[(i - self._links_of(self._link_cluster(i)).start) % len(LINKS)]
            return {"name": f"{trade}{link}", "position": position}
        if label == "Enterprise":
            return {"name": f"{city}{g.choice(BRANDS)}{g.choice(BRANDS)}{trade}{g.choice(SUFFIXES)}",
                    "industry": trade}
        if label == "Institution":
            name = f"{city}{trade}研究院" if g.random() < 0.7 else f"{city}{g.choice(BRANDS)}大学"
            return {"name": name, "kind": g.choice(INSTITUTION_KINDS)}
        if label == "Platform":
            kind = g.choice(PLATFORM_KINDS)
            return {"name": f"{city}{trade}{kind}", "kind": kind}
        if label == "FinancialInstitution":
            kind = g.choice(FINANCE_KINDS)
            return {"name": f"{city}{g.choice(BRANDS)}{'银行' if kind == '银行' else trade + kind}", "kind": kind}
        if label == "Agency":
            return {"name": f"{city}{g.choice(DEPARTMENTS)}", "level": "市" if g.random() < 0.6 else "县"}
        if label == "Person":
            return {"name": g.choice(SURNAMES) + "".join(g.choices(GIVEN, k=g.randint(1, 2))), "role": g.choice(ROLES)}
        if label == "Project":
            unit, low, high = g.choice(UNITS)
            quantity = g.randint(low, high)
            return {"name": f"{city}年产{quantity}{unit}{trade}项目", "quantity": float(quantity), "unit": unit,
                    "year": g.randint(2021, 2030), "status": g.choice(STATUSES)}
        if label == "Policy":
            return {"name": f"{city}关于支持{trade}发展的若干措施", "measures": g.sample(MEASURES, g.randint(2, 4)),
                    "year": g.randint(2019, 2026)}
        if label == "Technology":
            return {"name": f"{g.choice(TECH_PREFIXES)}{g.choice(TECHS)}"}
        if label == "Infrastructure":
            return {"name": f"{city}{g.choice(INFRAS)}"}
        return {"name": f"{g.choice(BRANDS)}{g.choice(BRANDS)}{g.choice(PRODUCTS)}", "kind": g.choice(PRODUCT_KINDS)}

    def _link_cluster(self, link: int) -> int:
        return link * self.n["Cluster"] // self.n["ChainLink"] if self.n["Cluster"] else 0

    # -- edges -------------------------------------------------------------------------
    def write_edges(self) -> None:
        self.budget = self.edges - self.report.relationships.get("CLASSIFIED_AS", 0)
        for family in self._structural():
            self._run(family)
        self._write_truth()
        weights = dict(RANDOM_FAMILIES)
        for i, (name, share) in enumerate(RANDOM_FAMILIES):
            rest = sum(weights[k] for k, _ in RANDOM_FAMILIES[i:])
            quota = self.budget if i == len(RANDOM_FAMILIES) - 1 else round(self.budget * share / rest)
            self.budget -= self._random_family(name, min(quota, self.budget))

    def _run(self, family: Iterator[tuple[str, str, str] | tuple[str, str, str, float]]) -> None:
        """Write edges of ``family`` while the budget lasts. A family is never asked for an edge that
        is not written, so what it records about its edges holds for the edges written."""
        for rel_type, start, end, *weight in islice(family, max(0, self.budget)):
            self.emit_edge(rel_type, start, end, *weight)
            self.budget -= 1

    def _structural(self) -> Iterator[Iterator[tuple[str, str, str] | tuple[str, str, str, float]]]:
        """Families where each edge is unique by construction (one per end, or one per start). The
        planted chains follow the members, whose links they depend on."""
        n, ident = self.local, self.id
        rng = self.rng("structure")

        def regions_part_of() -> Iterator[tuple[str, str, str]]:
            for i in range(1, self.n_home):
                parent = 0 if i <= len(CITIES) else 1 + i % len(CITIES)
                yield "PART_OF", ident("Region", i), ident("Region", parent)

        def chain() -> Iterator[tuple[str, str, str]]:
            for link in range(n["ChainLink"]):
                if n["Cluster"]:
                    yield "HAS_LINK", ident("Cluster", self._link_cluster(link)), ident("ChainLink", link)
                if link + 1 < n["ChainLink"] and self._link_cluster(link + 1) == self._link_cluster(link):
                    yield "UPSTREAM_OF", ident("ChainLink", link), ident("ChainLink", link + 1)

        def members() -> Iterator[tuple[str, str, str]]:
            for label in CLUSTERED:
                for i, cluster in enumerate(self.cluster_of.get(label, ())):
                    if label != "Institution":
                        yield "MEMBER_OF", ident(label, i), ident("Cluster", cluster)
                    if label in ("Enterprise", "Institution"):
                        link = self._operated_link(label, i, cluster, rng)
                        if link is not None:
                            yield "OPERATES_IN", ident(label, i), ident("ChainLink", link)

        def located() -> Iterator[tuple[str, str, str]]:
            for label in ("Enterprise", "Institution", "Park", "Agency", "Platform", "Infrastructure"):
                for i, r in enumerate(self.region_of.get(label, ())):
                    if label == "Enterprise" and n["Park"] and rng.random() < 0.3:
                        yield "LOCATED_IN", ident(label, i), ident("Park", _skewed(rng, n["Park"]))
                    else:
                        yield "LOCATED_IN", ident(label, i), ident("Region", r)

        def hosted() -> Iterator[tuple[str, str, str]]:
            hosts = [t for t in ("Enterprise", "Institution", "Park") if n[t]]
            for i in range(n["Platform"] if hosts else 0):
                host = rng.choice(hosts)
                yield "HOSTED_BY", ident("Platform", i), ident(host, _skewed(rng, n[host]))

        def leads() -> Iterator[tuple[str, str, str]]:
            if n["Enterprise"]:
                for i in range(n["Project"]):
                    yield "LEADS", ident("Enterprise", _skewed(rng, n["Enterprise"], 3.0)), ident("Project", i)
            led = [t for t in ("Enterprise", "Agency", "Institution") if n[t]]
            for i in range(n["Person"] if led else 0):
                target = rng.choice(led)
                yield "LEADS", ident("Person", i), ident(target, rng.randrange(n[target]))

        def governance() -> Iterator[tuple[str, str, str]]:
            if n["Agency"]:
                for i in range(n["Policy"]):
                    yield "ISSUES", ident("Agency", rng.randrange(n["Agency"])), ident("Policy", i)
                for i in range(n["Park"]):
                    yield "GOVERNS", ident("Agency", rng.randrange(n["Agency"])), ident("Park", i)

        return iter([regions_part_of(), chain(), members(), self._planted_chains(), located(), hosted(), leads(),
                     governance()])

    def _operated_link(self, label: str, i: int, cluster: int, rng: random.Random) -> int | None:
        """The link a cluster member operates in. In a planted chain the leader takes the fragile link,
        the other enterprises the covered ones, institutions any link but the gap."""
        links = self._links_of(cluster)
        plant = self.plants.get(cluster)
        if plant is None:
            return rng.choice(links) if links else None
        if label == "Institution":
            return rng.choice([link for link in links if link != plant.gap])
        link = plant.fragile if i == plant.leader else plant.next_link(rng)
        plant.local_operators.setdefault(link, array("i")).append(i)
        return link

    def _links_of(self, cluster: int) -> range:
        n_links, n_clusters = self.n["ChainLink"], self.n["Cluster"]
        first = -(-cluster * n_links // n_clusters)
        last = -(-(cluster + 1) * n_links // n_clusters)
        return range(first, min(last, n_links))

    # -- the planted chains ------------------------------------------------------------
    def _planted_chains(self) -> Iterator[tuple[str, str, str] | tuple[str, str, str, float]]:
        """Each planted chain's edges, whole or not at all; then the located-in edges of the outside
        enterprises no chain needed. The members' links come first: written whole, they give each
        planted chain its gap, fragile and covered links (the plan only takes clusters with members
        enough); cut short, they leave no budget for any chain. A chain left out keeps its leader's
        ``is_leader`` (the nodes are already written) and is listed as unplanted."""
        left = self.budget
        for cluster, plant in self.plants.items():
            edges = list(self._planted(plant))
            if len(edges) <= left:
                self.planted.add(cluster)
                left -= len(edges)
                yield from edges
        for j, cluster in enumerate(self.outside_cluster):
            if cluster < 0:
                yield ("LOCATED_IN", self.id("Enterprise", self.local["Enterprise"] + j),
                       self.id("Region", self.outside_region[j]))

    def _write_truth(self) -> None:
        ident = self.id
        with open(self.sink.truth_path, "w", encoding="utf-8") as handle:
            truth = _TruthWriter(handle, ident("Region", 0) if self.n_home else None,
                                 [ident("Region", r) for r in range(self.n_home, self.n["Region"])])
            for cluster in sorted(self.planted):
                truth.cluster(ident("Cluster", cluster), self._truth(self.plants[cluster]))
            truth.finish([ident("Cluster", c) for c in range(self.n["Cluster"]) if c not in self.planted])

    def _planted(self, plant: _Plant) -> Iterator[tuple[str, str, str] | tuple[str, str, str, float]]:
        ident = self.id
        cluster = ident("Cluster", plant.cluster)
        technology = ident("Technology", plant.technology)
        yield "TRANSFERS_FROM", cluster, ident("Region", plant.transfer)
        yield "NEEDS", cluster, technology
        for offset, link in enumerate(plant.outside_links):
            e = plant.first_outside + offset
            firm = ident("Enterprise", e)
            yield "OPERATES_IN", firm, ident("ChainLink", link)
            yield "LOCATED_IN", firm, ident("Region", self.outside_region[e - self.local["Enterprise"]])
            if offset in (0, len(CANDIDATES)):  # the best candidates, for the gap and the fragile link
                yield "COLLABORATES_WITH", firm, ident("Enterprise", plant.leader), 1.0  # a strong tie
                yield "USES", firm, technology

    def _truth(self, plant: _Plant) -> dict[str, Any]:
        """What the chain analysis should find in one planted chain (ids; links upstream first)."""
        ident = self.id

        def link_id(link: int) -> str:
            return ident("ChainLink", link)

        def firm(e: int) -> str:
            return ident("Enterprise", e)

        outside: dict[str, list[str]] = {link_id(link): [] for link in plant.links}
        candidates: dict[str, dict[str, str]] = {}
        for offset, link in enumerate(plant.outside_links):
            outside[link_id(link)].append(firm(plant.first_outside + offset))
            if offset < 2 * len(CANDIDATES):
                candidates.setdefault(link_id(link), {})[CANDIDATES[offset % len(CANDIDATES)]] = \
                    firm(plant.first_outside + offset)
        return {"links": [link_id(link) for link in plant.links], "gap": [link_id(plant.gap)],
                "fragile": [link_id(plant.fragile)], "covered": [link_id(link) for link in plant.covered],
                "leader": firm(plant.leader),
                "single_supplier": {"link": link_id(plant.fragile), "entity": firm(plant.leader)},
                "transfer_region": ident("Region", plant.transfer), "technology": ident("Technology", plant.technology),
                "candidates": candidates,
                "local_operators": {link_id(link): [firm(e) for e in plant.local_operators.get(link, ())]
                                    for link in plant.links},
                "outside_operators": outside}

    def _random_family(self, name: str, quota: int) -> int:
        """``quota`` edges of one family, from start nodes with skewed (Pareto) out-degrees to
        distinct, skewed end nodes; never an outside enterprise."""
        rel_type, start_label, end_labels = FAMILY_SHAPES[name]
        n = self.local
        ends = [t for t in end_labels if n[t]]
        starts = n[start_label]
        if quota <= 0 or not starts or not ends:
            return 0
        assert all(REL_TYPE_BY_NAME[rel_type].allows(start_label, t) for t in ends)
        rng = self.rng(f"family:{name}")
        weights = array("d", (rng.paretovariate(1.2) for _ in range(starts)))
        total = sum(weights)
        possible = sum(n[t] for t in ends) - (1 if start_label in ends else 0)
        written = allotted = 0
        cumulative = 0.0
        carry = 0  # edges a start node could not take, passed on to the next one
        for i in range(starts):
            cumulative += weights[i]
            share = round(quota * cumulative / total) - allotted
            allotted += share
            wanted = min(share + carry, possible)
            start = self.id(start_label, i)
            chosen: set[str] = set()
            tries = 0
            while len(chosen) < wanted and tries < wanted * 20:
                tries += 1
                label = ends[0] if len(ends) == 1 else rng.choice(ends)
                end = self.id(label, _skewed(rng, n[label]))
                if end != start and end not in chosen:
                    chosen.add(end)
                    self.emit_edge(rel_type, start, end, round(rng.random(), 3) if rel_type in WEIGHTED else None)
            carry += share - len(chosen)
            written += len(chosen)
        return written


FAMILY_SHAPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "collaboration": ("COLLABORATES_WITH", "Enterprise", ("Enterprise", "Institution")),
    "policy-support": ("SUPPORTS", "Policy", ("Enterprise", "Cluster", "Project")),
    "platform-support": ("SUPPORTS", "Platform", ("Enterprise",)),
    "finance": ("FINANCES", "FinancialInstitution", ("Enterprise", "Project")),
    "technology-use": ("USES", "Enterprise", ("Technology", "Infrastructure")),
    "project-needs": ("NEEDS", "Project", ("Technology",)),
    "production": ("PRODUCES", "Enterprise", ("Product", "Technology")),
    "industry-transfer": ("TRANSFERS_FROM", "Park", ("Region",)),
}
RANDOM_FAMILIES: tuple[tuple[str, float], ...] = (
    ("industry-transfer", 1.0), ("project-needs", 5.0), ("platform-support", 7.0), ("policy-support", 8.0),
    ("finance", 15.0), ("production", 10.0), ("technology-use", 20.0), ("collaboration", 34.0),
)
"""Families of relationships beyond the structure, with their share of the remaining edges; the
most plentiful last (it takes what the others could not place)."""
WEIGHTED = ("COLLABORATES_WITH", "FINANCES", "SUPPORTS")
