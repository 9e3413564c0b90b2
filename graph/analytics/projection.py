"""The graph the analytics run on: projected from the store in pages, or wrapped around a
networkx graph, and handed to networkx or igraph.

The metrics treat the ecosystem as an undirected simple graph: a relationship means two actors
are connected, whatever its direction, and two actors joined by several relationship types
(an enterprise that is a member of a cluster and also leads it) are one connection. The typed,
directed relationships stay available (``Projection.edges``) for rules that need them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import igraph as ig
import networkx as nx
import numpy as np

from graph.ontology import DERIVED_REL_TYPES, type_label
from graph.paging import RelFilter
from graph.store import GraphStore

DEFAULT_PAGE_SIZE = 12_500
"""Nodes per projection page: small enough that pages read in parallel keep the
store's threads busy, large enough that a 100k-node graph takes a handful of queries."""
DEFAULT_WORKERS = 2

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
        Nodes per read query.
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
        rel_filter = RelFilter(tuple(rel_types), include=True)
    else:
        rel_filter = RelFilter(tuple(exclude_rel_types), include=False)
    for _ in range(_CONSISTENT_ATTEMPTS):
        version = store.version()
        scan = store.scan(rel_filter, page_size=page_size, workers=workers, on_page=on_page)
        if store.version() == version:
            break
    types_of = {key: type_label(key.split(",")) for key in set(scan.node_labels)}
    node_types = [types_of[key] for key in scan.node_labels]
    return Projection.from_columns(scan.node_ids, node_types, scan.starts, scan.rel_types, scan.ends,
                                   version=version)


def _columns(rows: Iterable[Sequence], width: int) -> list[list]:
    columns: list[list] = [[] for _ in range(width)]
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns
