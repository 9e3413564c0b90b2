---
title: 来源所述
title_en: Everything a source states
description: >-
  回答“一篇来源文献支撑了哪些事实”，便于对照原文核查。列出引用这篇来源（或其中某一节）的每个主体和每条关系：主体、关系（只列主体本身时为空）、关系另一端的主体、引用的章节（点击可打开来源页面）和整理时的备注。
description_en: >-
  Answers "which facts does a source document support", to check them against the text. Lists every entity
  and relationship that cites the source (or one of its sections): the subject, the relationship (empty for
  an entity on its own), the entity at its other end, the sections cited (click to open the source page) and
  the note written when the fact was recorded.
returns: both
parameters:
  source:
    type: entity_id
    entity_type: Source
    required: true
    label: 来源
    label_en: Source
    description: 要核查的来源文献。
    description_en: The source document to check.
  section:
    type: integer
    minimum: 0
    maximum: 1000
    label: 章节
    label_en: Section
    description: 只看这一节（0 为导语或标题）；不填则列出所有章节。
    description_en: Only this section (0 is the lead or heading); every section when left empty.
columns:
  subject: {zh: 主体编号, en: Subject id, kind: id}
  subject_name: {zh: 主体, en: Subject, kind: name, of: subject}
  relation: {zh: 关系, en: Relationship, kind: relationship_type}
  object: {zh: 另一端编号, en: Object id, kind: id}
  object_name: {zh: 关系另一端, en: Other end, kind: name, of: object}
  citations: {zh: 引用章节, en: Citations, kind: citations}
  note: {zh: 备注, en: Note}
  element: {zh: 图中元素, en: In the map}
---
// The parentheses around ($source + '#') matter: FalkorDB binds STARTS WITH tighter than +.
MATCH (n:Entity)
WHERE any(x IN coalesce(n.sources, []) WHERE
          ($section IS NULL AND (x = $source OR x STARTS WITH ($source + '#')))
          OR x = $source + '#' + toString($section))
RETURN n.id AS subject, n.name AS subject_name, null AS relation, null AS object, null AS object_name,
       [x IN n.sources WHERE x = $source OR x STARTS WITH ($source + '#')] AS citations, n.note AS note,
       n AS element
UNION ALL
MATCH p = (a:Entity)-[r]->(b:Entity)
WHERE any(x IN coalesce(r.sources, []) WHERE
          ($section IS NULL AND (x = $source OR x STARTS WITH ($source + '#')))
          OR x = $source + '#' + toString($section))
RETURN a.id AS subject, a.name AS subject_name, type(r) AS relation, b.id AS object, b.name AS object_name,
       [x IN r.sources WHERE x = $source OR x STARTS WITH ($source + '#')] AS citations, r.note AS note,
       p AS element
