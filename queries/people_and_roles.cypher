---
title: 人物与职务 · People, their roles and organisations
description: >-
  Every person with the role the source states, and the organisations they lead or belong to
  (LEADS, PART_OF), with the role on the relationship where given.
returns: both
parameters:
  organisation:
    type: entity_id
    description: Only people related to this organisation; everyone when empty.
---
MATCH p = (per:Person)-[r]->(o:Entity)
WHERE type(r) IN ['LEADS', 'PART_OF'] AND ($organisation IS NULL OR o.id = $organisation)
RETURN per.id AS person, per.name AS name, per.role AS role, type(r) AS relation, r.role AS relation_role,
       o.id AS organisation, o.name AS organisation_name, p AS path
ORDER BY person, organisation, relation
