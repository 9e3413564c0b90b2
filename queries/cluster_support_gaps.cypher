---
title: 集群缺什么 · What each cluster lacks
description: >-
  For every cluster: whether a pilot base (中试基地), a key laboratory (重点实验室), an incubator
  (孵化器 or 双创中心) and a finance partner (a bank or fund that FINANCES it) are related to it,
  and the list of what is missing. A platform counts when any relationship joins it to the cluster.
returns: table
parameters:
  only_gaps:
    type: boolean
    default: true
    description: Only clusters that lack at least one of the four.
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
