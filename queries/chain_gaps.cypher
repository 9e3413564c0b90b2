---
title: 补链候选 · Chain links without local enterprises
description: >-
  The chain links of a cluster (or of every cluster) and how many enterprises operate in each
  (OPERATES_IN), optionally counting only enterprises in one region. Links with none are the
  补链 candidates: where to attract or grow a firm.
returns: table
parameters:
  cluster:
    type: entity_id
    description: Only this cluster's chain links; all clusters when empty.
  region:
    type: string
    max_length: 100
    description: Count only enterprises whose region is this (e.g. 太原市); any region when empty.
  only_gaps:
    type: boolean
    default: false
    description: Only chain links with no such enterprise.
---
MATCH (c:Cluster)-[h:HAS_LINK]->(l:ChainLink)
WHERE $cluster IS NULL OR c.id = $cluster
OPTIONAL MATCH (e:Enterprise)-[o:OPERATES_IN]->(l)
WHERE $region IS NULL OR e.region = $region
WITH c, l, count(o) AS enterprises, collect(e.id) AS enterprise_ids
WHERE NOT $only_gaps OR enterprises = 0
RETURN c.id AS cluster, l.id AS chain_link, l.name AS name, l.position AS position, enterprises, enterprise_ids
ORDER BY cluster, chain_link
