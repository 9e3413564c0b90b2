"""Which entities are local to the province and which lie outside it.

The home regions are named in the rules (``links.home_regions``); every Region ``PART_OF`` one of
them, or whose own ``region`` property names one, is home too. An entity's region is its
``region`` property, else the Region it is ``LOCATED_IN``. It is ``outside`` only when that region is
a known Region outside the home; a region the graph does not know, or none recorded, leaves it
``unknown``, which the chain counts as local and marks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graph.analytics.completeness_rules import ROW_CAP
from graph.store import GraphStore

LOCALITIES = ("local", "unknown", "outside")


@dataclass(frozen=True)
class Locality:
    home_ids: frozenset[str]
    home_names: frozenset[str]
    known_ids: frozenset[str]
    known_names: frozenset[str]

    @classmethod
    def read(cls, store: GraphStore, home_regions: Iterable[str]) -> Locality:
        """The home regions of ``store`` for the names (or ids) in ``home_regions``."""
        wanted = set(home_regions)
        regions = store.read("MATCH (r:Region) RETURN r.id, r.name, r.aliases, r.region", row_cap=ROW_CAP).rows
        parts = store.read("MATCH (a:Region)-[:PART_OF]->(b:Region) RETURN a.id, b.id", row_cap=ROW_CAP).rows
        names: dict[str, set[str]] = {}
        parent_of: dict[str, set[str]] = {}
        for rid, name, aliases, region in regions:
            names[rid] = {n for n in [name, *(aliases if isinstance(aliases, list) else [])] if isinstance(n, str)}
            if isinstance(region, str):
                parent_of.setdefault(rid, set()).add(region)
        by_name = {n: rid for rid, ns in names.items() for n in ns}
        for child, parent in parts:
            parent_of.setdefault(child, set()).add(parent)
        home = {rid for rid, ns in names.items() if rid in wanted or ns & wanted}

        def inside(rid: str, path: frozenset[str] = frozenset()) -> bool:
            if rid in home:
                return True
            for parent in parent_of.get(rid, ()):
                parent_id = parent if parent in names else by_name.get(parent)
                if parent_id and parent_id not in path and inside(parent_id, path | {rid}):
                    return True
            return False

        home_ids = frozenset(rid for rid in names if inside(rid))
        return cls(home_ids, frozenset(n for rid in home_ids for n in names[rid]) | frozenset(wanted),
                   frozenset(names), frozenset(by_name))

    def of(self, region: object, located: Iterable[str] = ()) -> str:
        """``local``, ``outside`` or ``unknown`` for an entity's region property and its LOCATED_IN regions.

        Examples
        --------
        >>> where = Locality(frozenset({"sx"}), frozenset({"山西省"}), frozenset({"sx", "js"}),
        ...                  frozenset({"山西省", "江苏省"}))
        >>> where.of("山西省"), where.of("江苏省"), where.of("火星"), where.of(None, ["js"]), where.of(None)
        ('local', 'outside', 'unknown', 'outside', 'unknown')
        """
        if isinstance(region, str) and region:
            if region in self.home_names:
                return "local"
            return "outside" if region in self.known_names else "unknown"
        located = set(located)
        if located & self.home_ids:
            return "local"
        return "outside" if located & self.known_ids else "unknown"


def localities(store: GraphStore, where: Locality, regions: dict[str, object]) -> dict[str, str]:
    """entity id → locality, for entities given with their ``region`` property; those without one
    are looked up by the Regions they are LOCATED_IN."""
    unplaced = sorted(e for e, region in regions.items() if not (isinstance(region, str) and region))
    located: dict[str, list[str]] = {}
    if unplaced:
        rows = store.read("MATCH (n:Entity)-[:LOCATED_IN]->(r:Region) WHERE n.id IN $ids RETURN n.id, collect(r.id)",
                          {"ids": unplaced}, row_cap=ROW_CAP).rows
        located = {node: list(found) for node, found in rows}
    return {e: where.of(region, located.get(e, ())) for e, region in regions.items()}
