"""The graph the analytics run on: projected from the store in pages, or wrapped around a
networkx graph, and handed to networkx or igraph.

The metrics treat the ecosystem as an undirected simple graph: a relationship means two actors
are connected, whatever its direction, and two actors joined by several relationship types
(an enterprise that is a member of a cluster and also leads it) are one connection. The typed,
directed relationships stay available (``Projection.edges``) for rules that need them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import igraph as ig
import networkx as nx
import numpy as np

from graph.ontology import DERIVED_REL_TYPES, ENTITY_LABEL, type_label
from graph.store import GraphStore

DEFAULT_PAGE_SIZE = 12_500
"""Internal node ids per projection page: small enough that pages read in parallel keep the
store's threads busy, large enough that a 100k-node graph takes a handful of queries."""
DEFAULT_WORKERS = 2

_MAX_ROWS_PER_PAGE = 50_000_000
_CONSISTENT_ATTEMPTS = 3


@dataclass(frozen=True, eq=False)
class Projection:
    """An ecosystem graph held as arrays: node ids and types, typed directed relationships.

    Parameters
    ----------
    ids : sequence of str
        Node ids; a node's position is its index in the arrays below.
    types : sequence of str or None
        The type label of each node (``Enterprise``, ``Cluster``…).
    sources, targets : numpy int arrays
        Start and end node index of every relationship.
    rel_types : numpy int array
        Index into ``rel_type_names`` of every relationship.
    rel_type_names : tuple of str
        The relationship types present.
    version : int or None
        The store's graph version the projection was read at (``None`` when not from a store).

    Examples
    --------
    >>> P = Projection.from_networkx(nx.path_graph(["a", "b", "c"]))
    >>> P.number_of_nodes(), P.number_of_edges()
    (3, 2)
    >>> sorted(P.to_networkx().edges())
    [('a', 'b'), ('b', 'c')]
    """

    ids: tuple[str, ...]
    types: tuple[str | None, ...]
    sources: np.ndarray
    targets: np.ndarray
    rel_types: np.ndarray
    rel_type_names: tuple[str, ...]
    version: int | None = None

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_edges(cls, nodes: Iterable[tuple[str, str | None]], edges: Iterable[tuple[str, str, str]],
                   version: int | None = None) -> Projection:
        """Build from ``(id, type)`` pairs and ``(start_id, rel_type, end_id)`` triples.

        Edges may name nodes that are not in ``nodes``; they are added with type ``None``.

        Examples
        --------
        >>> P = Projection.from_edges([("c", "Cluster")], [("e", "MEMBER_OF", "c")])
        >>> P.ids, P.types
        (('c', 'e'), ('Cluster', None))
        """
        node_ids, node_types = _columns(nodes, 2)
        starts, rel_types, ends = _columns(edges, 3)
        return cls.from_columns(node_ids, node_types, starts, rel_types, ends, version=version)

    @classmethod
    def from_columns(cls, node_ids: Sequence[str], node_types: Sequence[str | None], starts: Sequence[str],
                     rel_types: Sequence[str], ends: Sequence[str], version: int | None = None) -> Projection:
        """Build from columns: node ids and their types; relationship starts, types and ends."""
        index: dict[str, int] = {}
        types: list[str | None] = []
        for node_id, node_type in zip(node_ids, node_types, strict=True):
            if node_id not in index:
                index[node_id] = len(types)
                types.append(node_type)
        get = index.get
        src = [get(node_id, -1) for node_id in starts]
        dst = [get(node_id, -1) for node_id in ends]
        if -1 in src or -1 in dst:
            for node_id in (*starts, *ends):
                if node_id not in index:
                    index[node_id] = len(types)
                    types.append(None)
            src = [index[node_id] for node_id in starts]
            dst = [index[node_id] for node_id in ends]
        rel_index = {name: i for i, name in enumerate(dict.fromkeys(rel_types))}
        rel = [rel_index[name] for name in rel_types]
        return cls(ids=tuple(index), types=tuple(types), sources=np.array(src, dtype=np.int64),
                   targets=np.array(dst, dtype=np.int64), rel_types=np.array(rel, dtype=np.int64),
                   rel_type_names=tuple(rel_index), version=version)

    @classmethod
    def from_networkx(cls, G: nx.Graph) -> Projection:
        """Wrap a networkx graph: node attribute ``type`` is the node type; the relationship type
        is the edge attribute ``type``, else the multigraph key when it is a string, else ``RELATED``.

        Examples
        --------
        >>> G = nx.MultiDiGraph()
        >>> G.add_node("c", type="Cluster")
        >>> G.add_edge("e", "c", key="MEMBER_OF")
        'MEMBER_OF'
        >>> Projection.from_networkx(G).edges()
        [('e', 'MEMBER_OF', 'c')]
        """
        def triples() -> Iterable[tuple[str, str, str]]:
            if G.is_multigraph():
                for u, v, key, data in G.edges(keys=True, data=True):
                    yield u, data.get("type", key if isinstance(key, str) else "RELATED"), v
            else:
                for u, v, data in G.edges(data=True):
                    yield u, data.get("type", "RELATED"), v

        return cls.from_edges(((n, d.get("type")) for n, d in G.nodes(data=True)), triples())

    # -- size and content ----------------------------------------------------------------
    def number_of_nodes(self) -> int:
        return len(self.ids)

    def number_of_edges(self) -> int:
        """Relationships, counted as stored (typed and directed)."""
        return len(self.sources)

    @cached_property
    def index(self) -> dict[str, int]:
        """Node id → position."""
        return {node_id: i for i, node_id in enumerate(self.ids)}

    def edges(self, rel_type: str | None = None) -> list[tuple[str, str, str]]:
        """The relationships as ``(start_id, type, end_id)``, optionally of one type."""
        ids, names = self.ids, self.rel_type_names
        rows = zip(self.sources.tolist(), self.rel_types.tolist(), self.targets.tolist(), strict=True)
        return [(ids[s], names[r], ids[t]) for s, r, t in rows if rel_type is None or names[r] == rel_type]

    def nodes_of_type(self, node_type: str) -> list[str]:
        return [node_id for node_id, t in zip(self.ids, self.types, strict=True) if t == node_type]

    @cached_property
    def simple_edges(self) -> np.ndarray:
        """The undirected simple graph the metrics use: unique ``(u, v)`` index pairs with u < v,
        self-loops dropped, as an ``(m, 2)`` array sorted by ``(u, v)``."""
        u = np.minimum(self.sources, self.targets)
        v = np.maximum(self.sources, self.targets)
        keep = u != v
        n = max(len(self.ids), 1)
        codes = np.sort(u[keep] * n + v[keep])  # sorting then dropping repeats beats np.unique here
        codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes
        return np.column_stack((codes // n, codes % n))

    # -- engines -------------------------------------------------------------------------
    @cached_property
    def igraph(self) -> ig.Graph:
        """The metric graph in igraph; vertex ``i`` is node ``ids[i]``."""
        g = ig.Graph(n=len(self.ids), directed=False)
        e = self.simple_edges
        g.add_edges(list(zip(e[:, 0].tolist(), e[:, 1].tolist(), strict=True)))
        return g

    @cached_property
    def networkx(self) -> nx.Graph:
        """The metric graph in networkx, built once and shared: treat it as read-only
        (``to_networkx`` gives a copy of your own)."""
        return self.to_networkx()

    def to_networkx(self) -> nx.Graph:
        """The metric graph in networkx (undirected, simple), nodes in projection order, with
        the node attribute ``type``.

        Examples
        --------
        >>> P = Projection.from_edges([], [("a", "R", "b"), ("b", "S", "a")])
        >>> list(P.to_networkx().edges())
        [('a', 'b')]
        """
        G = nx.Graph()
        G.add_nodes_from((node_id, {"type": t}) for node_id, t in zip(self.ids, self.types, strict=True))
        ids = self.ids
        G.add_edges_from((ids[u], ids[v]) for u, v in self.simple_edges.tolist())
        return G

    def to_multidigraph(self) -> nx.MultiDiGraph:
        """Every typed, directed relationship in networkx; the edge key is the relationship type."""
        G = nx.MultiDiGraph()
        G.add_nodes_from((node_id, {"type": t}) for node_id, t in zip(self.ids, self.types, strict=True))
        G.add_edges_from((s, t, r, {"type": r}) for s, r, t in self.edges())
        return G


def as_projection(G: Projection | nx.Graph) -> Projection:
    """A ``Projection`` for any graph the analytics accept (projections pass through)."""
    if isinstance(G, Projection):
        return G
    if isinstance(G, nx.Graph):
        return Projection.from_networkx(G)
    raise TypeError(f"expected a networkx graph or a Projection, got {type(G).__name__}")


# -- from the store ------------------------------------------------------------------------
# Pages are ranges of the engine's internal node ids: both engines answer id() and seek by it.
# Paging by the business id does not work on FalkorDB: a range condition on an indexed string
# property (n.id < $hi) returns nodes outside the range.
_MAX_ID = f"MATCH (n:{ENTITY_LABEL}) RETURN max(id(n))"
_NODES_MATCH = f"MATCH (n:{ENTITY_LABEL}) WHERE id(n) >= $lo AND id(n) < $hi "
# The relationship variable is used in RETURN on purpose: FalkorDB collapses parallel
# relationships when it is not (DESIGN §3). The end node's label is not checked: every node the
# project writes is an Entity, and the check costs FalkorDB about as much as the traversal.
_EDGES_MATCH = (f"MATCH (a:{ENTITY_LABEL})-[r]->(b) WHERE id(a) >= $lo AND id(a) < $hi "
                "AND {type_filter} ")
_UNIT, _RECORD = "\x1f", "\x1e"
"""Separators of packed pages (ASCII unit and record separators, passed as parameters)."""


@dataclass(frozen=True)
class _PageQueries:
    """How one backend returns a page: one row per node or relationship (portable), or the whole
    page packed into one string (FalkorDB's ``string.join``: the client then parses one value
    instead of one per row, which is most of the cost of a large read)."""

    nodes: str
    edges: str
    packed: bool


_PORTABLE = _PageQueries(nodes=_NODES_MATCH + "RETURN n.id, labels(n)",
                         edges=_EDGES_MATCH + "RETURN a.id, type(r), b.id", packed=False)
_FALKORDB = _PageQueries(
    nodes=_NODES_MATCH + "RETURN string.join(collect(n.id + $unit + string.join(labels(n), ',')), $record)",
    edges=_EDGES_MATCH + "RETURN string.join(collect(a.id + $unit + type(r) + $unit + b.id), $record)",
    packed=True)


def _page_queries(store: GraphStore) -> _PageQueries:
    return _FALKORDB if store.backend == "falkordb" else _PORTABLE


def project(store: GraphStore, *, rel_types: Sequence[str] | None = None,
            exclude_rel_types: Sequence[str] = DERIVED_REL_TYPES, page_size: int = DEFAULT_PAGE_SIZE,
            workers: int = DEFAULT_WORKERS, on_page: Callable[[int, int], None] | None = None) -> Projection:
    """Read every entity and relationship of the store into a ``Projection``.

    Parameters
    ----------
    store : GraphStore
    rel_types : sequence of str, optional
        Only these relationship types (default: all but ``exclude_rel_types``).
    exclude_rel_types : sequence of str
        Relationship types left out; by default the derived provenance and 六新 links
        (``MENTIONED_IN``, ``CLASSIFIED_AS``), which would make every source document and
        category the centre of the graph.
    page_size : int
        Internal node ids per read query.
    workers : int
        Pages read at the same time.
    on_page : callable, optional
        ``on_page(done, total)`` after each page (``total`` pages are read twice: nodes, then
        relationships).

    Returns
    -------
    Projection
        With ``version`` set to the store's version when the read began. The read is retried
        when a write lands in the middle; under a stream of writes the last attempt is kept and
        the next version check sees it is stale.

    Examples
    --------
    >>> P = project(store)  # doctest: +SKIP
    >>> P.number_of_nodes(), P.number_of_edges()  # doctest: +SKIP
    (120, 311)
    """
    if page_size < 1 or workers < 1:
        raise ValueError("page_size and workers must be positive")
    if rel_types is not None:
        type_filter, type_params = "type(r) IN $types", {"types": list(rel_types)}
    else:
        type_filter, type_params = "NOT type(r) IN $types", {"types": list(exclude_rel_types)}
    queries = _page_queries(store)
    edges_query = queries.edges.format(type_filter=type_filter)
    for _ in range(_CONSISTENT_ATTEMPTS):
        version = store.version()
        max_id = store.read(_MAX_ID).scalar()
        bounds = range(0, (max_id if max_id is not None else -1) + 1, page_size)
        progress = _Progress(2 * len(bounds), on_page)
        node_ids, labels = _read_pages(store, queries, queries.nodes, 2, {}, bounds, page_size, workers, progress)
        starts, rel_types, ends = _read_pages(store, queries, edges_query, 3, type_params, bounds, page_size,
                                              workers, progress)
        if store.version() == version:
            break
    # packed pages give a node's labels joined by commas, portable ones a list
    label_keys = [key if isinstance(key, str) else ",".join(key) for key in labels]
    types_of = {key: type_label(key.split(",")) for key in set(label_keys)}
    node_types = [types_of[key] for key in label_keys]
    return Projection.from_columns(node_ids, node_types, starts, rel_types, ends, version=version)


@dataclass
class _Progress:
    total: int
    report: Callable[[int, int], None] | None
    done: int = 0

    def page_done(self) -> None:
        self.done += 1
        if self.report:
            self.report(self.done, self.total)


def _read_pages(store: GraphStore, queries: _PageQueries, query: str, width: int, extra: dict, bounds: range,
                page_size: int, workers: int, progress: _Progress) -> list[list]:
    """The ``width`` columns of ``query`` over every page of internal ids, pages read by
    ``workers`` threads (the store serves reads on a pool of threads) and joined in order."""

    def fetch(lo: int) -> list:
        params = {"lo": lo, "hi": lo + page_size, **extra}
        if queries.packed:
            text = store.read(query, {**params, "unit": _UNIT, "record": _RECORD}).scalar()
            # one split of the whole page; every width-th value then belongs to one column
            values = text.replace(_RECORD, _UNIT).split(_UNIT) if text else []
            if len(values) % width:
                raise ValueError("an id contains an ASCII control separator; ids must be slugs")
            return [values[i::width] for i in range(width)]
        result = store.read(query, params, row_cap=_MAX_ROWS_PER_PAGE)
        if result.truncated:
            raise RuntimeError("a projection page exceeded the row cap; lower page_size")
        return [list(column) for column in zip(*result.rows, strict=True)] or [[] for _ in range(width)]

    columns: list[list] = [[] for _ in range(width)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for page in pool.map(fetch, bounds):
            for column, values in zip(columns, page, strict=True):
                column.extend(values)
            progress.page_done()
    return columns


def _columns(rows: Iterable[Sequence], width: int) -> list[list]:
    columns: list[list] = [[] for _ in range(width)]
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns
