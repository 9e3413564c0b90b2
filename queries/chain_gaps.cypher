---
title: 补链候选
title_en: Chain links without local enterprises
description: >-
  回答“产业链上哪些环节还没有企业”。列出产业集群的每个产业链环节，以及有多少家企业在这个环节经营；可以只看某个集群，也可以只统计某个地区的企业。企业数为 0 的环节就是补链候选：需要引进或培育企业的地方。各列：所属集群、环节名称、环节在链条中的位置（如整车、零部件、材料、服务）、企业数和这些企业。
description_en: >-
  Answers "which links of the industrial chain have no enterprise yet". Lists every chain link of the
  clusters and how many enterprises operate in it, for one cluster or all, optionally counting only the
  enterprises of one region. A link with none is a 补链 candidate: where to attract or grow a firm. Columns:
  the cluster, the chain link, its position in the chain (vehicle, components, materials, services …), the
  number of enterprises and which they are.
returns: table
parameters:
  cluster:
    type: entity_id
    entity_type: Cluster
    label: 产业集群
    label_en: Industry cluster
    description: 只看这个集群的产业链环节；不填则列出所有集群。
    description_en: Only this cluster's chain links; every cluster when left empty.
  region:
    type: string
    max_length: 100
    label: 企业所在地区
    label_en: Enterprises' region
    description: 只统计位于这个地区的企业（如“太原市”）；不填则不限地区。
    description_en: Count only the enterprises in this region (e.g. 太原市); any region when left empty.
  only_gaps:
    type: boolean
    default: false
    label: 只看缺企业的环节
    label_en: Only links without enterprises
    description: 选“是”时只列出还没有企业的环节。
    description_en: When yes, only the chain links that have no such enterprise.
columns:
  cluster: {zh: 产业集群, en: Cluster, kind: entity}
  chain_link: {zh: 环节编号, en: Chain link id, kind: id}
  name: {zh: 产业链环节, en: Chain link, kind: name, of: chain_link}
  position: {zh: 环节位置, en: Position in the chain}
  enterprises: {zh: 企业数, en: Enterprises}
  enterprise_ids: {zh: 在此经营的企业, en: Enterprises operating here, kind: ids}
---
MATCH (c:Cluster)-[h:HAS_LINK]->(l:ChainLink)
WHERE $cluster IS NULL OR c.id = $cluster
OPTIONAL MATCH (e:Enterprise)-[o:OPERATES_IN]->(l)
WHERE $region IS NULL OR e.region = $region
WITH c, l, count(o) AS enterprises, collect(e.id) AS enterprise_ids
WHERE NOT $only_gaps OR enterprises = 0
RETURN c.id AS cluster, l.id AS chain_link, l.name AS name, l.position AS position, enterprises, enterprise_ids
ORDER BY cluster, chain_link
