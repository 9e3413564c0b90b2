"""Loading is idempotent, partial updates change only what they give, a dry run writes nothing,
and the derived CLASSIFIED_AS / MENTIONED_IN edges follow the ``liuxin`` and ``sources`` lists —
all checked on the store's contents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.ontology import LIUXIN_IDS, Liuxin
from graph.store import GraphStore
from loaders import LoadRejected, load_paths
from loaders.export import export_graph

SMALL = Path(__file__).parent / "fixtures" / "small" / "small.yaml"


def write(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def exported(store: GraphStore, tmp_path: Path, name: str = "export.json") -> str:
    return export_graph(store, "json", tmp_path / name).read_text(encoding="utf-8")


def props(store: GraphStore, node_id: str) -> dict:
    return store.read("MATCH (n:Entity {id: $id}) RETURN properties(n)", {"id": node_id}).scalar()


def targets(store: GraphStore, node_id: str, rel_type: str) -> dict[str, dict]:
    rows = store.read(f"MATCH (:Entity {{id: $id}})-[r:{rel_type}]->(b) RETURN b.id, properties(r)",
                      {"id": node_id}).rows
    return dict(rows)


def initial_method(store: GraphStore) -> str:
    """How a load into an empty store writes: the engine's bulk build, or batched CREATEs."""
    return "bulk" if store.can_bulk_build else "create"


def test_loading_twice_changes_nothing(store: GraphStore, tmp_path: Path) -> None:
    first = load_paths(store, [SMALL])
    assert first.method == initial_method(store) and first.total("node", "created") == 9
    before, version = exported(store, tmp_path, "a.json"), store.version()
    again = load_paths(store, [SMALL])
    assert again.method == "none" and not again.changed
    # The two Category nodes were derived the first time; now they are in the store, not in the input.
    assert again.total("node", "unchanged") == 7 and again.total("rel", "unchanged") == 11
    assert exported(store, tmp_path, "b.json") == before
    assert store.version() == version


def test_a_partial_update_changes_only_the_given_properties(store: GraphStore, tmp_path: Path) -> None:
    load_paths(store, [SMALL])
    old = props(store, "ent-taigang")
    update = write(tmp_path / "update.json", [
        {"type": "企业", "id": "ent-taigang", "region": "太原市"},
        {"type": "FINANCES", "start": "fin-jinshang", "end": "clu-materials", "weight": 0.5},
    ])
    report = load_paths(store, [update])
    assert report.nodes["Enterprise"] == {"created": 0, "updated": 1, "unchanged": 0, "deleted": 0}
    assert report.relationships["FINANCES"] == {"created": 0, "updated": 1, "unchanged": 0, "deleted": 0}
    assert props(store, "ent-taigang") == {**old, "region": "太原市"}
    assert targets(store, "fin-jinshang", "FINANCES") == {"clu-materials": {"weight": 0.5,
                                                                            "note": "@晋商银行 as partner"}}
    assert len(targets(store, "ent-taigang", "CLASSIFIED_AS")) == 2  # liuxin not given: its edges stay


def test_incremental_loads_write_through_merge_and_reach_the_bulk_graph(store: GraphStore, tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
    half = write(tmp_path / "half.json", data["nodes"][:3])
    assert load_paths(store, [half]).method == initial_method(store)
    report = load_paths(store, [SMALL], batch_size=2)
    assert report.method == "merge"
    # 4 input nodes and the 新装备 Category are new; 新材料 came with the first load.
    assert report.total("node", "created") == 5 and report.total("node", "unchanged") == 3
    merged = exported(store, tmp_path, "merged.json")
    store.clear()
    load_paths(store, [SMALL])
    assert exported(store, tmp_path, "bulk.json") == merged


def test_a_dry_run_reports_the_changes_and_writes_nothing(store: GraphStore, tmp_path: Path) -> None:
    load_paths(store, [SMALL])
    before, version = exported(store, tmp_path, "a.json"), store.version()
    change = write(tmp_path / "change.json", [
        {"type": "Enterprise", "id": "ent-new", "name": "新企业"},
        {"type": "Enterprise", "id": "ent-taigang", "name": "太钢集团"},
        {"type": "MEMBER_OF", "start": "ent-new", "end": "clu-materials"},
        {"type": "MEMBER_OF", "start": "ent-taigang", "end": "clu-materials", "weight": 1.0},
        {"type": "MEMBER_OF", "start": "proj-silicon-steel", "end": "clu-materials"},
    ])
    report = load_paths(store, [change], dry_run=True)
    assert report.dry_run and report.method == "none"
    assert report.nodes["Enterprise"] == {"created": 1, "updated": 1, "unchanged": 0, "deleted": 0}
    assert report.relationships["MEMBER_OF"] == {"created": 1, "updated": 1, "unchanged": 1, "deleted": 0}
    assert exported(store, tmp_path, "b.json") == before and store.version() == version
    real = load_paths(store, [change])
    assert (real.nodes, real.relationships) == (report.nodes, report.relationships)


def test_a_dry_run_into_an_empty_store_counts_everything_as_created(store: GraphStore) -> None:
    report = load_paths(store, [SMALL], dry_run=True)
    assert report.total("node", "created") == 9 and report.total("rel", "created") == 11
    assert store.stats().nodes == 0


def test_derived_edges_follow_a_new_liuxin_and_sources_list(store: GraphStore, tmp_path: Path) -> None:
    load_paths(store, [SMALL])
    assert targets(store, "ent-taigang", "MENTIONED_IN") == {"src-demo": {"sections": ["0", "1"]}}
    update = write(tmp_path / "update.json", [
        {"type": "Enterprise", "id": "ent-taigang", "liuxin": ["新技术"], "sources": ["src-demo#1"]}])
    report = load_paths(store, [update])
    assert report.relationships["CLASSIFIED_AS"] == {"created": 1, "updated": 0, "unchanged": 0, "deleted": 2}
    assert report.relationships["MENTIONED_IN"]["updated"] == 1
    assert set(targets(store, "ent-taigang", "CLASSIFIED_AS")) == {LIUXIN_IDS[Liuxin.NEW_TECHNOLOGY]}
    assert targets(store, "ent-taigang", "MENTIONED_IN") == {"src-demo": {"sections": ["1"]}}
    category = props(store, LIUXIN_IDS[Liuxin.NEW_TECHNOLOGY])
    assert category == {"id": LIUXIN_IDS[Liuxin.NEW_TECHNOLOGY], "name": "新技术", "name_en": "New technology"}


def test_relationships_may_point_to_nodes_already_in_the_store(store: GraphStore, tmp_path: Path) -> None:
    load_paths(store, [SMALL])
    more = write(tmp_path / "more.json", [
        {"type": "Person", "id": "person-demo", "name": "张三", "role": "董事长"},
        {"type": "LEADS", "start": "person-demo", "end": "ent-taigang", "sources": ["src-demo#0"]},
    ])
    report = load_paths(store, [more])
    assert report.relationships["LEADS"]["created"] == 1
    assert targets(store, "person-demo", "LEADS") == {"ent-taigang": {"sources": ["src-demo#0"]}}


def test_a_record_repeated_with_the_same_or_extra_values_is_merged(store: GraphStore, tmp_path: Path) -> None:
    records = write(tmp_path / "twice.json", [
        {"type": "Enterprise", "id": "ent-a", "name": "甲公司"},
        {"type": "Enterprise", "id": "ent-a", "name": "甲公司", "region": "太原市"},
    ])
    report = load_paths(store, [records])
    assert report.nodes["Enterprise"]["created"] == 1
    assert props(store, "ent-a") == {"id": "ent-a", "name": "甲公司", "region": "太原市"}


def test_a_node_in_the_store_cannot_change_its_type(store: GraphStore, tmp_path: Path) -> None:
    load_paths(store, [SMALL])
    retype = write(tmp_path / "retype.json", [{"type": "Platform", "id": "ent-taigang", "name": "x",
                                               "kind": "中试基地"}])
    with pytest.raises(LoadRejected) as caught:
        load_paths(store, [retype])
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == ("[0]", "type") and "is of type Enterprise in the store" in problem.reason


def test_the_store_keeps_one_relationship_per_type_between_two_nodes(store: GraphStore, tmp_path: Path) -> None:
    load_paths(store, [SMALL])
    again = write(tmp_path / "again.json", [{"type": "MEMBER_OF", "start": "ent-taigang", "end": "clu-materials",
                                             "note": "stated twice"}])
    load_paths(store, [again])
    load_paths(store, [again])
    rows = store.read("MATCH (:Entity {id: 'ent-taigang'})-[r:MEMBER_OF]->(:Entity {id: 'clu-materials'}) "
                      "RETURN r.note").rows
    assert rows == [["stated twice"]]


TRICKY_TEXT = ['他说"你好"', "back\\slash", "\\u0041 is not A", "line\nbreak\r\nand\ttab",
               "'; MATCH (n) DETACH DELETE n //", "]}) RETURN 1 //", "emoji 😀", "`backticks` and $param", "\\",
               "\\\""]


@pytest.mark.parametrize("path", ["empty", "merge"])
def test_any_text_is_stored_exactly(store: GraphStore, tmp_path: Path, path: str) -> None:
    if path == "merge":
        load_paths(store, [write(tmp_path / "seed.json", [{"type": "Region", "id": "region-x", "name": "某地"}])])
    records = [{"type": "Enterprise", "id": f"ent-{i}", "name": text, "aliases": [text, "x"]}
               for i, text in enumerate(TRICKY_TEXT)]
    records += [{"type": "LOCATED_IN", "start": f"ent-{i}", "end": "region-y", "note": text}
                for i, text in enumerate(TRICKY_TEXT)]
    records.append({"type": "Region", "id": "region-y", "name": "某地"})
    expected = initial_method(store) if path == "empty" else path
    assert load_paths(store, [write(tmp_path / "tricky.json", records)]).method == expected
    names = dict(store.read("MATCH (n:Enterprise) RETURN n.id, [n.name, n.aliases]").rows)
    notes = dict(store.read("MATCH (n:Enterprise)-[r:LOCATED_IN]->() RETURN n.id, r.note").rows)
    for i, text in enumerate(TRICKY_TEXT):
        assert names[f"ent-{i}"] == [text, [text, "x"]] and notes[f"ent-{i}"] == text
    assert not load_paths(store, [tmp_path / "tricky.json"]).changed


def test_a_repeated_batch_leaves_no_duplicate(store: GraphStore, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that reconnects to a restarted store retries the batch it was sending, which the
    store may already have written: every relationship batch sent twice changes nothing."""

    load_paths(store, [SMALL])
    expected = exported(store, tmp_path, "expected.json")
    store.clear()
    load_paths(store, [write(tmp_path / "seed.json", [{"type": "Region", "id": "region-x", "name": "某地"}])])
    real_send, sent = store.send_rows, []

    def twice(cypher: str, rows: list, **kw: object):
        if "]->(b)" in cypher and kw.get("write", True):
            real_send(cypher, rows, **kw)  # written, but the reply was lost
            sent.append(cypher)
        return real_send(cypher, rows, **kw)

    monkeypatch.setattr(store, "send_rows", twice)
    load_paths(store, [SMALL])
    monkeypatch.undo()
    assert sent, "no relationship batch was written"
    store.write("MATCH (n:Entity {id: 'region-x'}) DETACH DELETE n")
    assert exported(store, tmp_path, "got.json") == expected
