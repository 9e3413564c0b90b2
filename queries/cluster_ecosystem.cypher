---
title: 集群的创新生态
title_en: A cluster's ecosystem
description: >-
  回答“围绕一个产业集群有哪些主体、它们怎样联系”。以网络图显示这个集群、与它直接相连的一切（成员企业、产业链环节、链主、金融支持、扶持政策等），以及成员和环节身边的企业、高校院所、平台、金融机构、政策、项目、园区、技术和产品。为了让图清楚易读，来源文献、六新分类和地区不画出来。表格中每一行是一条连线：集群、关系、直接相连的主体，以及再往外一步的关系和主体。
description_en: >-
  Answers "who is around one industry cluster and how they are connected". Draws the cluster, everything
  directly related to it (member enterprises, chain links, leaders, financiers, supporting policies …), and
  around its members and chain links the enterprises, institutions, platforms, finance, policies, projects,
  parks, technologies and products they are related to. Sources, 六新 categories and regions are left out to
  keep the picture readable. Each table row is one link: the cluster, the relationship, the directly related
  entity, and the relationship and entity one step further.
returns: graph
parameters:
  cluster:
    type: entity_id
    entity_type: Cluster
    required: true
    label: 产业集群
    label_en: Industry cluster
    description: 要查看的产业集群。
    description_en: The industry cluster to look at.
columns:
  cluster: {zh: 产业集群, en: Cluster}
  relationship: {zh: 关系, en: Relationship}
  neighbour: {zh: 直接相连的主体, en: Directly related}
  second_relationship: {zh: 再往外的关系, en: Next relationship}
  second_neighbour: {zh: 再往外的主体, en: One step further}
---
MATCH (c:Cluster {id: $cluster})
OPTIONAL MATCH (c)-[r1]-(m:Entity)
WHERE NOT (m:Source OR m:Category OR m:Region)
OPTIONAL MATCH (m)-[r2]-(x:Entity)
WHERE type(r1) IN ['MEMBER_OF', 'HAS_LINK'] AND x <> c
  AND (x:Enterprise OR x:Institution OR x:Platform OR x:FinancialInstitution OR x:Policy OR x:Project
       OR x:Park OR x:ChainLink OR x:Technology OR x:Product)
RETURN c AS cluster, r1 AS relationship, m AS neighbour, r2 AS second_relationship, x AS second_neighbour
