"""Reading the whole graph in pages: what the analytics projection is built from.

``GraphScan`` is what a store's ``scan`` returns. Pages are read by a few threads at once (both
engines serve reads on a pool of threads) and joined in order. The portable scan here pages by the
indexed business ``id`` (keyset pagination: each node page starts after the last id of the one
before, so every page is an index seek); an engine with a faster way overrides ``GraphStore.scan``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graph.ontology import ENTITY_LABEL

if TYPE_CHECKING:
    from graph.store import GraphStore

MAX_ROWS_PER_PAGE = 50_000_000


@dataclass
class GraphScan:
    """Every entity (id and its labels joined by commas) and every selected relationship as
    three parallel columns (start id, type, end id)."""

    node_ids: list[str] = field(default_factory=list)
    node_labels: list[str] = field(default_factory=list)
    starts: list[str] = field(default_factory=list)
    rel_types: list[str] = field(default_factory=list)
    ends: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RelFilter:
    """Which relationship types a scan reads: exactly ``types`` (``include``) or all but them."""

    types: tuple[str, ...]
    include: bool

    @property
    def condition(self) -> str:
        return "type(r) IN $types" if self.include else "NOT type(r) IN $types"


@dataclass
class PageProgress:
    total: int
    report: Callable[[int, int], None] | None
    done: int = 0

    def page_done(self) -> None:
        self.done += 1
        if self.report:
            self.report(self.done, self.total)


def read_parallel(fetch: Callable[[object], list[list]], pages: Sequence, width: int, workers: int,
                  progress: PageProgress) -> list[list]:
    """The ``width`` columns ``fetch`` returns for each page, read by ``workers`` threads, in page order."""
    columns: list[list] = [[] for _ in range(width)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for page in pool.map(fetch, pages):
            for column, values in zip(columns, page, strict=True):
                column.extend(values)
            progress.page_done()
    return columns


def _columns_of(rows: list[list], width: int) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)] or [[] for _ in range(width)]


_KEYSET_NODES = (f"MATCH (n:{ENTITY_LABEL}) WHERE n.id > $after "
                 "RETURN n.id AS id, labels(n) AS labels ORDER BY n.id LIMIT $size")
# The relationship variable is used in RETURN on purpose: FalkorDB collapses parallel relationships
# when it is not, and the portable scan should give every engine's true count.
_RANGE_EDGES = (f"MATCH (a:{ENTITY_LABEL})-[r]->(b) WHERE a.id >= $lo AND a.id <= $hi AND {{condition}} "
                "RETURN a.id, type(r), b.id")


def keyset_scan(store: GraphStore, rel_filter: RelFilter, *, page_size: int, workers: int,
                on_page: Callable[[int, int], None] | None) -> GraphScan:
    """The portable scan: node pages in id order, then the relationships starting in each page's id
    range (an index range seek per page, read in parallel)."""
    total = store.read(f"MATCH (n:{ENTITY_LABEL}) RETURN count(n)").scalar() or 0
    progress = PageProgress(2 * -(-total // page_size), on_page)
    scan = GraphScan()
    ranges: list[tuple[str, str]] = []
    after = ""
    while True:
        rows = store.read(_KEYSET_NODES, {"after": after, "size": page_size}, row_cap=page_size).rows
        if not rows:
            break
        scan.node_ids.extend(row[0] for row in rows)
        scan.node_labels.extend(",".join(sorted(row[1])) for row in rows)
        ranges.append((rows[0][0], rows[-1][0]))
        after = rows[-1][0]
        progress.page_done()
    progress.total = 2 * len(ranges)
    query = _RANGE_EDGES.format(condition=rel_filter.condition)

    def fetch(bounds: tuple[str, str]) -> list[list]:
        result = store.read(query, {"lo": bounds[0], "hi": bounds[1], "types": list(rel_filter.types)},
                            row_cap=MAX_ROWS_PER_PAGE)
        if result.truncated:
            raise RuntimeError("a projection page exceeded the row cap; lower page_size")
        return _columns_of(result.rows, 3)

    scan.starts, scan.rel_types, scan.ends = read_parallel(fetch, ranges, 3, workers, progress)
    return scan
