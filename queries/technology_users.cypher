---
title: 新技术与新基建的应用 · Who uses which technology or infrastructure
description: >-
  Technologies and infrastructure (5G, 工业互联网, BIM, CIM…) with the entities that USE them or
  NEED them.
returns: both
parameters:
  technology:
    type: entity_id
    description: Only this technology or infrastructure; all when empty.
---
MATCH p = (u:Entity)-[r]->(t:Entity)
WHERE (t:Technology OR t:Infrastructure) AND type(r) IN ['USES', 'NEEDS']
  AND ($technology IS NULL OR t.id = $technology)
RETURN t.id AS technology, t.name AS technology_name, type(r) AS relation, u.id AS user, u.name AS user_name,
       p AS path
ORDER BY technology, user, relation
