"""Communities found in the graph, and how they line up with the clusters the data declares."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

from graph.analytics.engine import igraph_seed, use_igraph
from graph.analytics.projection import Projection, as_projection

CLUSTER_TYPE = "Cluster"


@dataclass(frozen=True)
class Communities:
    """A partition of the nodes.

    ``communities[i]`` lists the ids of community ``i`` (in graph order); communities are
    numbered by size, largest first, ties broken by their first node in graph order, so the
    numbers do not depend on the engine's internal labels. ``membership`` maps id → number.
    """

    communities: list[list[str]]
    membership: dict[str, int]
    modularity: float
    method: str
    seed: int

    def __len__(self) -> int:
        return len(self.communities)


def _numbered(P: Projection, groups: Iterable[Iterable[str]]) -> list[list[str]]:
    index = P.index
    ordered = [sorted(group, key=index.__getitem__) for group in groups]
    ordered = [g for g in ordered if g]
    ordered.sort(key=lambda g: (-len(g), index[g[0]]))
    return ordered


def communities(G: Projection | nx.Graph, *, seed: int = 0, resolution: float = 1.0,
                engine: str | None = None, leiden_iterations: int = 2) -> Communities:
    """Detect communities by modularity: networkx's Louvain for small graphs, igraph's Leiden
    above the engine threshold. Both are randomised; a fixed ``seed`` makes them repeatable.

    Parameters
    ----------
    G : networkx graph or Projection
    seed : int
    resolution : float
        Modularity resolution (greater than 1 favours smaller communities).
    engine : {"networkx", "igraph"}, optional
    leiden_iterations : int
        Leiden passes (igraph only). Each pass can only improve the partition; iterating until
        nothing changes takes minutes on a 100k-node graph with weak structure.

    Returns
    -------
    Communities
        With the partition's modularity as networkx's ``modularity`` computes it.

    Examples
    --------
    >>> G = nx.disjoint_union(nx.complete_graph(4), nx.complete_graph(4))
    >>> communities(G).communities
    [[0, 1, 2, 3], [4, 5, 6, 7]]
    """
    P = as_projection(G)
    if P.number_of_nodes() == 0:
        return Communities([], {}, 0.0, "none", seed)
    if use_igraph(P.number_of_nodes(), engine):
        g = P.igraph
        with igraph_seed(seed):
            clustering = g.community_leiden(objective_function="modularity", resolution=resolution,
                                            n_iterations=leiden_iterations)
        ids = P.ids
        groups = _numbered(P, ([ids[i] for i in members] for members in clustering))
        method = "leiden (igraph)"
    else:
        groups = _numbered(P, nx.community.louvain_communities(P.networkx, seed=seed, resolution=resolution))
        method = "louvain (networkx)"
    membership = {node: number for number, group in enumerate(groups) for node in group}
    return Communities(groups, membership, modularity(P, membership, resolution=resolution,
                                                      engine=engine), method, seed)


def modularity(G: Projection | nx.Graph, membership: Mapping[str, int], *, resolution: float = 1.0,
               engine: str | None = None) -> float:
    """Modularity of a partition given as node id → community number (networkx's definition).

    Examples
    --------
    >>> G = nx.disjoint_union(nx.complete_graph(3), nx.complete_graph(3))
    >>> modularity(G, {0: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 1})
    0.5
    """
    P = as_projection(G)
    if P.simple_edges.shape[0] == 0:
        return 0.0
    if use_igraph(P.number_of_nodes(), engine):
        return P.igraph.modularity([membership[node] for node in P.ids], resolution=resolution)
    groups: dict[int, set[str]] = {}
    for node, number in membership.items():
        groups.setdefault(number, set()).add(node)
    return nx.community.modularity(P.networkx, groups.values(), resolution=resolution)


def declared_clusters(G: Projection | nx.Graph) -> dict[str, set[str]]:
    """The clusters the data declares: cluster id → its members.

    A cluster's members are the cluster itself, every node with a ``MEMBER_OF`` relationship
    to it and every chain link it ``HAS_LINK``. A cluster is a node of type ``Cluster``, or the
    end of a ``MEMBER_OF`` when the graph carries no types.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("e1", "c", key="MEMBER_OF")
    'MEMBER_OF'
    >>> {c: sorted(m) for c, m in declared_clusters(G).items()}
    {'c': ['c', 'e1']}
    """
    P = as_projection(G)
    clusters: dict[str, set[str]] = {node: {node} for node in P.nodes_of_type(CLUSTER_TYPE)}
    for start, _, end in P.edges("MEMBER_OF"):
        clusters.setdefault(end, {end}).add(start)
    for start, _, end in P.edges("HAS_LINK"):
        clusters.setdefault(start, {start}).add(end)
    return clusters


def memberships(clusters: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Invert cluster → members into node → clusters."""
    by_node: dict[str, set[str]] = {}
    for cluster, members in clusters.items():
        for node in members:
            by_node.setdefault(node, set()).add(cluster)
    return by_node


def cluster_alignment(found: Communities, clusters: Mapping[str, Iterable[str]]) -> dict:
    """How the detected communities line up with the declared clusters.

    Parameters
    ----------
    found : Communities
    clusters : mapping
        Cluster id → member ids (see ``declared_clusters``).

    Returns
    -------
    dict
        ``clusters``: for each cluster its ``members`` count, the ``community`` most of them
        fall in, the ``share`` of members in it and the number of communities they ``spread``
        over; ``nmi``: the normalised mutual information (arithmetic normalisation) between
        clusters and communities over the nodes that belong to exactly one cluster (1.0: the
        communities are the clusters; ``None`` without such nodes).

    Examples
    --------
    >>> found = Communities([["a", "b"], ["c"]], {"a": 0, "b": 0, "c": 1}, 0.0, "test", 0)
    >>> cluster_alignment(found, {"x": ["a", "b"], "y": ["c"]})["nmi"]
    1.0
    """
    rows = []
    for cluster, members in sorted(clusters.items()):
        counts = Counter(found.membership[m] for m in members if m in found.membership)
        total = sum(counts.values())
        community, top = min(counts.items(), key=lambda kv: (-kv[1], kv[0])) if counts else (None, 0)
        rows.append({"cluster": cluster, "members": total, "community": community,
                     "share": top / total if total else 0.0, "spread": len(counts)})
    single = {node: next(iter(cs)) for node, cs in memberships(clusters).items()
              if len(cs) == 1 and node in found.membership}
    nmi = normalized_mutual_information(list(single.values()), [found.membership[n] for n in single])
    return {"clusters": rows, "nmi": nmi}


def normalized_mutual_information(labels_a: list, labels_b: list) -> float | None:
    """NMI of two labelings of the same items, normalised by the mean of their entropies.

    Examples
    --------
    >>> normalized_mutual_information([0, 0, 1, 1], ["x", "x", "y", "y"])
    1.0
    >>> normalized_mutual_information([0, 0, 1, 1], [0, 1, 0, 1])
    0.0
    """
    n = len(labels_a)
    if n == 0:
        return None

    def entropy(counts: Iterable[int]) -> float:
        return -sum(c / n * math.log(c / n) for c in counts if c)

    count_a, count_b = Counter(labels_a), Counter(labels_b)
    joint = Counter(zip(labels_a, labels_b, strict=True))
    mutual = sum(c / n * math.log(c * n / (count_a[a] * count_b[b])) for (a, b), c in joint.items())
    h_a, h_b = entropy(count_a.values()), entropy(count_b.values())
    if h_a == 0 and h_b == 0:
        return 1.0
    return max(0.0, min(1.0, 2 * mutual / (h_a + h_b)))
