"""The ecosystem ontology: the one place that defines node types, relationship types,
their properties and the six 六新 categories.

Validation (``loaders``), schema setup (``graph.store``), API enums (``app``) and map
styles (``app.pages``) are all derived from the tables in this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

ENTITY_LABEL = "Entity"
"""Every node carries this label plus exactly one type label."""

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
"""Ids are ASCII slugs: lowercase letters, digits, ``_``, ``.``, ``-``; at most 128 characters."""

MAX_TEXT_LENGTH = 10_000
"""Longest accepted string property; longer values are rejected, never truncated."""

SAVED_VIEW_LABEL = "SavedView"
STORY_LABEL = "Story"
RESERVED_LABELS = (SAVED_VIEW_LABEL, STORY_LABEL)
"""Labels of the product's own records kept in the graph store beside the data (saved map views and the
stories made of them, see ``graph.saved_views``). A node with one of them is never an ``:Entity`` and
carries no type label, so every query over entities leaves it out."""


class Liuxin(StrEnum):
    """The six 六新 categories."""

    NEW_INFRASTRUCTURE = "新基建"
    NEW_TECHNOLOGY = "新技术"
    NEW_MATERIAL = "新材料"
    NEW_EQUIPMENT = "新装备"
    NEW_PRODUCT = "新产品"
    NEW_BUSINESS = "新业态"


LIUXIN_IDS: dict[Liuxin, str] = {
    Liuxin.NEW_INFRASTRUCTURE: "liuxin-new-infrastructure",
    Liuxin.NEW_TECHNOLOGY: "liuxin-new-technology",
    Liuxin.NEW_MATERIAL: "liuxin-new-material",
    Liuxin.NEW_EQUIPMENT: "liuxin-new-equipment",
    Liuxin.NEW_PRODUCT: "liuxin-new-product",
    Liuxin.NEW_BUSINESS: "liuxin-new-business",
}
"""Stable ids of the Category nodes that stand for the six categories."""

LIUXIN_EN: dict[Liuxin, str] = {
    Liuxin.NEW_INFRASTRUCTURE: "New infrastructure",
    Liuxin.NEW_TECHNOLOGY: "New technology",
    Liuxin.NEW_MATERIAL: "New materials",
    Liuxin.NEW_EQUIPMENT: "New equipment",
    Liuxin.NEW_PRODUCT: "New products",
    Liuxin.NEW_BUSINESS: "New business forms",
}


class PropType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    STRING_LIST = "string_list"


@dataclass(frozen=True)
class Prop:
    """A typed property. ``zh`` is the Chinese column header loaders accept for it."""

    name: str
    type: PropType
    zh: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    """Further accepted column headers (English or Chinese)."""


@dataclass(frozen=True)
class NodeType:
    label: str
    zh: str
    en: str
    color: str
    shape: str
    props: tuple[Prop, ...] = ()


@dataclass(frozen=True)
class RelType:
    name: str
    zh: str
    en: str
    starts: tuple[str, ...]
    ends: tuple[str, ...]
    props: tuple[Prop, ...] = field(default=())

    def allows(self, start_label: str, end_label: str) -> bool:
        return start_label in self.starts and end_label in self.ends


STR, INT, FLOAT, BOOL, STR_LIST = (PropType.STRING, PropType.INTEGER, PropType.FLOAT, PropType.BOOLEAN,
                                   PropType.STRING_LIST)

COMMON_NODE_PROPS: tuple[Prop, ...] = (
    Prop("id", STR, "编号", "Stable slug, unique across the graph", required=True, aliases=("ID", "标识")),
    Prop("name", STR, "名称", "Chinese name", required=True, aliases=("名字", "中文名")),
    Prop("name_en", STR, "英文名", "English name"),
    Prop("aliases", STR_LIST, "别名", "Other names and abbreviations (e.g. 太钢)", aliases=("简称",)),
    Prop("liuxin", STR_LIST, "六新分类", "六新 categories", choices=tuple(c.value for c in Liuxin),
         aliases=("六新",)),
    Prop("region", STR, "所在地区", "Region the entity is in", aliases=("地区",)),
    Prop("description", STR, "说明", "Short description in the project's own words", aliases=("描述",)),
    Prop("description_en", STR, "说明（英文）", "Short description in English"),
    Prop("sources", STR_LIST, "来源", "Citations as 'source-id#section'", aliases=("出处",)),
    Prop("note", STR, "备注", "Provenance note: what the source states, in own words"),
    Prop("note_en", STR, "备注（英文）", "Provenance note in English"),
    Prop("synthetic", BOOL, "合成数据", "True for generated (non-curated) records", aliases=("合成",)),
    Prop("importance", FLOAT, "重要度", "Importance score written back by analytics"),
    Prop("community", INT, "社区", "Community number written back by analytics"),
    Prop("betweenness", FLOAT, "中介中心度", "Betweenness centrality written back by analytics"),
)
"""Properties every node type has."""

COMMON_REL_PROPS: tuple[Prop, ...] = (
    Prop("sources", STR_LIST, "来源", "Citations as 'source-id#section'", aliases=("出处",)),
    Prop("note", STR, "备注", "Provenance note: what the source states, in own words"),
    Prop("note_en", STR, "备注（英文）", "Provenance note in English"),
    Prop("synthetic", BOOL, "合成数据", "True for generated (non-curated) records", aliases=("合成",)),
    Prop("role", STR, "角色", "Role or capacity in which the relationship holds (e.g. 处长, 合作银行)"),
    Prop("weight", FLOAT, "权重", "Strength of the relationship, when known"),
)
"""Properties every relationship type has."""

PLATFORM_KINDS = (
    "重点实验室", "创新团队", "协同创新中心", "中试基地", "双创中心", "孵化器", "工程技术研究中心",
    "技术转移机构", "企业技术中心", "转移转化基地", "科技基础设施", "交易服务平台", "产业联盟",
    "数字平台",
)
PARK_KINDS = ("综改区", "开发区", "高新区", "农业科技园区", "产业园区", "数字孪生园区")
FINANCE_KINDS = ("银行", "产业基金", "引导基金", "天使投资", "风险投资", "保险机构")
INSTITUTION_KINDS = ("高校", "科研院所", "研究开发机构", "科技中介服务机构")
PRODUCT_KINDS = ("服务模式", "电商平台", "公益设施", "培训", "工程", "农产品", "应用场景", "信息系统")
REGION_LEVELS = ("省", "市", "县", "区域")

NODE_TYPES: tuple[NodeType, ...] = (
    NodeType("Cluster", "产业集群", "Industry cluster", "#e4572e", "hexagon", (
        Prop("absent_roles", STR_LIST, "来源记录缺少的支撑角色", "Supporting roles (keys of the completeness "
             "rules) a source states the cluster lacks; cite it in sources/note"),
    )),
    NodeType("ChainLink", "产业链环节", "Chain link", "#f3a712", "diamond", (
        Prop("position", STR, "环节位置", "Where in the chain (e.g. 整车, 零部件, 材料, 服务)"),
    )),
    NodeType("Enterprise", "企业", "Enterprise", "#29335c", "dot", (
        Prop("is_leader", BOOL, "链主", "Leading enterprise (龙头/链主) of a cluster", aliases=("龙头",)),
        Prop("industry", STR, "行业", "Industry"),
    )),
    NodeType("Institution", "高校院所", "University or research institute", "#669bbc", "dot", (
        Prop("kind", STR, "机构类型", "Kind of institution", choices=INSTITUTION_KINDS),
    )),
    NodeType("Platform", "创新平台", "Innovation platform", "#2a9d8f", "triangle", (
        Prop("kind", STR, "平台类型", "Kind of platform", required=True, choices=PLATFORM_KINDS,
             aliases=("类别",)),
    )),
    NodeType("Park", "园区", "Park or zone", "#8ab17d", "square", (
        Prop("kind", STR, "园区类型", "Kind of park", choices=PARK_KINDS),
    )),
    NodeType("FinancialInstitution", "金融机构", "Bank or fund", "#e9c46a", "star", (
        Prop("kind", STR, "金融类型", "Kind of financial institution", required=True, choices=FINANCE_KINDS),
    )),
    NodeType("Agency", "政府部门", "Government agency or department", "#7b2cbf", "box", (
        Prop("level", STR, "层级", "Administrative level", choices=REGION_LEVELS),
    )),
    NodeType("Person", "人物", "Person", "#c9184a", "ellipse", (
        Prop("role", STR, "职务", "Role or position as stated in the source"),
    )),
    NodeType("Project", "项目", "Project", "#f4a261", "square", (
        Prop("quantity", FLOAT, "数量", "The project's stated figure (e.g. 16)"),
        Prop("unit", STR, "单位", "Unit of the figure (e.g. 万吨/年)"),
        Prop("year", INT, "年份", "Year the project is scheduled for"),
        Prop("status", STR, "状态", "Status (e.g. 重点推进)"),
    )),
    NodeType("Policy", "政策", "Policy", "#6d597a", "box", (
        Prop("measures", STR_LIST, "政策措施", "The measures the policy contains"),
        Prop("year", INT, "年份", "Year of the version"),
    )),
    NodeType("Technology", "技术", "Technology", "#118ab2", "ellipse"),
    NodeType("Infrastructure", "基础设施", "Infrastructure", "#06d6a0", "database"),
    NodeType("Product", "产品服务", "Product, service or initiative", "#ef476f", "dot", (
        Prop("kind", STR, "产品类型", "Kind of product, service or initiative", choices=PRODUCT_KINDS),
        Prop("quantity", FLOAT, "数量", "A stated figure (e.g. 410)"),
        Prop("unit", STR, "单位", "Unit of the figure (e.g. 个)"),
    )),
    NodeType("Region", "地区", "Region", "#adb5bd", "dot", (
        Prop("level", STR, "层级", "Administrative level", choices=REGION_LEVELS),
    )),
    NodeType("Category", "六新分类", "六新 category", "#ffd166", "star"),
    NodeType("Source", "来源文献", "Source document", "#495057", "box", (
        Prop("title", STR, "标题", "Title of the source", required=True),
        Prop("publisher", STR, "出版方", "Publisher"),
        Prop("author", STR, "作者", "Author, where the source names one"),
        Prop("date", STR, "日期", "Publication date (YYYY-MM-DD, or as precise as the source states it)"),
        Prop("sections", STR_LIST, "章节", "Section titles, in order (section 0 is the lead text)"),
    )),
)

_ORGS = ("Enterprise", "Institution", "Platform", "FinancialInstitution", "Agency")
_ACTORS = _ORGS + ("Park", "Product", "Project", "Cluster")
_ANY = tuple(t.label for t in NODE_TYPES if t.label not in ("Source", "Category"))
_SUPPORTED = ("Cluster", "ChainLink", "Enterprise", "Institution", "Platform", "Park", "Project",
              "Product", "Technology", "Infrastructure", "Region", "Person", "Category", "Policy",
              "FinancialInstitution")

REL_TYPES: tuple[RelType, ...] = (
    RelType("MEMBER_OF", "属于集群", "member of", ("Enterprise", "Institution", "Platform", "Project",
                                               "Park", "ChainLink"), ("Cluster",)),
    RelType("LEADS", "领导/牵头", "leads", ("Person", "Enterprise", "Institution", "Agency"),
            ("Agency", "Institution", "FinancialInstitution", "Enterprise", "Cluster", "Project",
             "Platform", "Product")),
    RelType("HAS_LINK", "包含环节", "has chain link", ("Cluster",), ("ChainLink",)),
    RelType("UPSTREAM_OF", "上游", "upstream of", ("ChainLink",), ("ChainLink",)),
    RelType("OPERATES_IN", "从事环节", "operates in", ("Enterprise", "Institution"), ("ChainLink",)),
    RelType("SUPPORTS", "支持", "supports", _ACTORS + ("Policy", "Infrastructure", "Technology"),
            _SUPPORTED),
    RelType("HOSTED_BY", "依托", "hosted by", ("Platform", "Project", "Enterprise", "Institution",
                                              "Product", "Infrastructure"),
            ("Park", "Enterprise", "Institution", "FinancialInstitution", "Agency")),
    RelType("COLLABORATES_WITH", "合作", "collaborates with", _ORGS + ("Product", "Cluster", "Park", "Region"),
            _ORGS + ("Product", "Cluster", "Park", "Region")),
    RelType("FINANCES", "金融支持", "finances", ("FinancialInstitution", "Agency"),
            ("Cluster", "Project", "Enterprise", "Category", "Product", "Platform", "Technology")),
    RelType("PART_OF", "隶属/组成", "part of", _ANY, _ANY),
    RelType("LOCATED_IN", "位于", "located in", _ANY, ("Region", "Park")),
    RelType("ISSUES", "发布", "issues", ("Agency", "Person"), ("Policy",)),
    RelType("GOVERNS", "主管", "governs", ("Agency",), ("Park", "Cluster", "Infrastructure", "Policy",
                                                        "Category", "Institution", "Product")),
    RelType("USES", "应用", "uses", _ACTORS + ("Infrastructure",), ("Technology", "Infrastructure",
                                                                     "Product")),
    RelType("NEEDS", "需要", "needs", ("Cluster", "ChainLink", "Project", "Enterprise"),
            ("Technology", "Platform", "Product", "Infrastructure")),
    RelType("PRODUCES", "产出", "produces", ("Enterprise", "Region", "Park", "Cluster", "Project"),
            ("Product", "Technology")),
    RelType("CLASSIFIED_AS", "六新归类", "classified as", _ANY, ("Category",)),
    RelType("TRANSFERS_FROM", "承接转移", "attracts industry from", ("Cluster", "Region", "Park"),
            ("Region",)),
    RelType("MENTIONED_IN", "见于", "mentioned in", _ANY + ("Category",), ("Source",), (
        Prop("sections", STR_LIST, "章节", "Sections of the source that mention the start node (from its "
             "'source-id#section' citations)"),
    )),
)

DERIVED_REL_TYPES = ("CLASSIFIED_AS", "MENTIONED_IN")
"""Relationship types the writer derives from the ``liuxin`` and ``sources`` properties."""

NODE_TYPE_BY_LABEL: dict[str, NodeType] = {t.label: t for t in NODE_TYPES}
REL_TYPE_BY_NAME: dict[str, RelType] = {r.name: r for r in REL_TYPES}


def node_props(label: str) -> tuple[Prop, ...]:
    """All properties of a node type: the common ones then its own."""
    return COMMON_NODE_PROPS + NODE_TYPE_BY_LABEL[label].props


def rel_props(name: str) -> tuple[Prop, ...]:
    return COMMON_REL_PROPS + REL_TYPE_BY_NAME[name].props


def type_label(labels: list[str] | tuple[str, ...]) -> str | None:
    """The one type label among a node's labels (``None`` if there is none)."""
    for label in labels:
        if label in NODE_TYPE_BY_LABEL:
            return label
    return None


INDEXED_PROPERTIES = ("name", "region")
"""Lookup indexes created on every type label, besides the unique ``id``."""


def ontology_summary() -> dict:
    """The ontology as plain data (served by the API, used by the map legend)."""

    def prop_dict(p: Prop) -> dict:
        return {"name": p.name, "type": p.type.value, "zh": p.zh, "description": p.description,
                "required": p.required, "choices": list(p.choices)}

    return {
        "node_types": [{"label": t.label, "zh": t.zh, "en": t.en, "color": t.color, "shape": t.shape,
                        "properties": [prop_dict(p) for p in node_props(t.label)]} for t in NODE_TYPES],
        "relationship_types": [{"name": r.name, "zh": r.zh, "en": r.en, "starts": list(r.starts),
                                "ends": list(r.ends),
                                "properties": [prop_dict(p) for p in rel_props(r.name)]}
                               for r in REL_TYPES],
        "liuxin": [{"name": c.value, "id": LIUXIN_IDS[c], "en": LIUXIN_EN[c]} for c in Liuxin],
    }


_PROP_ORDER = {name: i for i, name in enumerate(dict.fromkeys(
    [p.name for p in COMMON_NODE_PROPS] + [p.name for t in NODE_TYPES for p in t.props]
    + [p.name for p in COMMON_REL_PROPS] + [p.name for r in REL_TYPES for p in r.props]))}


def ordered_properties(keys: Iterable[str]) -> list[str]:
    """Property names in the order the ontology declares them, unknown ones after them alphabetically."""
    return sorted(keys, key=lambda k: (_PROP_ORDER.get(k, len(_PROP_ORDER)), k))
