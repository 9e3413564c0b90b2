---
title: 企业的两跳合作网络
title_en: An enterprise's collaborators within two hops
description: >-
  回答“一家企业通过哪些伙伴联系到谁”。从这家企业出发，沿选定的关系（两个方向都算）走一步或两步，列出能到达的机构、项目、平台和集群，以及最少要走几步。来源文献、六新分类和地区不作为中转。各列：到达的主体、它的类型、最少步数（1 表示直接相连，2 表示经过一个中间方）。
description_en: >-
  Answers "whom does an enterprise reach through its partners". From the enterprise, follows the chosen
  relationships (either direction) one or two steps and lists the organisations, projects, platforms and
  clusters reached, with the fewest steps needed. Sources, 六新 categories and regions are not passed
  through. Columns: the entity reached, its type, and the fewest steps (1: directly related; 2: through one
  go-between).
returns: both
parameters:
  enterprise:
    type: entity_id
    entity_type: Enterprise
    required: true
    label: 企业
    label_en: Enterprise
    description: 从这家企业出发。
    description_en: The enterprise to start from.
  rel_types:
    type: string_list
    items: relationship_type
    default: [COLLABORATES_WITH, MEMBER_OF, PART_OF, OPERATES_IN, HOSTED_BY, LEADS, FINANCES, SUPPORTS]
    label: 沿哪些关系
    label_en: Relationships to follow
    description: 只沿这些关系往外走；默认是合作、成员、隶属、经营环节、依托、牵头、金融支持和支持。
    description_en: Follow only these relationships; by default collaboration, membership, part of, operating in, hosted by, leading, financing and support.
columns:
  id: {zh: 编号, en: Id, kind: id}
  name: {zh: 到达的主体, en: Reached, kind: name, of: id}
  type: {zh: 类型, en: Type, kind: node_type}
  hops: {zh: 最少步数, en: Fewest steps}
  node: {zh: 图中节点, en: Node in the map}
---
MATCH (e:Enterprise {id: $enterprise})-[r1]-(x:Entity)
WHERE type(r1) IN $rel_types AND x.id <> e.id AND NOT (x:Source OR x:Category OR x:Region)
OPTIONAL MATCH (x)-[r2]-(y:Entity)
WHERE type(r2) IN $rel_types AND y.id <> e.id AND NOT (y:Source OR y:Category OR y:Region)
WITH collect(DISTINCT x.id) AS near, collect(DISTINCT y.id) AS far
WITH near, [i IN far WHERE NOT i IN near] AS further
UNWIND near + further AS cid
MATCH (c:Entity {id: cid})
RETURN c.id AS id, c.name AS name, [l IN labels(c) WHERE l <> 'Entity'][0] AS type,
       CASE WHEN cid IN near THEN 1 ELSE 2 END AS hops, c AS node
ORDER BY hops, id
