---
title: 共享平台
title_en: Platforms shared by several clusters
description: >-
  回答“哪些创新平台同时服务多个产业集群”。列出与至少若干个集群有联系的平台（实验室、中试基地、各类中心等）：它们适合跨集群共享，也可能是一旦出问题就影响多个集群的薄弱点。各列：平台、平台类型、联系的集群个数和这些集群。
description_en: >-
  Answers "which innovation platforms serve several industry clusters at once". Lists the platforms (labs,
  pilot bases, centres …) related to at least the given number of clusters: candidates for sharing across
  clusters, or single points of failure. Columns: the platform, its kind, how many clusters it is related
  to, and which.
returns: table
parameters:
  min_clusters:
    type: integer
    default: 2
    minimum: 1
    maximum: 100
    label: 至少联系几个集群
    label_en: Least number of clusters
    description: 平台至少要与这么多个集群有联系。
    description_en: The least number of clusters a platform must be related to.
columns:
  platform: {zh: 平台编号, en: Platform id, kind: id}
  name: {zh: 平台, en: Platform, kind: name, of: platform}
  kind: {zh: 平台类型, en: Kind}
  cluster_count: {zh: 集群个数, en: Clusters}
  clusters: {zh: 联系的集群, en: Related clusters, kind: ids}
---
MATCH (p:Platform)-[r]-(c:Cluster)
WITH p, collect(DISTINCT c.id) AS clusters
WHERE size(clusters) >= $min_clusters
RETURN p.id AS platform, p.name AS name, p.kind AS kind, size(clusters) AS cluster_count, clusters
ORDER BY cluster_count DESC, platform
