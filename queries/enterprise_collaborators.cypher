---
title: 企业的两跳合作网络 · An enterprise's collaborators within two hops
description: >-
  Organisations, projects, platforms and clusters reachable from an enterprise in one or two
  steps along the chosen relationship types (either direction), with the fewest steps needed.
  Sources, 六新 categories and regions are not stepped through.
returns: both
parameters:
  enterprise:
    type: entity_id
    required: true
    description: Id of the enterprise.
  rel_types:
    type: string_list
    default: [COLLABORATES_WITH, MEMBER_OF, PART_OF, OPERATES_IN, HOSTED_BY, LEADS, FINANCES, SUPPORTS]
    description: Relationship types to step along.
---
MATCH (e:Enterprise {id: $enterprise})-[r1]-(x:Entity)
WHERE type(r1) IN $rel_types AND x.id <> e.id AND NOT (x:Source OR x:Category OR x:Region)
OPTIONAL MATCH (x)-[r2]-(y:Entity)
WHERE type(r2) IN $rel_types AND y.id <> e.id AND NOT (y:Source OR y:Category OR y:Region)
WITH collect(DISTINCT x.id) AS near, collect(DISTINCT y.id) AS far
WITH near, [i IN far WHERE NOT i IN near] AS further
UNWIND near + further AS cid
MATCH (c:Entity {id: cid})
RETURN c.id AS id, c.name AS name, [l IN labels(c) WHERE l <> 'Entity'][0] AS type,
       CASE WHEN cid IN near THEN 1 ELSE 2 END AS hops, c AS node
ORDER BY hops, id
