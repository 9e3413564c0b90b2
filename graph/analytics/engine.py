"""Which engine computes a metric: networkx (the reference) for small graphs, igraph's C core
above a size threshold. Both see the same graph, in the same node order."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import igraph as ig

ENGINE_THRESHOLD = 500
"""Graphs with more nodes than this are computed with igraph unless an engine is named. It is low
because exact betweenness in networkx grows as nodes × relationships: about 30 s for 2,000 nodes
and 9,000 relationships on these machines, against 0.5 s in igraph."""

ENGINES = ("networkx", "igraph")


def use_igraph(number_of_nodes: int, engine: str | None) -> bool:
    """True when igraph should compute: ``engine`` if given, else by graph size.

    Examples
    --------
    >>> use_igraph(10, None), use_igraph(10, "igraph"), use_igraph(10**6, "networkx")
    (False, True, False)
    """
    if engine is None:
        return number_of_nodes > ENGINE_THRESHOLD
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    return engine == "igraph"


@contextmanager
def igraph_seed(seed: int) -> Iterator[None]:
    """Run igraph's randomised algorithms from a private generator seeded with ``seed``, and
    give igraph back its default generator (Python's ``random`` module) afterwards."""
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)
