"""Analytics of one store, cached per graph version, with write-back of the results as node
properties. The API, the CLI and the benchmark all go through ``Analytics``.

Every result is computed from one projection of the store. The cache remembers the store's
version (``GraphStore.version()``, bumped by every write); a call after any write recomputes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.analytics.centrality import (
    DEFAULT_BETWEENNESS_SOURCES,
    EXACT_BETWEENNESS_MAX_NODES,
    betweenness,
    betweenness_error,
    betweenness_k,
    degree,
    pagerank,
    scaled_to_max,
)
from graph.analytics.chain import chain
from graph.analytics.communities import Communities, cluster_alignment, communities, declared_clusters
from graph.analytics.completeness import Rules, UnknownCluster, completeness, load_rules
from graph.analytics.projection import DEFAULT_PAGE_SIZE, Projection, project
from graph.analytics.related import Neighbourhood
from graph.analytics.structure import bridges_between, brokers, components, group_links, k_hop_reach
from graph.analytics.targets import targets
from graph.analytics.targets_rules import TargetRules, load_target_rules
from graph.analytics.whatif import Addition, whatif
from graph.ontology import ENTITY_LABEL
from graph.store import GraphStore

WRITE_BACK_PROPERTIES = ("importance", "community", "betweenness")
"""Node properties ``write_back`` sets (declared in the ontology)."""

_WRITE_BACK = (f"UNWIND $rows AS row MATCH (n:{ENTITY_LABEL} {{id: row.id}}) "
               "SET n.importance = row.importance, n.community = row.community, n.betweenness = row.betweenness")


@dataclass(frozen=True)
class AnalyticsConfig:
    """Parameters of every computation; results are reproducible for equal configs and graphs."""

    seed: int = 0
    alpha: float = 0.85
    exact_betweenness_max_nodes: int = EXACT_BETWEENNESS_MAX_NODES
    betweenness_sources: int = DEFAULT_BETWEENNESS_SOURCES
    reach_hops: int = 2
    resolution: float = 1.0
    leiden_iterations: int = 2
    engine: str | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    rules_path: Path | None = None
    target_rules_path: Path | None = None


@dataclass(frozen=True)
class Step:
    """One unit of ``Analytics.run``: its name and the method computing it."""

    name: str
    label: str
    compute: Callable[[], Any]


@dataclass
class RunReport:
    version: int
    seconds: dict[str, float] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)


class Analytics:
    """Cached analytics of one store.

    Examples
    --------
    >>> analytics = Analytics(store)  # doctest: +SKIP
    >>> analytics.importance()["pagerank"]["taigang"]  # doctest: +SKIP
    0.031
    >>> analytics.gaps(["rail-transit-equipment"])[0]["links"][0]["status"]  # doctest: +SKIP
    'gap'
    """

    def __init__(self, store: GraphStore, config: AnalyticsConfig | None = None) -> None:
        self.store = store
        self.config = config or AnalyticsConfig()
        self.rules: Rules = load_rules(self.config.rules_path)
        self.target_rules: TargetRules = load_target_rules(self.config.target_rules_path,
                                                           [r.role for r in self.rules.roles])
        self._lock = threading.RLock()
        self._version: int | None = None
        self._results: dict[str, Any] = {}

    # -- cache ---------------------------------------------------------------------------
    def _cached(self, name: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
            version = self.store.version()
            if version != self._version:
                self._results.clear()
                self._version = version
            if name not in self._results:
                self._results[name] = compute()
            return self._results[name]

    @property
    def version(self) -> int | None:
        """The graph version the cached results belong to (``None`` before the first)."""
        return self._version

    def is_cached(self, name: str) -> bool:
        with self._lock:
            return self._version == self.store.version() and name in self._results

    # -- results -------------------------------------------------------------------------
    def projection(self, on_page: Callable[[int, int], None] | None = None) -> Projection:
        return self._cached("projection", lambda: project(self.store, page_size=self.config.page_size,
                                                          on_page=on_page))

    def importance(self) -> dict[str, dict[str, float]]:
        """``{"degree", "pagerank", "importance"}``, each node id → value; importance is PageRank
        scaled to a maximum of 1."""
        def compute() -> dict[str, dict[str, float]]:
            P = self.projection()
            pr = pagerank(P, self.config.alpha, engine=self.config.engine)
            return {"degree": degree(P, engine=self.config.engine), "pagerank": pr, "importance": scaled_to_max(pr)}
        return self._cached("importance", compute)

    def betweenness(self) -> dict[str, Any]:
        """``{"values", "k", "seed", "error"}``: exact (``k`` None, error 0) up to the configured
        size, else estimated from ``k`` sources with the 95 % error bound of ``betweenness_error``."""
        def compute() -> dict[str, Any]:
            P = self.projection()
            k = betweenness_k(P.number_of_nodes(), exact_max_nodes=self.config.exact_betweenness_max_nodes,
                              sources=self.config.betweenness_sources)
            values = betweenness(P, k, seed=self.config.seed, engine=self.config.engine)
            return {"values": values, "k": k, "seed": self.config.seed,
                    "error": 0.0 if k is None else betweenness_error(k)}
        return self._cached("betweenness", compute)

    def communities(self) -> Communities:
        return self._cached("communities", lambda: communities(
            self.projection(), seed=self.config.seed, resolution=self.config.resolution,
            engine=self.config.engine, leiden_iterations=self.config.leiden_iterations))

    def clusters(self) -> dict[str, set[str]]:
        """Declared clusters: cluster id → members (see ``declared_clusters``)."""
        return self._cached("clusters", lambda: declared_clusters(self.projection()))

    def alignment(self) -> dict:
        return self._cached("alignment", lambda: cluster_alignment(self.communities(), self.clusters()))

    def brokers(self) -> list[dict]:
        return self._cached("brokers", lambda: brokers(self.projection(), self.clusters(),
                                                       betweenness=self.betweenness()["values"]))

    def cluster_links(self) -> list[dict]:
        return self._cached("cluster_links", lambda: group_links(self.projection(), self.clusters()))

    def bridges(self) -> list[dict]:
        """Bridges between declared clusters (see ``bridges_between``)."""
        return self._cached("bridges", lambda: bridges_between(self.projection(), self.clusters(),
                                                               engine=self.config.engine))

    def components(self) -> list[list[str]]:
        return self._cached("components", lambda: components(self.projection(), engine=self.config.engine))

    def reach(self) -> dict[str, int]:
        """Nodes each node reaches within ``reach_hops`` hops."""
        return self._cached("reach", lambda: k_hop_reach(self.projection(), self.config.reach_hops,
                                                         engine=self.config.engine))

    def gaps(self, clusters: list[str] | None = None) -> list[dict]:
        """The 补链 report (see ``completeness``) for the given clusters, or all; related entities
        are searched on the cached projection, so the report belongs to the same graph version.

        Raises
        ------
        UnknownCluster
        """
        report = self._cached("gaps", lambda: completeness(self.store, self.rules, projection=self.projection()))
        if clusters is None:
            return report
        by_id = {entry["id"]: entry for entry in report}
        missing = sorted(set(clusters) - set(by_id))
        if missing:
            raise UnknownCluster(missing)
        return [by_id[c] for c in clusters]

    # -- one cluster's chain ---------------------------------------------------------------
    def cluster_report(self, cluster_id: str) -> dict:
        """The 补链 report of one cluster without the related-entity search (fast at any size)."""
        return self._cached(f"report:{cluster_id}",
                            lambda: completeness(self.store, self.rules, [cluster_id], related=False)[0])

    def chain(self, cluster_id: str) -> dict:
        """The cluster's chain, upstream → downstream (see ``chain``).

        Raises
        ------
        UnknownCluster
        """
        return self._cached(f"chain:{cluster_id}", lambda: chain(self.store, cluster_id, self.rules,
                                                                 self.cluster_report(cluster_id)))

    def targets(self, cluster_id: str) -> dict:
        """The 招商 targets of the cluster's gap and fragile links (see ``targets``)."""
        return self._cached(f"targets:{cluster_id}", lambda: targets(
            self.store, cluster_id, self.rules, self.target_rules, self.chain(cluster_id),
            self.cluster_report(cluster_id)))

    def neighbourhood(self) -> Neighbourhood:
        """The projection without hub nodes, as adjacency arrays (what-if's structure runs on it)."""
        return self._cached("neighbourhood", lambda: Neighbourhood(self.projection(), self.rules.related.hubs))

    def whatif(self, cluster_id: str, remove: list[str], add: list[Addition]) -> dict:
        """Before and after removing and adding entities (see ``whatif``); nothing is written, nothing cached."""
        before = self.cluster_report(cluster_id)  # an unknown cluster fails before the projection is read
        return whatif(self.store, cluster_id, remove, add, self.rules, self.neighbourhood(), before)

    # -- everything at once --------------------------------------------------------------
    def steps(self) -> list[Step]:
        return [
            Step("projection", "projection from the store", self.projection),
            Step("importance", "degree and PageRank", self.importance),
            Step("betweenness", "betweenness", self.betweenness),
            Step("communities", "communities", self.communities),
            Step("alignment", "alignment with declared clusters", self.alignment),
            Step("brokers", "brokers between clusters", self.brokers),
            Step("bridges", "bridges between clusters", self.bridges),
            Step("cluster_links", "links between clusters", self.cluster_links),
            Step("components", "connected components", self.components),
            Step("reach", f"{self.config.reach_hops}-hop reach", self.reach),
            Step("gaps", "completeness (补链)", self.gaps),
        ]

    def run(self, on_step: Callable[[Step, float], None] | None = None,
            on_page: Callable[[int, int], None] | None = None) -> RunReport:
        """Compute every result (those already cached for this version are reused).

        ``on_step(step, seconds)`` reports each finished step; ``on_page`` the projection's pages.
        """
        seconds: dict[str, float] = {}
        for step in self.steps():
            started = time.perf_counter()
            if step.name == "projection":
                self.projection(on_page=on_page)
            else:
                step.compute()
            seconds[step.name] = time.perf_counter() - started
            if on_step:
                on_step(step, seconds[step.name])
        return RunReport(version=self._version or 0, seconds=seconds, summary=self.summary())

    def summary(self) -> dict[str, str]:
        """One line per result, for people."""
        P = self.projection()
        imp = self.importance()["pagerank"]
        top = max(imp, key=imp.get) if imp else "—"
        bt = self.betweenness()
        found = self.communities()
        align = self.alignment()
        comps = self.components()
        reach = self.reach()
        gaps = self.gaps()
        links = [link for cluster in gaps for link in cluster["links"]]
        roles = [role["status"] for cluster in gaps for role in cluster["roles"]]
        nmi = "—" if align["nmi"] is None else f"{align['nmi']:.3f}"
        return {
            "projection": f"{P.number_of_nodes():,} nodes, {P.number_of_edges():,} relationships "
                          f"({P.simple_edges.shape[0]:,} connections)",
            "importance": f"top by PageRank: {top}",
            "betweenness": "exact" if bt["k"] is None else
                           f"sampled from {bt['k']} sources (±{bt['error']:.3f} at 95 %)",
            "communities": f"{len(found)} ({found.method}), modularity {found.modularity:.3f}",
            "alignment": f"NMI with declared clusters {nmi}",
            "brokers": f"{len(self.brokers()):,} nodes connect two or more clusters",
            "bridges": f"{len(self.bridges()):,} single relationships hold two clusters together",
            "cluster_links": f"{len(self.cluster_links()):,} connected cluster pairs",
            "components": f"{len(comps):,}, largest {len(comps[0]) if comps else 0:,} nodes",
            "reach": f"mean {self.config.reach_hops}-hop reach "
                     f"{(sum(reach.values()) / len(reach)) if reach else 0:.1f} nodes",
            "gaps": f"{len(gaps)} clusters, mean score {sum(c['score'] for c in gaps) / len(gaps) if gaps else 0:.2f}; "
                    f"roles: {roles.count('present')} present, {roles.count('recorded_absent')} recorded absent, "
                    f"{roles.count('not_recorded')} not recorded; "
                    f"links: {sum(link['status'] == 'gap' for link in links)} gap, "
                    f"{sum(link['status'] == 'fragile' for link in links)} fragile",
        }

    # -- write-back ----------------------------------------------------------------------
    def write_back(self, *, batch_size: int = 5_000,
                   on_batch: Callable[[int], None] | None = None) -> int:
        """Write ``importance``, ``community`` and ``betweenness`` onto every node with batched
        ``UNWIND`` writes; returns the number of nodes written.

        The write-back changes only these properties, which no result reads; when no other
        write interleaved, the cached results are carried over to the new version.
        """
        with self._lock:
            imp = self.importance()["importance"]
            found = self.communities().membership
            between = self.betweenness()["values"]
            version = self._version
            rows = [{"id": node, "importance": imp.get(node), "community": found.get(node),
                     "betweenness": _finite(between.get(node))} for node in self.projection().ids]
            bumps = 0

            def counted(n: int, counters: dict[str, int]) -> None:
                nonlocal bumps
                bumps += any(counters.values())
                if on_batch:
                    on_batch(n)

            self.store.write_batches(_WRITE_BACK, rows, batch_size=batch_size, on_batch=counted)
            if version is not None and self.store.version() == version + bumps:
                self._version = self.store.version()
            return len(rows)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
