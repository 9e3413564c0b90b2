---
title: 重点项目 · Projects by 六新 category and region
description: >-
  Projects with their figures (quantity and unit), year and status, filtered by 六新 category
  and region, with the clusters they belong to.
returns: table
parameters:
  liuxin:
    type: liuxin
    description: Only projects in this 六新 category; all when empty.
  region:
    type: string
    max_length: 100
    description: Only projects in this region; all when empty.
---
MATCH (p:Project)
WHERE ($liuxin IS NULL OR $liuxin IN p.liuxin) AND ($region IS NULL OR p.region = $region)
OPTIONAL MATCH (p)-[m:MEMBER_OF]->(c:Cluster)
RETURN p.id AS project, p.name AS name, p.liuxin AS liuxin, p.region AS region, p.quantity AS quantity,
       p.unit AS unit, p.year AS year, p.status AS status, collect(c.id) AS clusters
ORDER BY project
