---
title: 连接最多的实体 · Most connected entities
description: >-
  Entities with the most relationships (both directions; relationships to Source and Category
  nodes not counted), optionally of one type: the hubs of the ecosystem.
returns: table
parameters:
  type:
    type: node_type
    description: Only entities of this type; all when empty.
  top:
    type: integer
    default: 20
    minimum: 1
    maximum: 1000
    description: How many to return.
---
MATCH (n:Entity)-[r]-(m:Entity)
WHERE ($type IS NULL OR $type IN labels(n)) AND NOT (n:Source OR n:Category OR m:Source OR m:Category)
WITH n, count(r) AS degree
RETURN n.id AS id, n.name AS name, [l IN labels(n) WHERE l <> 'Entity'][0] AS type, degree
ORDER BY degree DESC, id
LIMIT $top
