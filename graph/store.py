"""The ``GraphStore`` interface every backend implements, and the factory that picks one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from graph.model import QueryResult, Stats
from graph.ontology import ENTITY_LABEL, NODE_TYPE_BY_LABEL, PropType
from graph.paging import GraphScan, RelFilter, keyset_scan
from graph.write_lock import LockHolder

DEFAULT_TIMEOUT_MS = 30_000
DEFAULT_ROW_CAP = 100_000
DEFAULT_BATCH_SIZE = 5_000
DEFAULT_QUERY_MEMORY_MB = 1024
"""What one query may allocate in a store server the project runs: far above any query the product
runs on a province-scale graph, small enough that the queries running at once (one per core) fit
beside the graph."""


def batched(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


@dataclass(frozen=True)
class BulkTable:
    """Records of one type laid out by column, for ``GraphStore.bulk_build``.

    ``keys`` are node ids, or ``(start id, end id)`` pairs for relationships; ``columns`` maps each
    property to one value per record (``None``: not given); ``prop_types`` gives each property's type."""

    type: str
    keys: Sequence[Any]
    columns: dict[str, list[Any]]
    prop_types: dict[str, PropType]

    def __len__(self) -> int:
        return len(self.keys)


class GraphStore(ABC):
    """A property-graph store speaking Cypher.

    Every call has a timeout (milliseconds) and a row cap; results use the neutral model of
    ``graph.model``; engine errors are raised as ``graph.errors`` exceptions.
    """

    backend: str = ""

    def __init__(self, *, timeout_ms: int = DEFAULT_TIMEOUT_MS, row_cap: int = DEFAULT_ROW_CAP) -> None:
        self.timeout_ms = timeout_ms
        self.row_cap = row_cap

    # -- queries -------------------------------------------------------------------------
    @abstractmethod
    def _run(self, cypher: str, params: dict[str, Any], *, read_only: bool, timeout_ms: int,
             row_cap: int) -> QueryResult: ...

    def read(self, cypher: str, params: dict[str, Any] | None = None, *, timeout_ms: int | None = None,
             row_cap: int | None = None) -> QueryResult:
        """Run a query read-only: the engine refuses any write (``ReadOnlyViolation``)."""
        return self._run(cypher, params or {}, read_only=True, timeout_ms=timeout_ms or self.timeout_ms,
                         row_cap=row_cap or self.row_cap)

    def write(self, cypher: str, params: dict[str, Any] | None = None, *, timeout_ms: int | None = None,
              row_cap: int | None = None) -> QueryResult:
        result = self._run(cypher, params or {}, read_only=False,
                           timeout_ms=timeout_ms or self.timeout_ms, row_cap=row_cap or self.row_cap)
        if any(result.counters.values()):
            self._bump_version()
        return result

    def write_batches(self, cypher: str, rows: Iterable[dict], *, batch_size: int = DEFAULT_BATCH_SIZE,
                      timeout_ms: int | None = None,
                      on_batch: Callable[[int, dict[str, int]], None] | None = None) -> dict[str, int]:
        """Run ``cypher`` (which reads its input as ``UNWIND $rows AS row``) once per batch.

        Returns the summed counters; ``on_batch(rows_in_batch, counters)`` reports progress.
        """
        if "$rows" not in cypher:
            raise ValueError("a batched write must read its input from the parameter $rows")
        totals: dict[str, int] = {}
        for batch in batched(rows, batch_size):
            counters = self.write(cypher, {"rows": batch}, timeout_ms=timeout_ms).counters
            for key, value in counters.items():
                totals[key] = totals.get(key, 0) + value
            if on_batch:
                on_batch(len(batch), counters)
        return totals

    def send_rows(self, cypher: str, rows: list[Any], *, write: bool = True) -> QueryResult:
        """Run ``cypher`` with ``$rows`` bound to ``rows`` (a list of lists or scalars); an engine may
        override how the rows travel."""
        if write:
            return self.write(cypher, {"rows": rows})
        return self.read(cypher, {"rows": rows}, row_cap=max(self.row_cap, len(rows) * 64))

    # -- engine-specific paths with portable defaults -------------------------------------
    can_bulk_build: bool = False
    """True where ``bulk_build`` is faster than batched ``CREATE`` into an empty store."""

    def bulk_build(self, nodes: Sequence[BulkTable], rels: Sequence[BulkTable],
                   advance: Callable[[int], None]) -> None:
        """Build the graph in an empty store at once (only where ``can_bulk_build``); ``advance(n)``
        reports records written."""
        raise NotImplementedError(f"the {self.backend} store has no bulk build")

    def scan(self, rel_filter: RelFilter, *, page_size: int, workers: int,
             on_page: Callable[[int, int], None] | None = None) -> GraphScan:
        """Every entity and every relationship ``rel_filter`` selects, read in pages."""
        return keyset_scan(self, rel_filter, page_size=page_size, workers=workers, on_page=on_page)

    # -- the graph's write lock (see graph.write_lock) -----------------------------------
    @abstractmethod
    def take_write_lock(self, token: str, owner: str, lease_ms: int) -> LockHolder | None:
        """Take the graph's write lock as ``token`` for ``lease_ms``; ``None`` when taken, else who
        holds it. Atomic across processes and machines."""

    @abstractmethod
    def renew_write_lock(self, token: str, lease_ms: int) -> bool:
        """Extend the lease of the lock held as ``token``; False if it is no longer held."""

    @abstractmethod
    def release_write_lock(self, token: str) -> None:
        """Give the lock up, if ``token`` still holds it."""

    @property
    def identity(self) -> tuple[str, ...]:
        """Which graph this is (engine, address, graph or database), for caches shared by stores."""
        return (self.backend,)

    def is_empty(self) -> bool:
        """True when the graph holds no node at all (the store's own bookkeeping aside)."""
        return not self.read("MATCH (n) RETURN count(n)").scalar()

    # -- schema, stats, version ----------------------------------------------------------
    @abstractmethod
    def setup_schema(self) -> None:
        """Create, if missing, the unique ``id`` constraint and the lookup indexes the ontology asks for."""

    def stats(self) -> Stats:
        labels: dict[str, int] = {}
        for row in self.read("MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n").rows:
            if row[0] == ENTITY_LABEL or row[0] in NODE_TYPE_BY_LABEL:
                labels[row[0]] = row[1]
        # The relationship variable is bound on purpose: FalkorDB undercounts parallel
        # relationships when it is not.
        rels = {row[0]: row[1] for row in
                self.read("MATCH ()-[r]->() RETURN type(r) AS t, count(r) AS n").rows}
        return Stats(labels=dict(sorted(labels.items())), relationship_types=dict(sorted(rels.items())))

    @abstractmethod
    def version(self) -> int:
        """A number that changes with every write that changed the graph (for result caches)."""

    @abstractmethod
    def _bump_version(self) -> None: ...

    @abstractmethod
    def clear(self) -> None:
        """Delete every node and relationship of this graph (schema may be kept)."""

    def drop(self) -> None:
        """Delete the graph as far as the engine allows: the graph itself where an engine holds many
        (FalkorDB), otherwise its contents. The version keeps counting up, so caches never mistake a
        new graph for an old one."""
        self.clear()

    @abstractmethod
    def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the store answers."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
