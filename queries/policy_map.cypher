---
title: 政策地图
title_en: Policies, who issues them and what they support
description: >-
  回答“有哪些政策，由谁发布、谁主管、支持什么”。每一行是一项政策：名称、年份、政策措施，发布它的部门或人物、主管它的部门，以及它支持的集群、企业、平台等。可以只看支持某类对象的政策。
description_en: >-
  Answers "which policies are there, who issues and governs them and what do they support". Each row is one
  policy: its name, year and measures, the agencies or people that issue it, the agencies that govern it,
  and the clusters, enterprises, platforms … it supports. Can be narrowed to the policies that support one
  type of entity.
returns: table
parameters:
  supports_type:
    type: node_type
    label: 支持对象的类型
    label_en: Type supported
    description: 只看至少支持一个这类对象的政策；不填则列出全部政策。
    description_en: Only policies that support at least one entity of this type; every policy when left empty.
columns:
  policy: {zh: 政策编号, en: Policy id, kind: id}
  name: {zh: 政策, en: Policy, kind: name, of: policy}
  year: {zh: 年份, en: Year}
  measures: {zh: 政策措施, en: Measures}
  issued_by: {zh: 发布方, en: Issued by, kind: ids}
  governed_by: {zh: 主管部门, en: Governed by, kind: ids}
  supports: {zh: 支持对象, en: Supports, kind: ids}
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
