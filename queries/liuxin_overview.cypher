---
title: 六新概览 · What is in one 六新 category
description: Number of entities of each type classified in a 六新 category (their `liuxin` property).
returns: table
parameters:
  liuxin:
    type: liuxin
    required: true
    description: The 六新 category (新基建, 新技术, 新材料, 新装备, 新产品 or 新业态).
---
MATCH (n:Entity)
WHERE $liuxin IN n.liuxin
WITH [l IN labels(n) WHERE l <> 'Entity'][0] AS type, count(n) AS entities
RETURN type, entities
ORDER BY entities DESC, type
