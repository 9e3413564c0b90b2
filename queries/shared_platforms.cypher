---
title: 共享平台 · Platforms shared by several clusters
description: >-
  Innovation platforms (labs, pilot bases, centres…) related to at least `min_clusters` clusters:
  candidates for cross-cluster sharing, or single points of failure.
returns: table
parameters:
  min_clusters:
    type: integer
    default: 2
    minimum: 1
    maximum: 100
    description: Least number of clusters a platform must be related to.
---
MATCH (p:Platform)-[r]-(c:Cluster)
WITH p, collect(DISTINCT c.id) AS clusters
WHERE size(clusters) >= $min_clusters
RETURN p.id AS platform, p.name AS name, p.kind AS kind, size(clusters) AS cluster_count, clusters
ORDER BY cluster_count DESC, platform
