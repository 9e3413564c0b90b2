---
title: 六新概览
title_en: What is in one 六新 category
description: >-
  回答“某一类‘六新’（新基建、新技术、新材料、新装备、新产品、新业态）里有什么”。按类型统计归入这一类的主体各有多少个，例如多少家企业、多少个项目。各列：主体类型、数量。
description_en: >-
  Answers "what is in one of the six 六新 categories (new infrastructure, technology, materials, equipment,
  products, business forms)". Counts the entities classified in the category by type, e.g. how many
  enterprises and how many projects. Columns: the type of entity and how many there are.
returns: table
parameters:
  liuxin:
    type: liuxin
    required: true
    label: 六新分类
    label_en: 六新 category
    description: 要统计的“六新”类别。
    description_en: The 六新 category to count.
columns:
  type: {zh: 主体类型, en: Type, kind: node_type}
  entities: {zh: 数量, en: How many}
---
MATCH (n:Entity)
WHERE $liuxin IN n.liuxin
WITH [l IN labels(n) WHERE l <> 'Entity'][0] AS type, count(n) AS entities
RETURN type, entities
ORDER BY entities DESC, type
