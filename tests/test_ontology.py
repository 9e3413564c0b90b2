"""The ontology is self-consistent: everything derived from it can rely on these tables."""

from __future__ import annotations

from graph import ontology as o


def test_relationship_endpoints_name_existing_node_types() -> None:
    labels = {t.label for t in o.NODE_TYPES}
    for rel in o.REL_TYPES:
        assert set(rel.starts) <= labels, rel.name
        assert set(rel.ends) <= labels, rel.name
        assert rel.name.isupper() and " " not in rel.name


def test_names_are_unique() -> None:
    labels = [t.label for t in o.NODE_TYPES]
    assert len(labels) == len(set(labels)) and o.ENTITY_LABEL not in labels
    assert len({t.zh for t in o.NODE_TYPES}) == len(labels)
    assert len({r.name for r in o.REL_TYPES}) == len(o.REL_TYPES)
    for t in o.NODE_TYPES:
        names = [p.name for p in o.node_props(t.label)]
        assert len(names) == len(set(names)), t.label
    for r in o.REL_TYPES:
        names = [p.name for p in o.rel_props(r.name)]
        assert len(names) == len(set(names)), r.name


def test_the_six_categories_have_valid_stable_ids() -> None:
    assert [c.value for c in o.Liuxin] == ["新基建", "新技术", "新材料", "新装备", "新产品", "新业态"]
    assert set(o.LIUXIN_IDS) == set(o.Liuxin) and set(o.LIUXIN_EN) == set(o.Liuxin)
    assert all(o.ID_PATTERN.match(i) for i in o.LIUXIN_IDS.values())


def test_every_type_has_the_provenance_properties() -> None:
    for t in o.NODE_TYPES:
        names = {p.name for p in o.node_props(t.label)}
        assert {"id", "name", "sources", "note", "synthetic", "liuxin"} <= names
    for r in o.REL_TYPES:
        assert {"sources", "note", "synthetic"} <= {p.name for p in o.rel_props(r.name)}


def test_derived_relationship_types_exist() -> None:
    assert set(o.DERIVED_REL_TYPES) <= set(o.REL_TYPE_BY_NAME)


def test_summary_lists_every_type_once() -> None:
    summary = o.ontology_summary()
    assert [t["label"] for t in summary["node_types"]] == [t.label for t in o.NODE_TYPES]
    assert [r["name"] for r in summary["relationship_types"]] == [r.name for r in o.REL_TYPES]
    assert len(summary["liuxin"]) == 6
