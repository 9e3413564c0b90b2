"""The checks that need the store, the derived edges, and what a load will change.

Before anything is written the plan knows, for every record: whether its endpoints exist (in the
input or the store) and have types the relationship allows; whether a node is new (then it needs
its required properties) or changes type (not allowed); which ``CLASSIFIED_AS`` edges its
``liuxin`` list and which ``MENTIONED_IN`` edges its ``sources`` citations imply; which records are
certainly new; and which derived edges are no longer given. Records the store already has are
compared with it inside the writing query (see ``loaders.writer``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

from graph.ontology import (
    ENTITY_LABEL,
    ID_PATTERN,
    LIUXIN_EN,
    LIUXIN_IDS,
    REL_TYPE_BY_NAME,
    Liuxin,
    node_props,
    type_label,
)
from graph.store import GraphStore
from loaders.headers import END, START, TYPE
from loaders.problems import a
from loaders.report import LoadReport
from loaders.validation import BAD, Collected, Loc, Table

CITATION = re.compile(rf"({ID_PATTERN.pattern[1:-1]})#([0-9A-Za-z_.-]{{1,32}})")
"""A citation: ``source-id#section``, e.g. ``src-sxrb#3``."""
LOOKUP_BATCH = 20_000
CATEGORY = "Category"
SOURCE = "Source"


@dataclass
class Plan:
    collected: Collected
    empty_store: bool
    existing: dict[str, str | None] = field(default_factory=dict)
    """Nodes already in the store that the input names: id → label."""
    node_new: dict[str, list[int]] = field(default_factory=dict)
    """Label → positions (in the table) of nodes the store does not have: certainly created."""
    node_existing: dict[str, list[int]] = field(default_factory=dict)
    """Nodes the store has: compared with it when written (updated or unchanged)."""
    rel_new: dict[str, list[int]] = field(default_factory=dict)
    """Relationships with at least one new endpoint: certainly created."""
    rel_existing_ends: dict[str, list[int]] = field(default_factory=dict)
    """Relationships between two existing nodes: compared with the store when written."""
    stale: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Derived edges to delete: their ``liuxin``/``sources`` entry is no longer given."""

    def report(self, dry_run: bool, files: list[str]) -> LoadReport:
        """The outcome counts known before writing (records the store already has are counted when written)."""
        report = LoadReport(dry_run=dry_run, files=files)
        for label, positions in self.node_new.items():
            report.count("node", label, "created", len(positions))
        for rel_type, positions in self.rel_new.items():
            report.count("rel", rel_type, "created", len(positions))
        for rel_type, pairs in self.stale.items():
            report.count("rel", rel_type, "deleted", len(pairs))
        return report


def make_plan(store: GraphStore, collected: Collected) -> Plan:
    """Check ``collected`` against the store and work out the changes; problems go to
    ``collected.problems`` (the caller rejects the load when there are any)."""
    empty = store.is_empty()
    plan = Plan(collected, empty)
    if not empty:
        wanted = set(collected.node_label) | _referenced_ids(collected)
        plan.existing = _lookup(store, wanted)
    _check_types_against_store(plan)
    _derive_mentions(plan)
    _derive_categories(plan)
    _check_endpoints(plan)
    _check_required(plan)
    if not collected.problems:
        _split_nodes(plan)
        _split_relationships(plan)
        if not empty:
            _find_stale(store, plan)
    return plan


# -- store lookups ---------------------------------------------------------------------
def _referenced_ids(collected: Collected) -> set[str]:
    """Ids the input points to (endpoints, cited sources, categories) but does not define."""
    ids = {node_id for table in collected.rels.values() for node_id in chain.from_iterable(table.keys)}
    for table in [*collected.nodes.values(), *collected.rels.values()]:
        for citations in table.columns.get("sources", ()):
            if citations is not None and citations is not BAD:
                ids.update(m[1] for c in citations if (m := CITATION.fullmatch(c)))
    ids.update(LIUXIN_IDS.values())
    return ids - set(collected.node_label)


def _lookup(store: GraphStore, ids: set[str]) -> dict[str, str | None]:
    """The type label of each of ``ids`` that the store has (ids come back grouped by label: a
    few long lists convert much faster than a row per node)."""
    found: dict[str, str | None] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), LOOKUP_BATCH):
        rows = store.send_rows("UNWIND $rows AS id MATCH (n:Entity {id: id}) "
                           f"RETURN [l IN labels(n) WHERE l <> '{ENTITY_LABEL}'] AS labels, collect(n.id)",
                    ordered[i:i + LOOKUP_BATCH], write=False).rows
        for labels, node_ids in rows:
            found.update(dict.fromkeys(node_ids, type_label(labels)))
    return found


def _label_of(plan: Plan, node_id: str) -> str | None:
    label = plan.collected.node_label.get(node_id)
    return label if label is not None else plan.existing.get(node_id)


# -- checks ----------------------------------------------------------------------------
def _check_types_against_store(plan: Plan) -> None:
    collected = plan.collected
    for label, table in collected.nodes.items():
        for pos, node_id in enumerate(table.keys):
            if node_id in plan.existing and plan.existing[node_id] != label:
                collected.problem(table.locs[pos], TYPE, f"{node_id!r} is of type {plan.existing[node_id]} in the "
                                                         f"store; a node cannot change its type to {label}")


def _check_endpoints(plan: Plan) -> None:
    collected = plan.collected
    labels = plan.existing | collected.node_label
    for rel_type, table in collected.rels.items():
        rel = REL_TYPE_BY_NAME[rel_type]
        allowed = {(s, e) for s in rel.starts for e in rel.ends}
        get = labels.get
        pairs = list(zip(map(get, map(itemgetter(0), table.keys)), map(get, map(itemgetter(1), table.keys)),
                         strict=True))
        if set(pairs) <= allowed:
            continue
        for pos in [pos for pos, pair in enumerate(pairs) if pair not in allowed]:
            (start, end), loc = table.keys[pos], table.locs[pos]
            start_label, end_label = get(start), get(end)
            for name, node_id, label in ((START, start, start_label), (END, end, end_label)):
                if label is None:
                    collected.problem(loc, name, f"no node with id {node_id!r} in the input or the store")
            if start_label and end_label:
                collected.problem(loc, TYPE, f"{rel_type} cannot go from {start_label} to {end_label}: it goes "
                                             f"from {'/'.join(rel.starts)} to {'/'.join(rel.ends)}")


def _check_required(plan: Plan) -> None:
    collected = plan.collected
    for label, table in collected.nodes.items():
        required = [p for p in node_props(label) if p.required and p.name != "id"]
        new = [pos for pos, node_id in enumerate(table.keys) if node_id not in plan.existing]
        for prop in required:
            column = table.columns.get(prop.name)
            for pos in new:
                if column is None or column[pos] is None:
                    collected.problem(table.locs[pos], prop.name,
                                      f"{label} {table.keys[pos]!r} is new and needs {prop.name} ({prop.zh})")


# -- derived edges ---------------------------------------------------------------------
def _derived_table(collected: Collected, rel_type: str) -> Table:
    return collected.rels.setdefault(rel_type, Table("rel", rel_type))


def _add_derived(plan: Plan, rel_type: str, key: tuple[str, str], loc: Loc, column: str,
                 props: dict[str, Any]) -> None:
    """Add an edge implied by a node's ``liuxin``/``sources``; an explicit record of the same edge
    must agree with it."""
    collected = plan.collected
    rel = REL_TYPE_BY_NAME[rel_type]
    start_label = collected.node_label[key[0]]
    end_label = _label_of(plan, key[1])
    if not rel.allows(start_label, end_label):
        collected.problem(loc, column, f"{a(start_label)} cannot have {column} ({rel_type} goes from "
                                       f"{'/'.join(rel.starts)})")
        return
    table = _derived_table(collected, rel_type)
    pos = table.index.get(key)
    if pos is None:
        table.append(key, loc, props)
        return
    for name, value in props.items():
        current = table.add_column(name)[pos]
        if current is None:
            table.columns[name][pos] = value
        elif current != value:
            collected.problem(table.locs[pos], name, f"{rel_type} {key[0]!r}→{key[1]!r} gives {name} = {current!r}, "
                                                     f"but the node's {column} imply {value!r}")


def _derive_mentions(plan: Plan) -> None:
    """``sources: [src-sxrb#3, src-sxrb#5]`` → MENTIONED_IN to ``src-sxrb`` with ``sections: ["3", "5"]``;
    relationship citations are checked the same way (they imply no edge)."""
    collected = plan.collected
    for table in [*collected.nodes.values(), *collected.rels.values()]:
        column = table.columns.get("sources")
        if column is None:
            continue
        for pos, citations in enumerate(column):
            if citations is None or citations is BAD:
                continue
            loc = table.locs[pos]
            sections: dict[str, list[str]] = {}
            for citation in citations:
                match = CITATION.fullmatch(citation)
                if match is None:
                    collected.problem(loc, "sources", f"{citation!r} is not a citation 'source-id#section' "
                                                      "(e.g. src-sxrb#3)")
                    continue
                source, section = match[1], match[2]
                label = _label_of(plan, source)
                if label != SOURCE:
                    found = f"it is {a(label)}" if label else "there is no such node in the input or the store"
                    collected.problem(loc, "sources", f"{citation!r} cites {source!r}, but {found}; "
                                                      f"citations name a Source node")
                    continue
                listed = sections.setdefault(source, [])
                if section not in listed:
                    listed.append(section)
            if table.kind == "node":
                for source, listed in sections.items():
                    _add_derived(plan, "MENTIONED_IN", (table.keys[pos], source), loc, "sources", {"sections": listed})


def _derive_categories(plan: Plan) -> None:
    """``liuxin: [新材料]`` → CLASSIFIED_AS to the 新材料 Category node (created, with its names,
    when neither the input nor the store has it)."""
    collected = plan.collected
    rel = REL_TYPE_BY_NAME["CLASSIFIED_AS"]
    implied: dict[str, list[str]] = {}
    keys: list[tuple[str, str]] = []
    locs: list[Loc] = []
    for table in list(collected.nodes.values()):
        column = table.columns.get("liuxin")
        if column is None:
            continue
        given = [pos for pos, v in enumerate(column) if v is not None and v is not BAD]
        if given and table.type not in rel.starts:
            for pos in given:
                collected.problem(table.locs[pos], "liuxin", f"{a(table.type)} cannot have liuxin (CLASSIFIED_AS goes "
                                                             f"from {'/'.join(rel.starts)})")
            continue
        for value in {v for pos in given for v in column[pos]}:
            _ensure_category(plan, Liuxin(value), table.locs[given[0]])
        for pos in given:
            targets = [LIUXIN_IDS[Liuxin(v)] for v in column[pos]]
            targets = [t for t in targets if _label_of(plan, t) == CATEGORY]
            implied[table.keys[pos]] = targets
            keys += [(table.keys[pos], t) for t in targets]
            locs += [table.locs[pos]] * len(targets)
    derived = _derived_table(collected, "CLASSIFIED_AS")
    explicit = set(derived.keys)
    for pos, (start, end) in enumerate(derived.keys):
        if start in implied and end not in implied[start]:
            collected.problem(derived.locs[pos], END, f"{start!r} is classified as {end!r} here, but its liuxin "
                                                      "list in the input does not include that category")
    fresh = [i for i, key in enumerate(keys) if key not in explicit]
    derived.extend([keys[i] for i in fresh], [locs[i] for i in fresh])


def _ensure_category(plan: Plan, category: Liuxin, loc: Loc) -> None:
    """The Category node of ``category`` exists (in the input or the store), or is created."""
    target = LIUXIN_IDS[category]
    if _label_of(plan, target) is None:
        _create_category(plan, category, loc)
    if _label_of(plan, target) != CATEGORY:
        plan.collected.problem(loc, "liuxin", f"{target!r} should be the {category.value} Category node, but it is "
                                              f"{a(str(_label_of(plan, target)))}")


def _create_category(plan: Plan, category: Liuxin, loc: Loc) -> None:
    collected = plan.collected
    table = collected.nodes.setdefault(CATEGORY, Table("node", CATEGORY))
    node_id = LIUXIN_IDS[category]
    collected.node_label[node_id] = CATEGORY
    table.append(node_id, loc, {"id": node_id, "name": category.value, "name_en": LIUXIN_EN[category]})


# -- what changes ----------------------------------------------------------------------
def _split_nodes(plan: Plan) -> None:
    existing = plan.existing
    for label, table in plan.collected.nodes.items():
        known = [node_id in existing for node_id in table.keys] if existing else [False] * len(table)
        plan.node_new[label] = [pos for pos, k in enumerate(known) if not k]
        plan.node_existing[label] = [pos for pos, k in enumerate(known) if k]


def _split_relationships(plan: Plan) -> None:
    existing = plan.existing
    for rel_type, table in plan.collected.rels.items():
        if not existing:
            plan.rel_new[rel_type] = list(range(len(table)))
            plan.rel_existing_ends[rel_type] = []
            continue
        both = [start in existing and end in existing for start, end in table.keys]
        plan.rel_new[rel_type] = [pos for pos, b in enumerate(both) if not b]
        plan.rel_existing_ends[rel_type] = [pos for pos, b in enumerate(both) if b]


def _find_stale(store: GraphStore, plan: Plan) -> None:
    """Derived edges of existing nodes whose ``liuxin``/``sources`` the input gives anew, pointing
    to a category or source no longer listed."""
    collected = plan.collected
    for rel_type, column in (("CLASSIFIED_AS", "liuxin"), ("MENTIONED_IN", "sources")):
        given = [node_id for table in collected.nodes.values() if column in table.columns
                 for pos, node_id in enumerate(table.keys)
                 if table.columns[column][pos] is not None and node_id in plan.existing]
        keep = set(collected.rels[rel_type].keys) if rel_type in collected.rels else set()
        stale: list[tuple[str, str]] = []
        for i in range(0, len(given), LOOKUP_BATCH):
            # The type comes from the ontology's fixed list above, never from input.
            rows = store.send_rows(f"UNWIND $rows AS id MATCH (:Entity {{id: id}})-[:{rel_type}]->(t:Entity) "
                               "RETURN id, t.id", given[i:i + LOOKUP_BATCH], write=False).rows
            stale += [(s, t) for s, t in rows if (s, t) not in keep]
        if stale:
            plan.stale[rel_type] = stale
