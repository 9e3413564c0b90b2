---
title: 产业转移来源地
title_en: Regions the province attracts industry from
description: >-
  回答“山西从哪些地区承接产业转移、由谁来承接”。每一行是一条来源文献记载的承接关系：来源地区（如长三角、粤港澳）、承接它的产业集群、园区或地区，以及记载这一点的出处（点击可查看原文所在章节）。表格下方的网络图把承接方和来源地区连起来。
description_en: >-
  Answers "which regions does Shanxi take over industry from, and who takes it on". Each row is one such
  link recorded in the sources: the region of origin (e.g. the Yangtze River Delta), the cluster, park or
  region that attracts the industry, and the citation that records it (click it to open the section of the
  source). The map below the table joins each taker to its region of origin.
returns: both
parameters: {}
columns:
  region: {zh: 来源地区编号, en: Region id, kind: id}
  region_name: {zh: 来源地区, en: Region of origin, kind: name, of: region}
  attracted_by: {zh: 承接方编号, en: Taker id, kind: id}
  attracted_by_name: {zh: 承接方, en: Attracted by, kind: name, of: attracted_by}
  sources: {zh: 出处, en: Citations, kind: citations}
  path: {zh: 图中连线, en: Link in the map}
---
MATCH p = (x:Entity)-[r:TRANSFERS_FROM]->(reg:Region)
RETURN reg.id AS region, reg.name AS region_name, x.id AS attracted_by, x.name AS attracted_by_name,
       r.sources AS sources, p AS path
ORDER BY region, attracted_by
