"""Sending a batch of rows to the store as the ``$rows`` parameter.

For FalkorDB the parameter header (``CYPHER rows=[…] <query>``, which its client builds with a
generic encoder in Python) is written with ``json``: FalkorDB's parameter syntax reads JSON arrays,
strings (``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t`` escapes), numbers, ``true``/``false``/``null`` —
everything validation lets through (no other control characters, no NaN) — and this is many times
faster on large batches. Rows are lists, never maps, because JSON's quoted keys are not Cypher's.
Other backends get the parameter through their driver.
"""

from __future__ import annotations

import json
from typing import Any

from graph.model import QueryResult
from graph.store import GraphStore


def send(store: GraphStore, cypher: str, rows: list[Any], *, write: bool = True) -> QueryResult:
    """Run ``cypher`` with ``$rows`` bound to ``rows`` (a list of lists or scalars)."""
    if store.backend == "falkordb":
        header = json.dumps(rows, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        # json writes \uXXXX only for control characters, which FalkorDB would keep as six characters:
        # such rows (validation lets none through) go the generic way below.
        if "\\u" not in header:
            text = f"CYPHER rows={header} {cypher}"
            return store.write(text) if write else store.read(text, row_cap=max(store.row_cap, len(rows) * 64))
    if write:
        return store.write(cypher, {"rows": rows})
    return store.read(cypher, {"rows": rows}, row_cap=max(store.row_cap, len(rows) * 64))
