---
title: 人物与职务
title_en: People, their roles and organisations
description: >-
  回答“来源文献提到了哪些人，他们在哪里任职、牵头什么”。每一行是一个人与一个机构的联系：人物、来源所述的职务、联系的种类（牵头或隶属）、在这层联系中的角色（如有记载），以及所在或牵头的机构。可以只看与某个机构有关的人。
description_en: >-
  Answers "which people do the sources name, where do they work and what do they lead". Each row joins a
  person to an organisation: the person, the role the source gives, the kind of link (leads or part of),
  the role in that link where recorded, and the organisation. Can be narrowed to the people of one
  organisation.
returns: both
parameters:
  organisation:
    type: entity_id
    label: 机构
    label_en: Organisation
    description: 只看与这个机构有关的人；不填则列出所有人。
    description_en: Only the people related to this organisation; everyone when left empty.
columns:
  person: {zh: 人物编号, en: Person id, kind: id}
  name: {zh: 人物, en: Person, kind: name, of: person}
  role: {zh: 职务, en: Role}
  relation: {zh: 联系, en: Link, kind: relationship_type}
  relation_role: {zh: 在此联系中的角色, en: Role in the link}
  organisation: {zh: 机构编号, en: Organisation id, kind: id}
  organisation_name: {zh: 机构, en: Organisation, kind: name, of: organisation}
  path: {zh: 图中连线, en: Link in the map}
---
MATCH p = (per:Person)-[r]->(o:Entity)
WHERE type(r) IN ['LEADS', 'PART_OF'] AND ($organisation IS NULL OR o.id = $organisation)
RETURN per.id AS person, per.name AS name, per.role AS role, type(r) AS relation, r.role AS relation_role,
       o.id AS organisation, o.name AS organisation_name, p AS path
ORDER BY person, organisation, relation
