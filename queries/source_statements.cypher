---
title: 来源所述 · Everything a source states
description: >-
  Every entity and relationship that cites the source (`sources` entries 'source-id#section'),
  optionally one section only: the curated facts to check against the document. (The
  parentheses around `$source + '#'` matter: FalkorDB binds STARTS WITH tighter than +.)
returns: both
parameters:
  source:
    type: entity_id
    required: true
    description: Id of the Source node.
  section:
    type: integer
    minimum: 0
    maximum: 1000
    description: Only this section number; every section when empty.
---
MATCH (n:Entity)
WHERE any(x IN coalesce(n.sources, []) WHERE
          ($section IS NULL AND (x = $source OR x STARTS WITH ($source + '#')))
          OR x = $source + '#' + toString($section))
RETURN n.id AS subject, n.name AS subject_name, null AS relation, null AS object, null AS object_name,
       [x IN n.sources WHERE x = $source OR x STARTS WITH ($source + '#')] AS citations, n.note AS note,
       n AS element
UNION ALL
MATCH p = (a:Entity)-[r]->(b:Entity)
WHERE any(x IN coalesce(r.sources, []) WHERE
          ($section IS NULL AND (x = $source OR x STARTS WITH ($source + '#')))
          OR x = $source + '#' + toString($section))
RETURN a.id AS subject, a.name AS subject_name, type(r) AS relation, b.id AS object, b.name AS object_name,
       [x IN r.sources WHERE x = $source OR x STARTS WITH ($source + '#')] AS citations, r.note AS note,
       p AS element
