---
title: 集群的创新生态 · A cluster's ecosystem
description: >-
  The cluster, every entity directly related to it (members, chain links, leaders, financiers,
  supporting policies…), and around its members and chain links the enterprises, institutions,
  platforms, finance, policies, projects, parks, technologies and products they are related to.
  Sources, 六新 categories and regions are left out to keep the picture readable.
returns: graph
parameters:
  cluster:
    type: entity_id
    required: true
    description: Id of the cluster (e.g. from /api/entities?type=Cluster).
---
MATCH (c:Cluster {id: $cluster})
OPTIONAL MATCH (c)-[r1]-(m:Entity)
WHERE NOT (m:Source OR m:Category OR m:Region)
OPTIONAL MATCH (m)-[r2]-(x:Entity)
WHERE type(r1) IN ['MEMBER_OF', 'HAS_LINK'] AND x <> c
  AND (x:Enterprise OR x:Institution OR x:Platform OR x:FinancialInstitution OR x:Policy OR x:Project
       OR x:Park OR x:ChainLink OR x:Technology OR x:Product)
RETURN c AS cluster, r1 AS relationship, m AS neighbour, r2 AS second_relationship, x AS second_neighbour
