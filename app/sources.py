"""The source documents and the facts that cite them, read from the store.

A citation is ``source-id#section`` (``src-sxrb#3``), the section being an index into the Source node's
``sections`` list; a bare ``source-id`` cites the document as a whole. A *fact* is a node or a
relationship whose ``sources`` list holds a citation. The relationships the loaders derive from a node's
``liuxin`` and ``sources`` (``DERIVED_REL_TYPES``: CLASSIFIED_AS, MENTIONED_IN) are not facts of their
own: they restate what the node already cites, so they are neither counted nor listed.

Which descriptive properties a source shows (title, publisher, …) follows the ontology's Source type:
a property the ontology does not declare is never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph.model import Node
from graph.ontology import DERIVED_REL_TYPES, NODE_TYPES, REL_TYPES, node_props
from graph.store import GraphStore

SOURCE_LABEL = "Source"
DESCRIPTIVE_FIELDS = ("title", "publisher", "date", "author", "description", "description_en")
"""Properties of a source shown with it, in this order, when the ontology's Source type declares them."""

MAX_FACTS = 5_000
"""Most nodes (and, separately, most relationships) one answer lists."""

_TYPE_ORDER = {t.label: i for i, t in enumerate(NODE_TYPES)}
_REL_ORDER = {r.name: i for i, r in enumerate(REL_TYPES)}
_DERIVED = list(DERIVED_REL_TYPES)

_ALL_SOURCES = "MATCH (s:Source) RETURN s ORDER BY s.id"
_ONE_SOURCE = "MATCH (s:Source {id: $id}) RETURN s"
# Citation counts, one row per distinct citation; ``$id`` null means every source.
_NODE_COUNTS = ("MATCH (n:Entity) WHERE n.sources IS NOT NULL UNWIND n.sources AS c WITH DISTINCT n, c "
                "WHERE $id IS NULL OR c = $id OR c STARTS WITH $prefix RETURN c, count(n)")
_REL_COUNTS = ("MATCH (:Entity)-[r]->(:Entity) WHERE r.sources IS NOT NULL AND NOT type(r) IN $derived "
               "UNWIND r.sources AS c WITH DISTINCT r, c "
               "WHERE $id IS NULL OR c = $id OR c STARTS WITH $prefix RETURN c, count(r)")
_CITING_NODES = "MATCH (n:Entity) WHERE $citation IN n.sources RETURN n ORDER BY n.id LIMIT $limit"
_CITING_RELS = ("MATCH (a:Entity)-[r]->(b:Entity) WHERE $citation IN r.sources AND NOT type(r) IN $derived "
                "RETURN a.id, a.name, a.name_en, type(r), properties(r), b.id, b.name, b.name_en "
                "ORDER BY a.id, type(r), b.id LIMIT $limit")


def _declared_fields() -> tuple[str, ...]:
    declared = {p.name for p in node_props(SOURCE_LABEL)}
    return tuple(name for name in DESCRIPTIVE_FIELDS if name in declared)




@dataclass(frozen=True)
class Section:
    key: str
    """As it appears after ``#`` in a citation (``"3"``)."""
    title: str | None
    listed: bool
    """True when the source's ``sections`` list has it; a cited section it lacks has no title."""
    nodes: int
    relationships: int

    @property
    def facts(self) -> int:
        return self.nodes + self.relationships


@dataclass(frozen=True)
class Source:
    id: str
    name: str | None
    name_en: str | None
    fields: dict[str, Any]
    """The descriptive properties the ontology declares (``DESCRIPTIVE_FIELDS``), ``None`` when not recorded."""
    sections: list[Section]
    whole_nodes: int = 0
    """Nodes citing the bare source id (no section)."""
    whole_relationships: int = 0

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


@dataclass(frozen=True)
class NodeFact:
    id: str
    type: str | None
    name: str | None
    name_en: str | None
    note: str | None
    note_en: str | None


@dataclass(frozen=True)
class RelFact:
    type: str
    start: str
    start_name: str | None
    start_name_en: str | None
    end: str
    end_name: str | None
    end_name_en: str | None
    note: str | None
    note_en: str | None
    role: str | None


@dataclass
class Facts:
    nodes: list[NodeFact] = field(default_factory=list)
    relationships: list[RelFact] = field(default_factory=list)
    truncated: bool = False
    """True when more than ``limit`` nodes or relationships cite the citation."""


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _section_sort_key(key: str) -> tuple[int, int, str]:
    return (0, int(key), "") if key.isascii() and key.isdigit() else (1, 0, key)


def _counts(store: GraphStore, source_id: str | None) -> tuple[dict[str, int], dict[str, int]]:
    params = {"id": source_id, "prefix": f"{source_id}#" if source_id is not None else "", "derived": _DERIVED}
    nodes = {str(c): int(n) for c, n in store.read(_NODE_COUNTS, params).rows}
    rels = {str(c): int(n) for c, n in store.read(_REL_COUNTS, params).rows}
    return nodes, rels


def _source(node: Node, nodes: dict[str, int], rels: dict[str, int]) -> Source:
    props = node.properties
    titles = props.get("sections")
    titles = titles if isinstance(titles, list) else []
    prefix = f"{node.id}#"
    cited = {c[len(prefix):] for c in (*nodes, *rels) if c.startswith(prefix) and len(c) > len(prefix)}
    listed = [str(i) for i in range(len(titles))]
    keys = listed + sorted(cited - set(listed), key=_section_sort_key)
    sections = [Section(key, _text(titles[int(key)]) if i < len(titles) else None, i < len(titles),
                        nodes.get(prefix + key, 0), rels.get(prefix + key, 0)) for i, key in enumerate(keys)]
    return Source(node.id, _text(props.get("name")), _text(props.get("name_en")),
                  {name: _text(props.get(name)) for name in _declared_fields()}, sections,
                  nodes.get(node.id, 0), rels.get(node.id, 0))


def all_sources(store: GraphStore) -> list[Source]:
    """Every Source node with its sections and how many facts cite each, by id."""
    nodes, rels = _counts(store, None)
    return [_source(n, nodes, rels) for (n,) in store.read(_ALL_SOURCES).rows]


def get_source(store: GraphStore, source_id: str) -> Source | None:
    """One source with its sections and their fact counts; ``None`` when no Source node has the id."""
    rows = store.read(_ONE_SOURCE, {"id": source_id}, row_cap=1).rows
    if not rows:
        return None
    return _source(rows[0][0], *_counts(store, source_id))


def citing(store: GraphStore, citation: str, limit: int = MAX_FACTS) -> Facts:
    """The nodes and relationships whose ``sources`` list holds exactly ``citation``: nodes by type (in
    the ontology's order) then name, relationships by type then their ends' names."""
    params = {"citation": citation, "limit": limit + 1, "derived": _DERIVED}
    node_rows = store.read(_CITING_NODES, params).rows
    rel_rows = store.read(_CITING_RELS, params).rows
    facts = Facts(truncated=len(node_rows) > limit or len(rel_rows) > limit)
    for (n,) in node_rows[:limit]:
        p = n.properties
        facts.nodes.append(NodeFact(n.id, n.type, _text(p.get("name")), _text(p.get("name_en")),
                                    _text(p.get("note")), _text(p.get("note_en"))))
    for a, a_name, a_en, rel_type, props, b, b_name, b_en in rel_rows[:limit]:
        props = props or {}
        facts.relationships.append(RelFact(str(rel_type), str(a), _text(a_name), _text(a_en), str(b), _text(b_name),
                                           _text(b_en), _text(props.get("note")), _text(props.get("note_en")),
                                           _text(props.get("role"))))
    facts.nodes.sort(key=lambda f: (_TYPE_ORDER.get(f.type or "", len(_TYPE_ORDER)), f.name or "", f.id))
    facts.relationships.sort(key=lambda f: (_REL_ORDER.get(f.type, len(_REL_ORDER)), f.start_name or "",
                                            f.end_name or "", f.start, f.end))
    return facts
