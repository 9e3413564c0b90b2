---
title: 产业转移来源地 · Regions the province attracts industry from
description: >-
  Regions named as origins of industry transfer (TRANSFERS_FROM), with what attracts industry
  from each (clusters, parks, regions) and the source.
returns: both
parameters: {}
---
MATCH p = (x:Entity)-[r:TRANSFERS_FROM]->(reg:Region)
RETURN reg.id AS region, reg.name AS region_name, x.id AS attracted_by, x.name AS attracted_by_name,
       r.sources AS sources, p AS path
ORDER BY region, attracted_by
