---
title: 招商目标环节
title_en: Chain links to attract enterprises to
description: >-
  回答“这个集群的哪些环节需要招商，省外有哪些企业在做”。列出产业集群（可只看一个集群）中的缺口环节（没有本地企业）和薄弱环节（本地企业不超过上限），以及在这些环节经营的省外企业。本地指位于所选省份或其下辖地区（经“隶属”关系最多三级）；省外指企业的所在地区是数据中已知的其他地区；所在地区未注明或不在数据中的企业按本地计算；数据中没有这个省份时不列出任何环节。带评分、排名和依据的完整候选名单见集群的招商目标页面和接口 /api/clusters/{id}/targets。各列：所属集群、环节、位置、状态、本地企业数、省外企业数和这些省外企业。
description_en: >-
  Answers "which links of this cluster need investment attraction, and which enterprises outside the province
  work in them". Lists the gap links of the clusters (or of one) (no local enterprise) and fragile links (no more local
  enterprises than the limit), with the enterprises outside the province operating in them. Local means in the
  chosen province or a region within it (up to three PART_OF steps); outside means the enterprise's region is
  another region the data knows; an enterprise whose region is not recorded, or not in the data, counts as
  local; a province the data does not hold lists nothing. The full ranked list of candidates, with scores
  and evidence, is on the cluster's targets page and at
  /api/clusters/{id}/targets. Columns: the cluster, the link, its position, its status, the number of local enterprises,
  the number outside and which they are.
returns: table
parameters:
  cluster:
    type: entity_id
    entity_type: Cluster
    label: 产业集群
    label_en: Industry cluster
    description: 只看这个集群的环节；不填则列出所有集群。
    description_en: Only this cluster's chain links; every cluster when left empty.
  home:
    type: string
    default: 山西省
    max_length: 100
    label: 本省
    label_en: Home province
    description: 本地企业所在的省份（地区名称）；位于它及其下辖地区的企业算作本地。
    description_en: The province (a region's name) whose enterprises, and those of its parts, are local.
  fragile_max:
    type: integer
    default: 1
    minimum: 0
    maximum: 100
    label: 薄弱上限
    label_en: Fragile limit
    description: 本地企业不超过这个数的环节算作薄弱（0 家为缺口）。
    description_en: A link with no more local enterprises than this is fragile (none is a gap).
columns:
  cluster: {zh: 产业集群, en: Cluster, kind: entity}
  chain_link: {zh: 环节编号, en: Chain link id, kind: id}
  name: {zh: 产业链环节, en: Chain link, kind: name, of: chain_link}
  position: {zh: 环节位置, en: Position in the chain}
  status: {zh: 状态, en: Status}
  local_enterprises: {zh: 本地企业数, en: Local enterprises}
  outside_enterprises: {zh: 省外企业数, en: Enterprises outside}
  outside_ids: {zh: 省外企业, en: Enterprises outside the province, kind: ids}
---
MATCH (home:Region {name: $home})
OPTIONAL MATCH (part:Region)-[:PART_OF*0..3]->(home)
WITH collect(DISTINCT part.name) AS home_names
WHERE size(home_names) > 0
MATCH (known:Region)
WITH home_names, collect(DISTINCT known.name) AS known_names
MATCH (c:Cluster)-[:HAS_LINK]->(l:ChainLink)
WHERE $cluster IS NULL OR c.id = $cluster
OPTIONAL MATCH (e:Enterprise)-[:OPERATES_IN]->(l)
WITH c, l, home_names, known_names, collect(DISTINCT e) AS firms
WITH c, l, size(firms) AS total,
     [f IN firms WHERE f.region IN known_names AND NOT f.region IN home_names] AS outside
WITH c, l, outside, total - size(outside) AS local_enterprises
WHERE local_enterprises <= $fragile_max
RETURN c.id AS cluster, l.id AS chain_link, l.name AS name, l.position AS position,
       CASE WHEN local_enterprises = 0 THEN '缺口' ELSE '薄弱' END AS status,
       local_enterprises, size(outside) AS outside_enterprises, [f IN outside | f.id] AS outside_ids
ORDER BY cluster, chain_link
