"""GEXF and GraphML files for graph tools (Gephi, yEd, networkx, igraph).

Node label = the entity's name (the id stays the node id); the node type and its Chinese name, the
relationship type and its Chinese name are attributes; lists are ``a|b`` text, booleans stay booleans.
Nothing internal to a library (no ``networkx_key``) and no timestamp, so the same graph always gives
the same file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any
from xml.sax.saxutils import XMLGenerator

from graph.ontology import NODE_TYPE_BY_LABEL, REL_TYPE_BY_NAME, ordered_properties
from loaders.cells import format_list

GRAPH_TOOL_FORMATS = ("graphml", "gexf")
GEXF_NAMESPACE = "http://gexf.net/1.3"
GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
NODE_FIXED = ("id", "node_type", "node_type_zh")
"""Node attributes every graph-tool file declares first: the entity id, its type and the type's Chinese name."""
EDGE_FIXED = ("rel_type", "rel_type_zh")
"""Edge attributes declared first: the relationship type and its Chinese name."""

Scalar = bool | int | float | str

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry, not even escaped."""


def _scalar(value: Any) -> Scalar | None:
    """A property value as one attribute value. Lists become the CSV cell text (``太钢|太钢集团``,
    read back by ``loaders.cells.parse_list``): one text column that Gephi shows, sorts and filters
    like any other; maps become JSON text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return format_list([str(v) for v in value])
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _xml_type(kinds: set[type]) -> str:
    """The one attribute type that holds every value seen: booleans stay booleans, whole numbers
    are ``long``, numbers ``double``, anything mixed is text."""
    if kinds == {bool}:
        return "boolean"
    if kinds == {int}:
        return "long"
    if kinds <= {int, float}:
        return "double"
    return "string"


def _text(value: Scalar, xml_type: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if xml_type == "double" or isinstance(value, float):
        return repr(float(value))
    return _NOT_XML.sub("\ufffd", str(value))


@dataclass
class GraphTable:
    """Nodes and relationships as graph tools read them: a label, a flat set of typed attributes
    (no internal key of any library), and the attributes each class declares, in a stable order."""

    nodes: list[tuple[str, str, dict[str, Scalar]]] = field(default_factory=list)
    """``(id, label, attributes)``: the label is the entity's name."""
    edges: list[tuple[str, str, str, dict[str, Scalar]]] = field(default_factory=list)
    """``(start, end, relationship type, attributes)``."""
    node_columns: dict[str, str] = field(default_factory=dict)
    """Attribute name -> GEXF/GraphML type, for nodes."""
    edge_columns: dict[str, str] = field(default_factory=dict)


def _attributes(fixed: dict[str, Any], props: dict[str, Any]) -> dict[str, Scalar]:
    merged = {**fixed, **{k: props[k] for k in ordered_properties(set(props) - set(fixed))}}
    return {k: s for k, v in merged.items() if (s := _scalar(v)) is not None}


def _columns(rows: Iterable[dict[str, Scalar]], fixed: tuple[str, ...]) -> dict[str, str]:
    kinds: dict[str, set[type]] = {}
    for attrs in rows:
        for key, value in attrs.items():
            kinds.setdefault(key, set()).add(type(value))
    order = [k for k in fixed if k in kinds] + ordered_properties(set(kinds) - set(fixed))
    return {k: _xml_type(kinds[k]) for k in order}


def graph_table(nodes: Iterable[tuple[str | None, dict[str, Any]]],
                relationships: Iterable[tuple[str, str, str, dict[str, Any]]]) -> GraphTable:
    """The graph-tool view of ``(label, properties)`` nodes and ``(type, start, end, properties)``
    relationships (the shapes ``iter_nodes`` and ``iter_relationships`` yield)."""
    table = GraphTable()
    for label, props in nodes:
        node_type = NODE_TYPE_BY_LABEL.get(label or "")
        attrs = _attributes({"id": props["id"], "node_type": label,
                             "node_type_zh": node_type.zh if node_type else None}, props)
        table.nodes.append((str(props["id"]), str(props.get("name") or props["id"]), attrs))
    for rel_type, start, end, props in relationships:
        rel = REL_TYPE_BY_NAME.get(rel_type)
        attrs = _attributes({"rel_type": rel_type, "rel_type_zh": rel.zh if rel else None}, props or {})
        table.edges.append((str(start), str(end), rel_type, attrs))
    table.node_columns = _columns((a for _, _, a in table.nodes), NODE_FIXED)
    table.edge_columns = _columns((a for _, _, _, a in table.edges), EDGE_FIXED)
    return table


class _Xml:
    """Streams indented XML (escaping every text and attribute value)."""

    def __init__(self, out: IO[bytes]) -> None:
        self._gen = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
        self._depth = 0
        self._gen.startDocument()

    def _indent(self) -> None:
        self._gen.ignorableWhitespace("\n" + "  " * self._depth)

    def open(self, tag: str, attrs: dict[str, str] | None = None) -> None:
        if self._depth:
            self._indent()
        self._gen.startElement(tag, {k: _NOT_XML.sub("\ufffd", v) for k, v in (attrs or {}).items()})
        self._depth += 1

    def close(self, tag: str, *, inline: bool = False) -> None:
        self._depth -= 1
        if not inline:
            self._indent()
        self._gen.endElement(tag)

    def leaf(self, tag: str, attrs: dict[str, str] | None = None, text: str | None = None) -> None:
        self.open(tag, attrs)
        if text is not None:
            self._gen.characters(text)
        self.close(tag, inline=True)

    def end(self) -> None:
        self._gen.ignorableWhitespace("\n")
        self._gen.endDocument()


def _edge_weight(attrs: dict[str, Scalar]) -> float | None:
    weight = attrs.get("weight")
    return float(weight) if isinstance(weight, int | float) and not isinstance(weight, bool) else None


def _write_gexf(table: GraphTable, out: IO[bytes]) -> None:
    """GEXF 1.3 as Gephi reads it: the node label is the name; every attribute is declared with
    its type under a numeric id (Gephi keys its columns by that id, so no property can collide
    with Gephi's own ``id``, ``label`` or ``weight`` columns); the relationship type is the edge's
    label and its ``kind`` (Gephi keeps parallel edges of different kinds apart); a numeric
    ``weight`` property is the edge weight."""
    node_ids = {name: str(i) for i, name in enumerate(table.node_columns)}
    # A numeric weight is the edge's own weight, not an attribute as well.
    numeric_weight = table.edge_columns.get("weight") in ("long", "double")
    edge_ids = {name: str(i) for i, name in enumerate(
        k for k in table.edge_columns if not (k == "weight" and numeric_weight))}
    xml = _Xml(out)
    xml.open("gexf", {"xmlns": GEXF_NAMESPACE, "version": "1.3"})
    xml.open("meta")
    xml.leaf("creator", text="ecomap 创新生态云图")
    xml.leaf("description", text="创新生态图谱 / innovation ecosystem graph")
    xml.close("meta")
    xml.open("graph", {"mode": "static", "defaultedgetype": "directed"})
    for cls, columns, ids in (("node", table.node_columns, node_ids), ("edge", table.edge_columns, edge_ids)):
        xml.open("attributes", {"class": cls, "mode": "static"})
        for name, attr_id in ids.items():
            xml.leaf("attribute", {"id": attr_id, "title": name, "type": columns[name]})
        xml.close("attributes")
    xml.open("nodes")
    for node_id, label, attrs in table.nodes:
        xml.open("node", {"id": node_id, "label": label})
        _gexf_values(xml, attrs, table.node_columns, node_ids)
        xml.close("node")
    xml.close("nodes")
    xml.open("edges")
    for i, (start, end, rel_type, attrs) in enumerate(table.edges):
        edge = {"id": f"e{i}", "source": start, "target": end, "label": rel_type, "kind": rel_type}
        if (weight := _edge_weight(attrs)) is not None:
            edge["weight"] = repr(weight)
        xml.open("edge", edge)
        _gexf_values(xml, attrs, table.edge_columns, edge_ids)
        xml.close("edge")
    xml.close("edges")
    xml.close("graph")
    xml.close("gexf")
    xml.end()


def _gexf_values(xml: _Xml, attrs: dict[str, Scalar], columns: dict[str, str], ids: dict[str, str]) -> None:
    values = [(ids[k], _text(v, columns[k])) for k, v in attrs.items() if k in ids]
    if values:
        xml.open("attvalues")
        for attr_id, text in values:
            xml.leaf("attvalue", {"for": attr_id, "value": text})
        xml.close("attvalues")


def _write_graphml(table: GraphTable, out: IO[bytes]) -> None:
    """GraphML with a ``label`` key on nodes (the name) and on edges (the relationship type), which
    Gephi and yEd take as labels; key ids ``k0``… never coincide with the ids Gephi reads as a
    yEd label (``d3``, ``d7``). GraphML has no edge kind: parallel relationships of different
    types stay distinct edges with their own ``rel_type``.

    The entity id is the node id only: igraph turns node ids into an ``id`` vertex attribute
    itself and, when a key of that name is declared too, or when edges carry ids, fills its
    edges' ``id`` attribute with vertex ids. So no ``id`` key is declared and edges have no id
    (GraphML makes both optional)."""
    node_columns = {"label": "string", **{k: t for k, t in table.node_columns.items() if k != "id"}}
    edge_columns = {"label": "string", **table.edge_columns}
    keys = {("node", name): f"k{i}" for i, name in enumerate(node_columns)}
    keys.update({("edge", name): f"k{len(node_columns) + i}" for i, name in enumerate(edge_columns)})
    xml = _Xml(out)
    xml.open("graphml", {"xmlns": GRAPHML_NAMESPACE})
    for (cls, name), key in keys.items():
        columns = node_columns if cls == "node" else edge_columns
        xml.leaf("key", {"id": key, "for": cls, "attr.name": name, "attr.type": columns[name]})
    xml.open("graph", {"id": "ecomap", "edgedefault": "directed"})
    for node_id, label, attrs in table.nodes:
        xml.open("node", {"id": node_id})
        _graphml_values(xml, {"label": label, **{k: v for k, v in attrs.items() if k != "id"}}, node_columns,
                        "node", keys)
        xml.close("node")
    for start, end, rel_type, attrs in table.edges:
        xml.open("edge", {"source": start, "target": end})
        _graphml_values(xml, {"label": rel_type, **attrs}, edge_columns, "edge", keys)
        xml.close("edge")
    xml.close("graph")
    xml.close("graphml")
    xml.end()


def _graphml_values(xml: _Xml, attrs: dict[str, Scalar], columns: dict[str, str], cls: str,
                    keys: dict[tuple[str, str], str]) -> None:
    for name, value in attrs.items():
        xml.leaf("data", {"key": keys[(cls, name)]}, _text(value, columns[name]))


def write_graph_file(fmt: str, nodes: Iterable[tuple[str | None, dict[str, Any]]],
                     relationships: Iterable[tuple[str, str, str, dict[str, Any]]], out: IO[bytes]) -> None:
    """Write ``gexf`` or ``graphml`` for Gephi, yEd, networkx and igraph: node label = name (the
    id stays the node id and an ``id`` attribute), ``node_type``/``node_type_zh``, edge label and
    ``rel_type`` = the relationship type (``rel_type_zh`` its Chinese name), lists as ``a|b`` text,
    booleans as booleans. Nodes are ``(label, properties)``, relationships ``(type, start, end,
    properties)``."""
    if fmt not in GRAPH_TOOL_FORMATS:
        raise ValueError(f"unknown graph file format {fmt!r}; use one of {', '.join(GRAPH_TOOL_FORMATS)}")
    table = graph_table(nodes, relationships)
    (_write_gexf if fmt == "gexf" else _write_graphml)(table, out)


