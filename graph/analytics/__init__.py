"""Ecosystem analytics: importance, communities, brokers and bridges, components, reach, and
completeness per cluster (补链).

Algorithms are plain functions in networkx's style: a graph in (a networkx graph or a
``Projection`` read from the store), data out. networkx computes small graphs and is the
reference the tests compare against; igraph's C core computes above ``ENGINE_THRESHOLD`` nodes.
``Analytics`` caches every result of one store per graph version and writes results back.
"""

from graph.analytics.centrality import (
    betweenness,
    betweenness_error,
    betweenness_k,
    betweenness_sources,
    degree,
    importance,
    pagerank,
)
from graph.analytics.communities import (
    Communities,
    cluster_alignment,
    communities,
    declared_clusters,
    memberships,
    modularity,
    normalized_mutual_information,
)
from graph.analytics.completeness import (
    Rules,
    RulesError,
    UnknownCluster,
    completeness,
    link_status,
    load_rules,
    parse_rules,
)
from graph.analytics.engine import ENGINE_THRESHOLD
from graph.analytics.projection import Projection, as_projection, project
from graph.analytics.service import WRITE_BACK_PROPERTIES, Analytics, AnalyticsConfig
from graph.analytics.structure import bridges, bridges_between, brokers, components, group_links, k_hop_reach

__all__ = [
    "ENGINE_THRESHOLD", "WRITE_BACK_PROPERTIES", "Analytics", "AnalyticsConfig", "Communities", "Projection",
    "Rules", "RulesError", "UnknownCluster", "as_projection", "betweenness", "betweenness_error", "betweenness_k",
    "betweenness_sources", "bridges", "bridges_between", "brokers", "cluster_alignment", "communities",
    "completeness", "components", "declared_clusters", "degree", "group_links", "importance", "k_hop_reach",
    "link_status", "load_rules", "memberships", "modularity", "normalized_mutual_information", "pagerank",
    "parse_rules", "project",
]
