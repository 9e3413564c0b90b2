---
title: 新技术与新基建的应用
title_en: Who uses which technology or infrastructure
description: >-
  回答“哪些主体在应用或需要某项技术、基础设施”（如 5G、工业互联网、BIM、CIM）。每一行是一条联系：技术或基础设施、联系的种类（应用或需要）、应用或需要它的主体，以及图中的对应连线。
description_en: >-
  Answers "who uses or needs a technology or a piece of infrastructure" (5G, industrial internet, BIM, CIM …).
  Each row is one link: the technology or infrastructure, the kind of link (uses or needs), the entity that
  uses or needs it, and the link in the map.
returns: both
parameters:
  technology:
    type: entity_id
    entity_type: [Technology, Infrastructure]
    label: 技术或基础设施
    label_en: Technology or infrastructure
    description: 只看这项技术或基础设施；不填则列出全部。
    description_en: Only this technology or infrastructure; all of them when left empty.
columns:
  technology: {zh: 技术编号, en: Technology id, kind: id}
  technology_name: {zh: 技术或基础设施, en: Technology, kind: name, of: technology}
  relation: {zh: 联系, en: Link, kind: relationship_type}
  user: {zh: 主体编号, en: User id, kind: id}
  user_name: {zh: 应用或需要它的主体, en: Used or needed by, kind: name, of: user}
  path: {zh: 图中连线, en: Link in the map}
---
MATCH p = (u:Entity)-[r]->(t:Entity)
WHERE (t:Technology OR t:Infrastructure) AND type(r) IN ['USES', 'NEEDS']
  AND ($technology IS NULL OR t.id = $technology)
RETURN t.id AS technology, t.name AS technology_name, type(r) AS relation, u.id AS user, u.name AS user_name,
       p AS path
ORDER BY technology, user, relation
