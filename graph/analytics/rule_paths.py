"""Following a rule path (a list of ``Hop``) through the store: from each start node, every node
the path reaches, with the relationships that reach it (the shortest such path, ties broken by
order, so that results are deterministic)."""

from __future__ import annotations

from typing import Any

from graph.analytics.completeness_rules import CLUSTER_TYPE, ROW_CAP, Hop, Step, match_pattern
from graph.store import GraphStore

Reached = dict[str, dict[str, tuple[Step, ...]]]
"""start id → id reached → the relationships from the start to it."""


def shorter(a: tuple[Step, ...] | None, b: tuple[Step, ...]) -> bool:
    """Whether path ``b`` should replace ``a``: shorter, or as long and first in order (deterministic)."""
    return a is None or (len(b), b) < (len(a), a)


def merge(into: Reached, more: Reached) -> None:
    for start, reached in more.items():
        mine = into.setdefault(start, {})
        for end, steps in reached.items():
            if shorter(mine.get(end), steps):
                mine[end] = steps


def follow(store: GraphStore, path: tuple[Hop, ...], starts: list[str], *, start_label: str = CLUSTER_TYPE,
           without: frozenset[str] = frozenset(), ends: list[str] | None = None) -> Reached:
    """For each of ``starts`` (nodes of ``start_label``): each node ``path`` reaches, passing through
    none of ``without`` and, when ``ends`` is given, ending at one of them.

    Each relationship is reported as stored, ``(type, start id, end id)``, whatever direction the
    hop follows it in.
    """
    params: dict[str, Any] = {"starts": starts}
    pattern, conditions, last = match_pattern(path, "c", "", params)
    if without:
        params["without"] = sorted(without)
        conditions += [f"NOT n{k}.id IN $without" for k in range(len(path))]
    if ends is not None:
        params["ends"] = list(ends)
        conditions.append(f"{last}.id IN $ends")
    where = " AND ".join(conditions)
    ids = ", ".join(f"n{k}.id" for k in range(len(path)))
    rels = ", ".join(f"[type(r{k}), startNode(r{k}).id]" for k in range(len(path)))
    cypher = (f"MATCH (c:{start_label}) WHERE c.id IN $starts MATCH {pattern}"
              f"{' WHERE ' + where if where else ''} RETURN c.id, [{ids}], [{rels}]")
    found: Reached = {}
    for start, nodes, types in store.read(cypher, params, row_cap=ROW_CAP).rows:
        steps: list[Step] = []
        previous = start
        for node, (rel, first) in zip(nodes, types, strict=True):
            steps.append((rel, previous, node) if first == previous else (rel, node, previous))
            previous = node
        reached = found.setdefault(start, {})
        if shorter(reached.get(previous), tuple(steps)):
            reached[previous] = tuple(steps)
    return found
