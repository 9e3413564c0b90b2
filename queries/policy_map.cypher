---
title: 政策地图 · Policies, who issues them and what they support
description: >-
  Every policy with its year and measures, the agencies or people that issue it (ISSUES), those
  that govern it (GOVERNS) and everything it SUPPORTS.
returns: table
parameters:
  supports_type:
    type: node_type
    description: Only policies that support at least one entity of this type; all when empty.
---
MATCH (pol:Policy)
OPTIONAL MATCH (a:Entity)-[ri:ISSUES]->(pol)
WITH pol, collect(DISTINCT a.id) AS issued_by
OPTIONAL MATCH (g:Entity)-[rg:GOVERNS]->(pol)
WITH pol, issued_by, collect(DISTINCT g.id) AS governed_by
OPTIONAL MATCH (pol)-[rs:SUPPORTS]->(t:Entity)
WITH pol, issued_by, governed_by, collect(DISTINCT t.id) AS supports,
     collect(DISTINCT [l IN labels(t) WHERE l <> 'Entity'][0]) AS supported_types
WHERE $supports_type IS NULL OR $supports_type IN supported_types
RETURN pol.id AS policy, pol.name AS name, pol.year AS year, pol.measures AS measures, issued_by, governed_by,
       supports
ORDER BY policy
