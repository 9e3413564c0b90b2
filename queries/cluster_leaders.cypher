---
title: 链主与龙头企业
title_en: Leading enterprises of each cluster
description: >-
  回答“每个产业集群由哪些企业牵头”。列出牵头一个集群的企业，以及被标为链主或龙头的成员企业。各列：集群、企业、依据（“领导/牵头”表示来源记载它牵头该集群，“属于集群”表示它是被标为链主的成员），以及图中的对应连线。
description_en: >-
  Answers "which enterprises lead each industry cluster". Lists the enterprises that lead a cluster and the
  member enterprises flagged as its chain leader (链主/龙头). Columns: the cluster, the enterprise, on what
  grounds ("leads": a source says it leads the cluster; "member of": a member flagged as leader), and the
  link in the map.
returns: both
parameters:
  cluster:
    type: entity_id
    entity_type: Cluster
    label: 产业集群
    label_en: Industry cluster
    description: 只看这个集群；不填则列出所有集群。
    description_en: Only this cluster; every cluster when left empty.
columns:
  cluster: {zh: 集群编号, en: Cluster id, kind: id}
  cluster_name: {zh: 产业集群, en: Cluster, kind: name, of: cluster}
  enterprise: {zh: 企业编号, en: Enterprise id, kind: id}
  enterprise_name: {zh: 企业, en: Enterprise, kind: name, of: enterprise}
  via: {zh: 依据, en: On what grounds, kind: relationship_type}
  path: {zh: 图中连线, en: Link in the map}
---
MATCH p = (e:Enterprise)-[r]->(c:Cluster)
WHERE ($cluster IS NULL OR c.id = $cluster)
  AND (type(r) = 'LEADS' OR (type(r) = 'MEMBER_OF' AND e.is_leader = true))
RETURN c.id AS cluster, c.name AS cluster_name, e.id AS enterprise, e.name AS enterprise_name, type(r) AS via,
       p AS path
ORDER BY cluster, enterprise, via
