---
title: 链主与龙头企业 · Leading enterprises of each cluster
description: >-
  Enterprises that lead a cluster (LEADS) or are members flagged as 链主/龙头 (is_leader), per
  cluster.
returns: both
parameters:
  cluster:
    type: entity_id
    description: Only this cluster; all when empty.
---
MATCH p = (e:Enterprise)-[r]->(c:Cluster)
WHERE ($cluster IS NULL OR c.id = $cluster)
  AND (type(r) = 'LEADS' OR (type(r) = 'MEMBER_OF' AND e.is_leader = true))
RETURN c.id AS cluster, c.name AS cluster_name, e.id AS enterprise, e.name AS enterprise_name, type(r) AS via,
       p AS path
ORDER BY cluster, enterprise, via
