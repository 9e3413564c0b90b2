---
title: 谁在投融资 · Who finances what
description: >-
  Every FINANCES relationship: the bank, fund or agency, what it finances (cluster, project,
  enterprise, platform…), in which role, and the source that states it.
returns: both
parameters:
  target_type:
    type: node_type
    description: Only financing of this type of entity (e.g. Cluster or Project); all when empty.
  financer:
    type: entity_id
    description: Only this financer; all when empty.
---
MATCH p = (f:Entity)-[r:FINANCES]->(t:Entity)
WHERE ($target_type IS NULL OR $target_type IN labels(t)) AND ($financer IS NULL OR f.id = $financer)
RETURN f.id AS financer, f.name AS financer_name, f.kind AS kind, t.id AS target, t.name AS target_name,
       [l IN labels(t) WHERE l <> 'Entity'][0] AS target_type, r.role AS role, r.sources AS sources, p AS path
ORDER BY financer, target
