"""Structure: connected components, k-hop reach, bridges, and the brokers between clusters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import networkx as nx
import numpy as np
from scipy import sparse

from graph.analytics.communities import memberships
from graph.analytics.engine import use_igraph
from graph.analytics.projection import Projection, as_projection


def components(G: Projection | nx.Graph, *, engine: str | None = None) -> list[list[str]]:
    """Connected components, largest first (ties: by first node in graph order), each in
    graph order.

    Examples
    --------
    >>> components(nx.Graph([(1, 2), (3, 4), (4, 5)]))
    [[3, 4, 5], [1, 2]]
    """
    P = as_projection(G)
    index = P.index
    if use_igraph(P.number_of_nodes(), engine):
        ids = P.ids
        groups = [[ids[i] for i in sorted(c)] for c in P.igraph.connected_components()]
    else:
        groups = [sorted(c, key=index.__getitem__) for c in nx.connected_components(P.networkx)]
    groups.sort(key=lambda g: (-len(g), index[g[0]]))
    return groups


def k_hop_reach(G: Projection | nx.Graph, k: int = 2, nodes: Iterable[str] | None = None, *,
                engine: str | None = None) -> dict[str, int]:
    """How many other nodes each node reaches in at most ``k`` hops.

    Parameters
    ----------
    G : networkx graph or Projection
    k : int
        Hops (≥ 1).
    nodes : iterable of ids, optional
        Only these nodes (default: all).
    engine : {"networkx", "igraph"}, optional

    Examples
    --------
    >>> k_hop_reach(nx.path_graph(5), k=2, nodes=[0, 2])
    {0: 2, 2: 4}
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    P = as_projection(G)
    chosen = list(P.ids) if nodes is None else list(nodes)
    if use_igraph(P.number_of_nodes(), engine):
        index = P.index
        sizes = P.igraph.neighborhood_size([index[n] for n in chosen], order=k)
        return {node: size - 1 for node, size in zip(chosen, sizes, strict=True)}
    return {node: len(nx.single_source_shortest_path_length(P.networkx, node, cutoff=k)) - 1
            for node in chosen}


def bridges(G: Projection | nx.Graph, *, engine: str | None = None) -> list[tuple[str, str]]:
    """Edges whose removal disconnects their two ends (networkx's ``bridges``), each as
    ``(u, v)`` with ``u`` before ``v`` in graph order, sorted.

    Examples
    --------
    >>> bridges(nx.Graph([(0, 1), (1, 2), (2, 0), (2, 3)]))
    [(2, 3)]
    """
    P = as_projection(G)
    index, ids = P.index, P.ids
    if use_igraph(P.number_of_nodes(), engine):
        g = P.igraph
        pairs = [g.es[e].tuple for e in g.bridges()]
    else:
        pairs = [(index[u], index[v]) for u, v in nx.bridges(P.networkx)]
    return [(ids[u], ids[v]) for u, v in sorted((min(p), max(p)) for p in pairs)]


def bridges_between(G: Projection | nx.Graph, groups: Mapping[str, Iterable[str]], *,
                    engine: str | None = None) -> list[dict]:
    """Bridges whose two ends belong to different groups and share none: the single
    relationship that holds two clusters together.

    Returns
    -------
    list of dict
        ``{"source", "target", "groups"}`` in the order of ``bridges``.

    Examples
    --------
    >>> G = nx.Graph([("a1", "a2"), ("a2", "a3"), ("a3", "a1"), ("a1", "b1")])
    >>> bridges_between(G, {"A": ["a1", "a2", "a3"], "B": ["b1"]})
    [{'source': 'a1', 'target': 'b1', 'groups': ['A', 'B']}]
    """
    by_node = memberships(groups)
    found = []
    for u, v in bridges(G, engine=engine):
        gu, gv = by_node.get(u, set()), by_node.get(v, set())
        if gu and gv and not gu & gv:
            found.append({"source": u, "target": v, "groups": sorted(gu | gv)})
    return found


def _membership_matrix(P: Projection, groups: Mapping[str, Iterable[str]]) -> tuple[sparse.csr_matrix, list[str]]:
    names = sorted(groups)
    index = P.index
    rows, cols = [], []
    for col, name in enumerate(names):
        for node in groups[name]:
            if node in index:
                rows.append(index[node])
                cols.append(col)
    data = np.ones(len(rows), dtype=np.int64)
    M = sparse.csr_matrix((data, (rows, cols)), shape=(P.number_of_nodes(), len(names)))
    M.data[:] = 1  # a node listed twice in a group is still one member
    return M, names


def _adjacency(P: Projection) -> sparse.csr_matrix:
    n = P.number_of_nodes()
    e = P.simple_edges
    data = np.ones(2 * len(e), dtype=np.int64)
    rows = np.concatenate((e[:, 0], e[:, 1]))
    cols = np.concatenate((e[:, 1], e[:, 0]))
    return sparse.csr_matrix((data, (rows, cols)), shape=(n, n))


def brokers(G: Projection | nx.Graph, groups: Mapping[str, Iterable[str]], *,
            betweenness: Mapping[str, float] | None = None, limit: int | None = None) -> list[dict]:
    """Nodes that connect two or more groups (e.g. declared clusters) through their own
    relationships: a broker belongs to, or is adjacent to members of, at least two groups.

    Parameters
    ----------
    G : networkx graph or Projection
    groups : mapping
        Group id → member ids (``declared_clusters`` gives the declared clusters). Nodes that
        are themselves group ids (the cluster nodes) are not counted as brokers.
    betweenness : mapping, optional
        Node id → betweenness, used to rank brokers of equal span and reported with them.
    limit : int, optional
        Return only the first ``limit`` brokers.

    Returns
    -------
    list of dict
        ``{"id", "groups", "span", "betweenness"}``, by span (number of groups reached), then
        betweenness, then id.

    Examples
    --------
    >>> G = nx.Graph([("a1", "a2"), ("a2", "bank"), ("bank", "b1")])
    >>> brokers(G, {"A": ["a1", "a2"], "B": ["b1"]})
    [{'id': 'bank', 'groups': ['A', 'B'], 'span': 2, 'betweenness': None}]
    """
    P = as_projection(G)
    if not groups or P.number_of_nodes() == 0:
        return []
    M, names = _membership_matrix(P, groups)
    reach = _reach(P, M)
    span = np.diff(reach.indptr)
    ids = P.ids
    between = betweenness or {}
    result = []
    for i in np.flatnonzero(span >= 2).tolist():
        if ids[i] in groups:
            continue
        row = reach.indices[reach.indptr[i]:reach.indptr[i + 1]].tolist()
        # names are sorted and the row's indices too, so the groups come out sorted
        result.append({"id": ids[i], "groups": [names[j] for j in row], "span": len(row),
                       "betweenness": between.get(ids[i])})
    result.sort(key=lambda b: (-b["span"], -(b["betweenness"] or 0.0), b["id"]))
    return result[:limit] if limit is not None else result


def group_links(G: Projection | nx.Graph, groups: Mapping[str, Iterable[str]]) -> list[dict]:
    """How each pair of groups is connected: ``edges`` joining a member of one to a member of
    the other (nodes in both groups left out) and ``brokers`` adjacent to, or in, both.

    Returns
    -------
    list of dict
        ``{"groups": [a, b], "edges", "brokers"}`` for every connected pair, most edges first.

    Examples
    --------
    >>> G = nx.Graph([("a1", "b1"), ("a1", "a2")])
    >>> group_links(G, {"A": ["a1", "a2"], "B": ["b1"]})
    [{'groups': ['A', 'B'], 'edges': 1, 'brokers': 2}]
    """
    P = as_projection(G)
    if not groups or P.number_of_nodes() == 0:
        return []
    M, names = _membership_matrix(P, groups)
    multi = np.asarray(M.sum(axis=1)).ravel() > 1
    single = _rows(~multi) @ M
    edges = sparse.triu(single.T @ _adjacency(P) @ single, k=1).tocsr()
    reach = _rows(np.array([node not in groups for node in P.ids])) @ _reach(P, M)
    brokers_between = sparse.triu(reach.T @ reach, k=1).tocsr()
    union = (edges + brokers_between).tocoo()
    keep = union.data != 0
    a, b = union.row[keep], union.col[keep]
    edge_counts = np.asarray(edges[a, b]).ravel()
    broker_counts = np.asarray(brokers_between[a, b]).ravel()
    # most edges, then most brokers, then the pair's names (names are sorted, a < b)
    order = np.lexsort((b, a, -broker_counts, -edge_counts))
    return [{"groups": [names[i], names[j]], "edges": e, "brokers": k} for i, j, e, k in
            zip(a[order].tolist(), b[order].tolist(), edge_counts[order].tolist(), broker_counts[order].tolist(),
                strict=True)]


def _rows(keep: np.ndarray) -> sparse.csr_matrix:
    """Diagonal 0/1 matrix keeping the rows (nodes) where ``keep`` is true."""
    return sparse.diags(keep.astype(np.int64), dtype=np.int64, format="csr")


def _reach(P: Projection, M: sparse.csr_matrix) -> sparse.csr_matrix:
    """Node × group 0/1 matrix: the groups each node is in or adjacent to, indices sorted."""
    identity = sparse.identity(P.number_of_nodes(), dtype=np.int64, format="csr")
    reach = ((_adjacency(P) + identity) @ M).tocsr()
    reach.eliminate_zeros()
    reach.data[:] = 1
    reach.sort_indices()
    return reach
