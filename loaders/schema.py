"""Making sure the store has the ontology's indexes and unique-id constraint before a load.

On FalkorDB the missing indexes are created one statement per label with all its properties
(``CREATE INDEX FOR (n:L) ON (n.id, n.name, n.region)``): FalkorDB rebuilds a label's index for
every statement, so on a freshly bulk-built graph this is several times faster than one statement
per property. ``db.indexes()`` lists a label's indexed properties together, which is what the
check below compares against. Other backends use ``store.setup_schema()`` (idempotent there).
"""

from __future__ import annotations

from graph.ontology import ENTITY_LABEL, INDEXED_PROPERTIES, NODE_TYPES
from graph.store import GraphStore

WANTED: dict[str, tuple[str, ...]] = {ENTITY_LABEL: ("id",), **{t.label: ("id", *INDEXED_PROPERTIES)
                                                                 for t in NODE_TYPES}}
"""Label → the properties indexed on it (labels and names from the ontology only)."""


def ensure_schema(store: GraphStore) -> None:
    if store.backend != "falkordb":
        store.setup_schema()
        return
    have: dict[str, set[str]] = {}
    for label, props in store.read("CALL db.indexes() YIELD label, properties RETURN label, properties").rows:
        have.setdefault(label, set()).update(props)
    for label, props in WANTED.items():
        missing = [p for p in props if p not in have.get(label, set())]
        if missing:
            store.write(f"CREATE INDEX FOR (n:{label}) ON ({', '.join(f'n.{p}' for p in missing)})")
    constraints = store.read("CALL db.constraints() YIELD type, label, properties, status "
                             "RETURN type, label, properties, status").rows
    if ["UNIQUE", ENTITY_LABEL, ["id"], "OPERATIONAL"] not in constraints:
        store._ensure_unique_id()
