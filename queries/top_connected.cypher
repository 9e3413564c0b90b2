---
title: 连接最多的实体
title_en: Most connected entities
description: >-
  回答“生态中谁是联系最多的枢纽”。按联系的条数从多到少列出主体（两个方向都算；与来源文献和六新分类的联系不计），可以只看某一类主体。各列：主体、类型、联系条数。
description_en: >-
  Answers "who are the hubs of the ecosystem". Lists the entities with the most relationships, most first
  (both directions; links to source documents and 六新 categories not counted), optionally of one type.
  Columns: the entity, its type and how many relationships it has.
returns: table
parameters:
  type:
    type: node_type
    label: 主体类型
    label_en: Type
    description: 只看这一类主体；不填则不限。
    description_en: Only entities of this type; any type when left empty.
  top:
    type: integer
    default: 20
    minimum: 1
    maximum: 1000
    label: 列出前几名
    label_en: How many
    description: 最多列出多少个主体。
    description_en: How many entities to list at most.
columns:
  id: {zh: 编号, en: Id, kind: id}
  name: {zh: 主体, en: Entity, kind: name, of: id}
  type: {zh: 类型, en: Type, kind: node_type}
  degree: {zh: 联系条数, en: Relationships}
---
MATCH (n:Entity)-[r]-(m:Entity)
WHERE ($type IS NULL OR $type IN labels(n)) AND NOT (n:Source OR n:Category OR m:Source OR m:Category)
WITH n, count(r) AS degree
RETURN n.id AS id, n.name AS name, [l IN labels(n) WHERE l <> 'Entity'][0] AS type, degree
ORDER BY degree DESC, id
LIMIT $top
