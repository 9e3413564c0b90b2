"""One table from column headers (English or Chinese) to ontology fields, and from type names
(label or Chinese name) to node labels and relationship types — both derived from the ontology.

Headers are matched after Unicode NFKC normalisation, trimming and case folding, so ``Name``,
`` name `` and full-width ``ｎａｍｅ`` all mean ``name``. Data values are never normalised.
"""

from __future__ import annotations

import unicodedata

from graph.ontology import (
    COMMON_NODE_PROPS,
    COMMON_REL_PROPS,
    NODE_TYPES,
    REL_TYPES,
    Prop,
    node_props,
    rel_props,
)

TYPE, START, END = "type", "start", "end"
"""The record fields that are not properties."""

STRUCTURAL_HEADERS: dict[str, tuple[str, ...]] = {
    TYPE: ("类型",),
    START: ("起点",),
    END: ("终点",),
}


def normalize_header(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _header_table() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(header: str, field: str) -> None:
        key = normalize_header(header)
        if table.setdefault(key, field) != field:
            raise RuntimeError(f"ontology: header {header!r} would mean both {table[key]!r} and {field!r}")

    for field, names in STRUCTURAL_HEADERS.items():
        for name in (field, *names):
            add(name, field)
    props: list[Prop] = [*COMMON_NODE_PROPS, *COMMON_REL_PROPS]
    props += [p for t in NODE_TYPES for p in t.props] + [p for r in REL_TYPES for p in r.props]
    for prop in props:
        for name in (prop.name, prop.zh, *prop.aliases):
            add(name, prop.name)
    return table


HEADER_TABLE: dict[str, str] = _header_table()
"""Normalised header → field name (``type``, ``start``, ``end`` or a property name)."""


def field_for_header(header: str) -> str | None:
    return HEADER_TABLE.get(normalize_header(header))


def _type_table() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}

    def add(name: str, kind: str, canonical: str) -> None:
        key = normalize_header(name)
        if table.setdefault(key, (kind, canonical)) != (kind, canonical):
            raise RuntimeError(f"ontology: type name {name!r} is ambiguous")

    for t in NODE_TYPES:
        for name in (t.label, t.zh):
            add(name, "node", t.label)
    for r in REL_TYPES:
        for name in (r.name, r.zh):
            add(name, "rel", r.name)
    return table


TYPE_TABLE: dict[str, tuple[str, str]] = _type_table()
"""Normalised type name → (``"node"`` or ``"rel"``, label or relationship type)."""


def resolve_type(value: str) -> tuple[str, str] | None:
    """``("node", "Enterprise")`` for ``企业``/``Enterprise``, ``("rel", "MEMBER_OF")`` for
    ``属于集群``/``MEMBER_OF``; ``None`` for anything else."""
    return TYPE_TABLE.get(normalize_header(value))


NODE_FIELDS: dict[str, dict[str, Prop]] = {t.label: {p.name: p for p in node_props(t.label)} for t in NODE_TYPES}
REL_FIELDS: dict[str, dict[str, Prop]] = {r.name: {p.name: p for p in rel_props(r.name)} for r in REL_TYPES}


def fields_of(kind: str, name: str) -> dict[str, Prop]:
    """The properties a record of this node label or relationship type may carry."""
    return NODE_FIELDS[name] if kind == "node" else REL_FIELDS[name]
