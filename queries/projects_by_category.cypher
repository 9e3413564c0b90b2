---
title: 重点项目
title_en: Projects by 六新 category and region
description: >-
  回答“某一类‘六新’或某个地区有哪些项目”。每一行是一个项目：名称、所属六新分类、所在地区、来源所述的规模（数量和单位，如 16 万吨/年）、年份、推进状态，以及项目所属的产业集群。
description_en: >-
  Answers "which projects are there in a 六新 category or a region". Each row is one project: its name, 六新
  categories, region, the figure the source gives (quantity and unit, e.g. 16 万吨/年), year, status, and the
  clusters it belongs to.
returns: table
parameters:
  liuxin:
    type: liuxin
    label: 六新分类
    label_en: 六新 category
    description: 只看这一类的项目；不填则不限。
    description_en: Only projects in this category; any category when left empty.
  region:
    type: string
    max_length: 100
    label: 地区
    label_en: Region
    description: 只看位于这个地区的项目（如“太原市”）；不填则不限。
    description_en: Only projects in this region (e.g. 太原市); any region when left empty.
columns:
  project: {zh: 项目编号, en: Project id, kind: id}
  name: {zh: 项目, en: Project, kind: name, of: project}
  liuxin: {zh: 六新分类, en: 六新 categories, kind: liuxin}
  region: {zh: 地区, en: Region}
  quantity: {zh: 数量, en: Quantity}
  unit: {zh: 单位, en: Unit}
  year: {zh: 年份, en: Year}
  status: {zh: 状态, en: Status}
  clusters: {zh: 所属集群, en: Clusters, kind: ids}
---
MATCH (p:Project)
WHERE ($liuxin IS NULL OR $liuxin IN p.liuxin) AND ($region IS NULL OR p.region = $region)
OPTIONAL MATCH (p)-[m:MEMBER_OF]->(c:Cluster)
RETURN p.id AS project, p.name AS name, p.liuxin AS liuxin, p.region AS region, p.quantity AS quantity,
       p.unit AS unit, p.year AS year, p.status AS status, collect(c.id) AS clusters
ORDER BY project
