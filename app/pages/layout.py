"""Server-side layout for large views, so the browser never runs physics on thousands of nodes.

python-igraph's Fruchterman–Reingold (C core) lays out 5,000 nodes / 20,000 edges in about a second
here, where networkx's ``spring_layout`` takes about 40 s. Each connected component is laid out on its
own and the components are packed in rows, largest first, so a few isolated nodes cannot fling
themselves far away and shrink the picture. Starting positions are derived from the node ids and the
algorithm's random choices are seeded: the same view always gets the same picture.

Examples
--------
>>> pos = layout_positions(["a", "b", "c"], [("a", "b"), ("b", "c")])
>>> sorted(pos) == ["a", "b", "c"]
True
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence

import igraph

from graph.analytics.engine import igraph_seed

EDGE_LENGTH = 110.0
"""Median length of a drawn edge, in vis-network canvas units (a default node is 25 units wide)."""

LAYOUT_THRESHOLD = 200
"""Views with more nodes than this get server-computed positions and are drawn with physics off.
Below it the browser's own physics settles the picture in about a second (bounded in iterations and
time); above it, stabilising costs several seconds and grows quickly."""

SPACING = 50.0
"""Least average room per node (side of the square each node gets), in canvas units: a dense
graph is spread by this instead of by its edge length."""

_GAP = 2.0
"""Space between packed components, in median edge lengths."""


def _seed_point(node_id: str, side: float) -> list[float]:
    digest = hashlib.blake2b(node_id.encode(), digest_size=8).digest()
    a = int.from_bytes(digest[:4], "big") / 2**32
    b = int.from_bytes(digest[4:], "big") / 2**32
    # FR's grid variant is fast only when it starts at its own scale (about sqrt(n) across).
    return [(a - 0.5) * side, (b - 0.5) * side]


def _component_coords(graph: igraph.Graph, members: list[int], ids: Sequence[str]) -> list[list[float]]:
    if len(members) == 1:
        return [[0.0, 0.0]]
    if len(members) == 2:
        return [[-0.5, 0.0], [0.5, 0.0]]
    sub = graph.subgraph(members)
    side = math.sqrt(len(members))
    seed = [_seed_point(ids[m], side) for m in members]
    return [list(c) for c in sub.layout_fruchterman_reingold(seed=seed, niter=300, grid="auto").coords]


def layout_positions(node_ids: Sequence[str], edges: Iterable[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """Positions for ``node_ids`` (id → (x, y)) from a Fruchterman–Reingold layout of the undirected graph.

    Parameters
    ----------
    node_ids : the nodes to place, in any order.
    edges : (start, end) pairs; pairs naming an unknown id and self-loops are ignored.

    Returns
    -------
    dict mapping every id to integer canvas coordinates, scaled so the median edge is at least
    ``EDGE_LENGTH`` long and each node has at least ``SPACING`` of room, the components in rows.
    """
    ids = sorted(set(node_ids))  # a canonical order: the same nodes always get the same picture
    index = {node_id: i for i, node_id in enumerate(ids)}
    if not ids:
        return {}
    pairs = sorted({(min(index[a], index[b]), max(index[a], index[b])) for a, b in edges
                    if a in index and b in index and a != b})
    graph = igraph.Graph(n=len(ids), edges=pairs)
    components = sorted(graph.connected_components(), key=lambda c: (-len(c), ids[c[0]]))
    coords: list[list[float]] = [[0.0, 0.0]] * len(ids)
    for members in components:
        with igraph_seed(len(members)):  # FR breaks ties at random: seed it, for the same picture each time
            local = _component_coords(graph, members, ids)
        cx = sum(p[0] for p in local) / len(local)
        cy = sum(p[1] for p in local) / len(local)
        for m, p in zip(members, local, strict=True):
            coords[m] = [p[0] - cx, p[1] - cy]
    lengths = sorted(math.dist(coords[a], coords[b]) for a, b in pairs)
    typical = lengths[len(lengths) // 2] if lengths and lengths[len(lengths) // 2] > 0 else 1.0
    big = components[0]
    xs = [coords[m][0] for m in big]
    ys = [coords[m][1] for m in big]
    room = math.sqrt(max((max(xs) - min(xs)) * (max(ys) - min(ys)), 1e-9) / len(big))
    scale = max(EDGE_LENGTH / typical, SPACING / room)
    return _pack(components, [[x * scale, y * scale] for x, y in coords], ids)


def _pack(components: list[list[int]], coords: list[list[float]], ids: list[str]) -> dict[str, tuple[int, int]]:
    """Shelf-pack components (already centred at 0, 0) in rows: the largest first, the rest below it."""
    gap = _GAP * EDGE_LENGTH
    boxes = []
    for members in components:
        xs = [coords[m][0] for m in members]
        ys = [coords[m][1] for m in members]
        boxes.append((min(xs), max(xs), min(ys), max(ys)))
    row_width = max(boxes[0][1] - boxes[0][0], math.sqrt(sum((b[1] - b[0] + gap) * (b[3] - b[2] + gap)
                                                              for b in boxes)))
    left = -row_width / 2
    x, y, row_height = left, boxes[0][2], 0.0
    out: dict[str, tuple[int, int]] = {}
    for members, (x0, x1, y0, y1) in zip(components, boxes, strict=True):
        width, height = x1 - x0, y1 - y0
        if x > left and x + width > left + row_width:
            x, y, row_height = left, y + row_height + gap, 0.0
        dx, dy = x - x0, y - y0
        for m in members:
            out[ids[m]] = (round(coords[m][0] + dx), round(coords[m][1] + dy))
        x += width + gap
        row_height = max(row_height, height)
    return out
