---
title: 集群缺什么
title_en: What each cluster lacks
description: >-
  回答“每个产业集群还缺哪些支撑”。检查四样支撑是否与集群有联系：中试基地、重点实验室、孵化器（或双创中心）、金融合作伙伴（为集群提供金融支持的银行或基金）。某个平台只要与集群有任何联系就算“有”。各列：集群、四项是否具备（是/否），以及缺少的项目清单。
description_en: >-
  Answers "what support does each industry cluster still lack". Checks whether four kinds of support are
  related to the cluster: a pilot base (中试基地), a key laboratory (重点实验室), an incubator (孵化器 or
  双创中心) and a finance partner (a bank or fund that finances it). A platform counts as soon as anything
  links it to the cluster. Columns: the cluster, yes or no for each of the four, and the list of what is
  missing.
returns: table
parameters:
  only_gaps:
    type: boolean
    default: true
    label: 只看有缺口的集群
    label_en: Only clusters with gaps
    description: 选“是”时只列出至少缺少一项的集群。
    description_en: When yes, only the clusters that lack at least one of the four.
columns:
  cluster: {zh: 集群编号, en: Cluster id, kind: id}
  name: {zh: 产业集群, en: Cluster, kind: name, of: cluster}
  has_pilot_base: {zh: 有中试基地, en: Pilot base}
  has_key_lab: {zh: 有重点实验室, en: Key laboratory}
  has_incubator: {zh: 有孵化器或双创中心, en: Incubator}
  has_finance_partner: {zh: 有金融合作伙伴, en: Finance partner}
  missing: {zh: 缺少, en: Missing}
---
MATCH (c:Cluster)
OPTIONAL MATCH (c)-[rp]-(p:Platform)
WITH c, collect(DISTINCT p.kind) AS kinds
OPTIONAL MATCH (f:FinancialInstitution)-[rf:FINANCES]->(c)
WITH c, kinds, count(rf) AS finance_links
WITH c, '中试基地' IN kinds AS has_pilot_base, '重点实验室' IN kinds AS has_key_lab,
     ('孵化器' IN kinds OR '双创中心' IN kinds) AS has_incubator, finance_links > 0 AS has_finance_partner
WITH c, has_pilot_base, has_key_lab, has_incubator, has_finance_partner,
     [x IN [[has_pilot_base, '中试基地'], [has_key_lab, '重点实验室'], [has_incubator, '孵化器/双创中心'],
            [has_finance_partner, '金融合作伙伴']] WHERE NOT x[0] | x[1]] AS missing
WHERE NOT $only_gaps OR size(missing) > 0
RETURN c.id AS cluster, c.name AS name, has_pilot_base, has_key_lab, has_incubator, has_finance_partner, missing
ORDER BY cluster
