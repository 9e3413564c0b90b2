"""The curated 六新 dataset loads cleanly, and the store then answers what the source article states.

Every expected value below is a fact read from the article (``sources/liuxin-ecosystem-article.txt``),
not from the dataset files; the assertions query the loaded store.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from graph import ontology as o
from graph.store import GraphStore
from loaders import load_dataset

ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "sources" / "liuxin-ecosystem-article.txt"
COPY_RUN = 10
"""A note or description sharing this many consecutive characters with the article counts as copied,
unless those characters lie inside a name recorded on some node (names are quoted exactly)."""

TEXT_PAIRS = (("note", "note_en"), ("description", "description_en"))
"""Each Chinese text property and the English one written beside it."""

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

SECTIONS = {"src-qiushi": {0}, "src-sxrb": {1, 2, 3, 4, 5, 6}}
"""The article's parts: the Qiushi lead text (0) and the six numbered Shanxi Daily statements."""


@pytest.fixture
def graph(store: GraphStore) -> GraphStore:
    report = load_dataset(store, name="shanxi")
    assert not report.errors, report.errors
    return store


def rows(store: GraphStore, cypher: str, **params: Any) -> list[dict[str, Any]]:
    result = store.read(cypher, params)
    assert not result.truncated
    return result.records()


def node_id(store: GraphStore, label: str, name: str) -> str:
    """The id of the one node of ``label`` called ``name`` (by name or alias)."""
    found = rows(store, f"MATCH (n:{label}) WHERE n.name = $name OR $name IN n.aliases RETURN n.id AS id",
                 name=name)
    assert len(found) == 1, f"{label} {name}: {found}"
    return found[0]["id"]


def neighbours(store: GraphStore, start: str, rel: str, label: str = "Entity") -> dict[str, dict]:
    """Name → relationship properties of the nodes ``start`` points to with ``rel``."""
    found = rows(store, f"MATCH (a:Entity {{id: $id}})-[r:{rel}]->(b:{label}) RETURN b.name AS name, "
                        "properties(r) AS props", id=start)
    return {r["name"]: r["props"] for r in found}


def test_loading_creates_the_sources_and_the_six_categories(graph: GraphStore) -> None:
    sources = {r["id"]: r for r in rows(graph, "MATCH (s:Source) RETURN s.id AS id, s.publisher AS publisher")}
    assert set(sources) == set(SECTIONS)
    assert "求是" in sources["src-qiushi"]["publisher"] and "山西日报" in sources["src-sxrb"]["publisher"]
    categories = {r["id"]: r["name"] for r in rows(graph, "MATCH (c:Category) RETURN c.id AS id, c.name AS name")}
    assert categories == {cid: c.value for c, cid in o.LIUXIN_IDS.items()}


def test_tisco_runs_the_160_kt_a_year_silicon_steel_project(graph: GraphStore) -> None:
    tisco = node_id(graph, "Enterprise", "太钢")
    assert tisco == node_id(graph, "Enterprise", "太钢集团")
    [project] = rows(graph, "MATCH (:Enterprise {id: $id})-[:LEADS]->(p:Project) RETURN p.name AS name, "
                            "p.quantity AS quantity, p.unit AS unit, p.liuxin AS liuxin", id=tisco)
    assert "取向硅钢" in project["name"]
    assert project["quantity"] == 16 and project["unit"] == "万吨/年"
    assert "新材料" in project["liuxin"]


def test_the_61_major_projects_include_tisco_and_the_synthetic_biology_park(graph: GraphStore) -> None:
    [major] = rows(graph, "MATCH (p:Project) WHERE p.quantity = 61 RETURN p.id AS id, p.unit AS unit")
    assert major["unit"] == "个"
    parts = rows(graph, "MATCH (p:Project)-[:PART_OF]->(:Project {id: $id}) RETURN p.name AS name",
                 id=major["id"])
    assert any("取向硅钢" in p["name"] for p in parts)
    assert any("合成生物产业生态园区" in p["name"] for p in parts)
    zone = node_id(graph, "Park", "综改区")
    located = rows(graph, "MATCH (p:Project)-[:LOCATED_IN]->(:Park {id: $zone}) RETURN p.name AS name", zone=zone)
    assert any("合成生物" in p["name"] for p in located)


def test_jinshang_bank_finances_the_new_material_industry(graph: GraphStore) -> None:
    bank = node_id(graph, "FinancialInstitution", "晋商银行")
    financed = rows(graph, "MATCH (:FinancialInstitution {id: $id})-[r:FINANCES]->(c:Cluster) "
                           "RETURN c.liuxin AS liuxin, r.role AS role", id=bank)
    assert len(financed) == 1
    assert "新材料" in financed[0]["liuxin"] and "合作银行" in financed[0]["role"]


def test_four_new_material_clusters_belong_to_the_industry(graph: GraphStore) -> None:
    found = rows(graph, "MATCH (c:Cluster)-[:PART_OF]->(i:Cluster) WHERE '新材料' IN i.liuxin "
                        "RETURN c.name AS name, c.liuxin AS liuxin")
    assert len(found) == 4
    for stem in ("半导体材料", "碳基新材料", "生物基新材料", "特种金属材料"):
        assert sum(r["name"].startswith(stem) for r in found) == 1, stem
    assert all("新材料" in r["liuxin"] for r in found)


def test_rail_transit_equipment_has_exactly_the_seven_chain_links(graph: GraphStore) -> None:
    [rail] = rows(graph, "MATCH (c:Cluster) WHERE c.name CONTAINS '轨道交通装备' RETURN c.id AS id, c.liuxin AS liuxin")
    assert "新装备" in rail["liuxin"]
    links = neighbours(graph, rail["id"], "HAS_LINK", "ChainLink")
    assert set(links) == {"铁路车辆", "城轨车辆", "走行系统", "电传动系统", "核心基础零部件", "关键基础材料",
                          "运营维保"}


@pytest.mark.parametrize(("person", "body_label", "body", "role"), [
    ("闫林", "Agency", "新材料工业处", "处长"),
    ("武晋", "Agency", "山西省通信管理局", "局长"),
    ("张运宁", "Agency", "审批处", "处长"),
    ("张放陶", "Institution", "山西省科技发展战略研究所", "所长"),
    ("江文波", "FinancialInstitution", "中国建设银行山西省分行", "行长"),
])
def test_each_signatory_leads_the_body_the_article_names(graph: GraphStore, person: str, body_label: str,
                                                         body: str, role: str) -> None:
    pid = node_id(graph, "Person", person)
    [stated] = rows(graph, "MATCH (p:Person {id: $id}) RETURN p.role AS role", id=pid)
    assert body.removeprefix("山西省") in stated["role"] and stated["role"].endswith(role)
    led = neighbours(graph, pid, "LEADS")
    assert len(led) == 1
    [(name, props)] = led.items()
    assert node_id(graph, body_label, body) == node_id(graph, body_label, name)
    assert role in props["role"]


def test_yan_lins_division_belongs_to_the_industry_department(graph: GraphStore) -> None:
    division = node_id(graph, "Agency", "新材料工业处")
    department = node_id(graph, "Agency", "工信厅")
    assert rows(graph, "MATCH (:Agency {id: $d})-[:PART_OF]->(:Agency {id: $p}) RETURN 1 AS ok",
                d=division, p=department)
    assert node_id(graph, "Agency", "山西省工信厅") == department
    assert node_id(graph, "Agency", "住建厅") == node_id(graph, "Agency", "山西省住建厅")


def test_zhou_jixiang_works_in_the_equipment_division_without_heading_it(graph: GraphStore) -> None:
    pid = node_id(graph, "Person", "周继祥")
    [stated] = rows(graph, "MATCH (p:Person {id: $id}) RETURN p.role AS role", id=pid)
    assert "二级调研员" in stated["role"]
    assert not neighbours(graph, pid, "LEADS")
    [(name, props)] = neighbours(graph, pid, "PART_OF").items()
    assert node_id(graph, "Agency", name) == node_id(graph, "Agency", "装备工业处")
    assert props["role"] == "二级调研员"


def test_410_workers_harbours_are_run_by_the_ccb_shanxi_branch(graph: GraphStore) -> None:
    harbour = node_id(graph, "Product", "劳动者港湾")
    [facts] = rows(graph, "MATCH (p:Product {id: $id}) RETURN p.quantity AS quantity, p.unit AS unit", id=harbour)
    assert facts == {"quantity": 410, "unit": "个"}
    branch = node_id(graph, "FinancialInstitution", "中国建设银行山西省分行")
    hosted = rows(graph, "MATCH (p:Product)-[:HOSTED_BY]->(:FinancialInstitution {id: $id}) RETURN p.name AS name",
                  id=branch)
    assert {"劳动者港湾", "裕农通+", "晋社区+"} <= {r["name"] for r in hosted}


def test_qinxian_millet_comes_from_qin_county_and_sells_through_the_e_shop(graph: GraphStore) -> None:
    millet = node_id(graph, "Product", "沁县黄小米")
    assert set(neighbours(graph, millet, "LOCATED_IN", "Region")) == {"沁县"}
    shop = node_id(graph, "Product", "山西特色馆")
    assert "沁县黄小米" in neighbours(graph, shop, "SUPPORTS", "Product")
    assert set(neighbours(graph, shop, "PART_OF", "Product")) == {"裕农通+"}


def test_jinshequ_partners_with_the_two_named_retailers(graph: GraphStore) -> None:
    model = node_id(graph, "Product", "晋社区+")
    assert set(neighbours(graph, model, "COLLABORATES_WITH", "Enterprise")) == {"唐久便利", "国大药房"}


def test_shanxi_takes_on_industry_from_the_delta_and_the_bay_area(graph: GraphStore) -> None:
    shanxi = node_id(graph, "Region", "山西省")
    assert set(neighbours(graph, shanxi, "TRANSFERS_FROM", "Region")) == {"长三角", "粤港澳"}
    assert set(neighbours(graph, shanxi, "COLLABORATES_WITH", "Region")) == {"京津冀", "环渤海"}


def test_the_2019_regulations_carry_their_measures(graph: GraphStore) -> None:
    [regs] = rows(graph, "MATCH (p:Policy) WHERE p.name CONTAINS '促进科技成果转化条例' "
                         "RETURN p.year AS year, p.measures AS measures")
    assert regs["year"] == 2019
    measures = regs["measures"]
    assert len(measures) == 20
    for stated in ("标准", "首台套", "交易服务平台", "价值评估", "技术经理人", "技术交易市场", "高新技术产业开发区",
                   "中试基地", "技术中心", "技术转移机构", "定价机制", "农业科技园区", "中介服务机构", "保险",
                   "天使投资", "引导基金", "奖励", "权属改革", "绩效考核"):
        assert any(stated in m for m in measures), stated


def test_smart_city_work_uses_bim_and_cim_in_the_reform_zone(graph: GraphStore) -> None:
    approval = node_id(graph, "Infrastructure", "BIM审批系统")
    assert set(neighbours(graph, approval, "USES", "Technology")) == {"BIM"}
    centres = node_id(graph, "Park", "五大中心")
    assert node_id(graph, "Park", "综改区") == node_id(graph, "Park", "转型综合改革示范区")
    assert set(neighbours(graph, centres, "PART_OF", "Park")) == {"转型综合改革示范区"}
    [twin] = rows(graph, "MATCH (p:Park {kind: '数字孪生园区'}) RETURN p.id AS id")
    assert any("CIM" in name for name in neighbours(graph, twin["id"], "USES", "Infrastructure"))


def test_the_platform_kinds_named_in_the_article_are_present(graph: GraphStore) -> None:
    kinds = {r["kind"] for r in rows(graph, "MATCH (p:Platform) RETURN DISTINCT p.kind AS kind")}
    assert {"重点实验室", "创新团队", "协同创新中心", "中试基地", "双创中心", "孵化器", "工程技术研究中心",
            "技术转移机构", "企业技术中心", "交易服务平台", "产业联盟"} <= kinds


def test_categories_and_mentions_are_derived_from_the_records(graph: GraphStore) -> None:
    tisco = node_id(graph, "Enterprise", "太钢")
    assert rows(graph, "MATCH (:Enterprise {id: $id})-[:CLASSIFIED_AS]->(:Category {id: $cat}) RETURN 1 AS ok",
                id=tisco, cat=o.LIUXIN_IDS[o.Liuxin.NEW_MATERIAL])
    assert rows(graph, "MATCH (:Enterprise {id: $id})-[:MENTIONED_IN]->(:Source {id: 'src-sxrb'}) RETURN 1 AS ok",
                id=tisco)


def _curated(graph: GraphStore) -> tuple[list[dict], list[dict]]:
    nodes = rows(graph, "MATCH (n:Entity) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props")
    rels = rows(graph, "MATCH (a:Entity)-[r]->(b:Entity) WHERE NOT type(r) IN $derived "
                       "RETURN a.id AS start, type(r) AS type, b.id AS end, properties(r) AS props",
                derived=list(o.DERIVED_REL_TYPES))
    return nodes, rels


def test_every_node_and_relationship_cites_an_existing_section(graph: GraphStore) -> None:
    nodes, rels = _curated(graph)
    assert len(nodes) > 100 and len(rels) > 100
    sections = {r["id"]: len(r["sections"]) for r in
                rows(graph, "MATCH (s:Source) RETURN s.id AS id, s.sections AS sections")}
    citation = re.compile(r"^(?P<source>[a-z0-9-]+)#(?P<section>\d+)$")
    records = [(n["id"], n["props"]) for n in nodes if "Source" not in n["labels"]]
    records += [(f"{r['start']}-{r['type']}->{r['end']}", r["props"]) for r in rels]
    for what, props in records:
        assert not props.get("synthetic"), what
        assert props.get("note", "").strip(), what
        assert props.get("sources"), what
        for cited in props["sources"]:
            match = citation.match(cited)
            assert match, f"{what}: {cited}"
            source, section = match["source"], int(match["section"])
            assert source in sections and section < sections[source], f"{what}: {cited}"
            assert section in SECTIONS[source], f"{what}: {cited}"


def _recorded_names(nodes: list[dict]) -> list[str]:
    """Every name and alias on a node: the only text a note may quote from the article."""
    names = []
    for node in nodes:
        names += [node["props"].get("name") or "", *(node["props"].get("aliases") or [])]
    return [name for name in names if name]


def copied_runs(text: str, article: str, names: list[str], run: int = COPY_RUN) -> list[str]:
    """The stretches of ``text`` made of ``run``-character windows that also occur in ``article``,
    leaving out windows that lie inside one of ``names``. Overlapping windows are merged, so each
    copied stretch is reported once and whole."""
    copied: list[str] = []
    end = -1
    for i in range(len(text) - run + 1):
        window = text[i:i + run]
        if window not in article or any(window in name for name in names):
            continue
        if copied and i <= end:
            copied[-1] += text[end:i + run]
        else:
            copied.append(window)
        end = i + run
    return copied


def test_the_copy_check_catches_the_articles_wording_but_lets_names_through() -> None:
    article = "抓好《山西省促进科技成果转化条例(2019年版)》的宣传和贯彻落实,推动科技成果形成标准。"
    names = ["山西省促进科技成果转化条例"]
    assert copied_runs("第5部分要求宣传山西省促进科技成果转化条例。", article, names) == []
    assert copied_runs("要推动科技成果形成标准。", article, names) == ["推动科技成果形成标准。"]
    assert copied_runs("《山西省促进科技成果转化条例》", article, names) == ["《山西省促进科技成果"]
    assert copied_runs("0123456789", "x0123456789abcdef0123456789y", []) == ["0123456789"]
    assert copied_runs("ab0123456789cd", "0123456789", []) == ["0123456789"]
    assert copied_runs("01234567890123", "01234567890123", []) == ["01234567890123"]


def _texts(records: list[dict]) -> list[tuple[str, str, str]]:
    """``(record, property, text)`` for every note, description and their English versions."""
    found = []
    for record in records:
        what = record.get("id") or f"{record['start']}-{record['type']}->{record['end']}"
        for pair in TEXT_PAIRS:
            found += [(what, key, record["props"][key]) for key in pair if record["props"].get(key)]
    return found


def test_no_note_or_description_copies_the_article(graph: GraphStore) -> None:
    if not ARTICLE.is_file():
        pytest.skip(f"source article not found at {ARTICLE}; cannot check notes for copied text")
    article = ARTICLE.read_text(encoding="utf-8")
    nodes, rels = _curated(graph)
    names = _recorded_names(nodes)
    texts = _texts(nodes + rels)
    assert len(texts) > 2 * len(nodes), "every record should carry a Chinese and an English note"
    copied = [(what, key, run) for what, key, text in texts for run in copied_runs(text, article, names)]
    assert not copied, copied


def test_every_note_and_description_is_chinese_with_the_english_beside_it(graph: GraphStore) -> None:
    nodes, rels = _curated(graph)
    names = _recorded_names(nodes)
    checked = 0
    for record in nodes + rels:
        what = record.get("id") or f"{record['start']}-{record['type']}->{record['end']}"
        for zh_key, en_key in TEXT_PAIRS:
            zh, en = record["props"].get(zh_key), record["props"].get(en_key)
            if zh is None and en is None:
                continue
            assert zh and en, f"{what}: {zh_key}={zh!r} and {en_key}={en!r} must come as a pair"
            assert CJK_RUN.search(zh), f"{what}: {zh_key} is not Chinese: {zh!r}"
            chinese = sum(len(run) for run in CJK_RUN.findall(zh))
            assert chinese > len(LATIN_WORD.findall(zh)), f"{what}: {zh_key} is mostly not Chinese: {zh!r}"
            assert len(LATIN_WORD.findall(en)) >= 2, f"{what}: {en_key} is not English: {en!r}"
            unnamed = [run for run in CJK_RUN.findall(en) if not any(run in name for name in names)]
            assert not unnamed, f"{what}: {en_key} has Chinese that is no recorded name: {unnamed}"
            checked += 1
    assert checked > len(nodes), "nearly every record has a note; far fewer were checked"
    assert all("Source" in n["labels"] or n["props"].get("note_en") for n in nodes)
    assert all(r["props"].get("note_en") for r in rels)


def test_every_region_a_record_names_is_a_region_node(graph: GraphStore) -> None:
    nodes, _ = _curated(graph)
    regions = {n["props"]["name"] for n in nodes if "Region" in n["labels"]}
    used = {n["id"]: n["props"]["region"] for n in nodes if n["props"].get("region") is not None}
    unknown = {what: region for what, region in used.items() if region not in regions}
    assert not unknown, f"region values that name no Region node: {unknown}"
    assert {"山西省", "沁县"} <= set(used.values())
    assert used[node_id(graph, "Product", "沁县黄小米")] == "沁县"


def test_a_record_located_in_a_place_carries_that_places_region(graph: GraphStore) -> None:
    nodes, rels = _curated(graph)
    by_id = {n["id"]: n for n in nodes}
    located = [(r["start"], by_id[r["end"]]) for r in rels if r["type"] == "LOCATED_IN"]
    assert len(located) > 10
    for start, place in located:
        expected = place["props"]["name"] if "Region" in place["labels"] else place["props"].get("region")
        assert by_id[start]["props"].get("region") == expected, f"{start} LOCATED_IN {place['id']}"


def test_tisco_belongs_to_the_new_material_industry_but_to_none_of_its_four_clusters(graph: GraphStore) -> None:
    tisco = node_id(graph, "Enterprise", "太钢")
    clusters = neighbours(graph, tisco, "MEMBER_OF", "Cluster")
    assert set(clusters) == {"新材料产业"}
    assert not rows(graph, "MATCH (:Enterprise {id: $id})-[r]-(c:Cluster)-[:PART_OF]->(:Cluster) RETURN type(r) AS t",
                    id=tisco)
    [leader] = rows(graph, "MATCH (e:Enterprise {id: $id}) RETURN e.is_leader AS is_leader", id=tisco)
    assert not leader["is_leader"]
