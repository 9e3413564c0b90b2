---
title: 谁在投融资
title_en: Who finances what
description: >-
  回答“哪些银行、基金或部门在为什么提供金融支持”。每一行是一条来源文献记载的金融支持：出资方及其类型（银行、产业基金等）、获得支持的对象（集群、项目、企业、平台等）及其类型、出资方扮演的角色，以及出处。可以只看某类对象或某个出资方。
description_en: >-
  Answers "which banks, funds or agencies finance what". Each row is one financing link recorded in the
  sources: the financer and its kind (bank, industry fund …), what it finances (cluster, project,
  enterprise, platform …) and its type, the financer's role, and the citation. Can be narrowed to one type
  of target or one financer.
returns: both
parameters:
  target_type:
    type: node_type
    label: 支持对象的类型
    label_en: Type of what is financed
    description: 只看对这类对象的金融支持（如产业集群或项目）；不填则不限。
    description_en: Only financing of this type of entity (e.g. cluster or project); any type when left empty.
  financer:
    type: entity_id
    entity_type: [FinancialInstitution, Agency]
    label: 出资方
    label_en: Financer
    description: 只看这个银行、基金或部门；不填则列出全部。
    description_en: Only this bank, fund or agency; all of them when left empty.
columns:
  financer: {zh: 出资方编号, en: Financer id, kind: id}
  financer_name: {zh: 出资方, en: Financer, kind: name, of: financer}
  kind: {zh: 出资方类型, en: Financer kind}
  target: {zh: 对象编号, en: Target id, kind: id}
  target_name: {zh: 支持对象, en: Financed, kind: name, of: target}
  target_type: {zh: 对象类型, en: Target type, kind: node_type}
  role: {zh: 角色, en: Role}
  sources: {zh: 出处, en: Citations, kind: citations}
  path: {zh: 图中连线, en: Link in the map}
---
MATCH p = (f:Entity)-[r:FINANCES]->(t:Entity)
WHERE ($target_type IS NULL OR $target_type IN labels(t)) AND ($financer IS NULL OR f.id = $financer)
RETURN f.id AS financer, f.name AS financer_name, f.kind AS kind, t.id AS target, t.name AS target_name,
       [l IN labels(t) WHERE l <> 'Entity'][0] AS target_type, r.role AS role, r.sources AS sources, p AS path
ORDER BY financer, target
