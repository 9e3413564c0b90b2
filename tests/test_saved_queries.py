"""Saved queries: every shipped query answers what networkx computes on the same graph; headers are
validated; parameters are typed; the API and the CLI run them."""

from __future__ import annotations

import csv
import io
import random
import time
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from app.saved_queries import BUILTIN_DIR, ParamError, QueryDefinitionError, QueryLibrary, parse
from tests.api_helpers import auth, incident
from tests.test_api_graph import expected_ecosystem, node_ids, rel_keys

SHIPPED = sorted(p.stem for p in BUILTIN_DIR.glob("*.cypher"))
EXCLUDED = ("Source", "Category", "Region")

pytest_plugins = ["tests.api_fixtures"]


def typ(g: nx.MultiDiGraph, n: str) -> str:
    return g.nodes[n]["type"]


def of_type(g: nx.MultiDiGraph, *types: str) -> list[str]:
    return sorted(n for n, t in g.nodes(data="type") if t in types)


def edges(g: nx.MultiDiGraph, *types: str) -> list[tuple[str, str, str]]:
    return [(u, k, v) for u, v, k in g.edges(keys=True) if not types or k in types]


ROWS_SEEN: Counter = Counter()
"""Rows each saved query returned during a check: a check that only ever saw empty answers proves little."""


def run(client, name: str, **params) -> dict:
    r = client.post(f"/api/queries/{name}/run", json={"params": params}, params={"limit": 10_000})
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body["truncated"]
    ROWS_SEEN[name] += len(body["rows"])
    return body


def records(body: dict) -> list[dict]:
    return [dict(zip(body["columns"], row, strict=True)) for row in body["rows"]]


# -- one networkx check per shipped query --------------------------------------------------------
def check_cluster_ecosystem(client, g) -> None:
    for cluster in of_type(g, "Cluster"):
        body = run(client, "cluster_ecosystem", cluster=cluster)
        nodes, rels = expected_ecosystem(g, cluster)
        assert node_ids(body["graph"]) == nodes and rel_keys(body["graph"]) == rels


def check_cluster_support_gaps(client, g) -> None:
    expected = {}
    for c in of_type(g, "Cluster"):
        kinds = {g.nodes[p].get("kind") for p in set(g.successors(c)) | set(g.predecessors(c))
                 if typ(g, p) == "Platform"}
        finance = any(typ(g, u) == "FinancialInstitution" for u, k, v in incident(g, c) if k == "FINANCES" and v == c)
        flags = ("中试基地" in kinds, "重点实验室" in kinds, bool({"孵化器", "双创中心"} & kinds), finance)
        expected[c] = flags
    for only_gaps in (True, False):
        got = {r["cluster"]: (r["has_pilot_base"], r["has_key_lab"], r["has_incubator"], r["has_finance_partner"])
               for r in records(run(client, "cluster_support_gaps", only_gaps=only_gaps))}
        want = {c: f for c, f in expected.items() if not only_gaps or not all(f)}
        assert got == want
    for r in records(run(client, "cluster_support_gaps")):
        assert len(r["missing"]) == 4 - sum(expected[r["cluster"]])


def check_chain_gaps(client, g) -> None:
    regions = sorted({d["region"] for _, d in g.nodes(data=True) if d.get("region")})
    for cluster in [None, *of_type(g, "Cluster")]:
        for region in [None, *regions[:2]]:
            want = {}
            for c, _, link in edges(g, "HAS_LINK"):
                if typ(g, c) != "Cluster" or typ(g, link) != "ChainLink" or cluster not in (None, c):
                    continue
                firms = sorted(e for e, k, v in incident(g, link) if k == "OPERATES_IN" and v == link
                               and typ(g, e) == "Enterprise" and region in (None, g.nodes[e].get("region")))
                want[(c, link)] = firms
            params = {k: v for k, v in (("cluster", cluster), ("region", region)) if v is not None}
            got = {(r["cluster"], r["chain_link"]): sorted(r["enterprise_ids"])
                   for r in records(run(client, "chain_gaps", **params))}
            assert got == want
            gaps = {(r["cluster"], r["chain_link"]) for r in records(run(client, "chain_gaps", only_gaps=True,
                                                                         **params))}
            assert gaps == {key for key, firms in want.items() if not firms}


def check_financing(client, g) -> None:
    rows = records(run(client, "financing"))
    assert sorted((r["financer"], r["target"]) for r in rows) == sorted((u, v) for u, _, v in edges(g, "FINANCES"))
    for r in rows:
        assert r["target_type"] == typ(g, r["target"])
        assert r["role"] == g.edges[r["financer"], r["target"], "FINANCES"].get("role")
    for t in ("Cluster", "Project"):
        got = sorted((r["financer"], r["target"]) for r in records(run(client, "financing", target_type=t)))
        assert got == sorted((u, v) for u, _, v in edges(g, "FINANCES") if typ(g, v) == t)


def check_policy_map(client, g) -> None:
    got = {r["policy"]: (set(r["issued_by"]), set(r["governed_by"]), set(r["supports"]))
           for r in records(run(client, "policy_map"))}
    want = {p: ({u for u, k, v in incident(g, p) if k == "ISSUES" and v == p},
                {u for u, k, v in incident(g, p) if k == "GOVERNS" and v == p},
                {v for u, k, v in incident(g, p) if k == "SUPPORTS" and u == p})
            for p in of_type(g, "Policy")}
    assert got == want
    supports_cluster = {r["policy"] for r in records(run(client, "policy_map", supports_type="Cluster"))}
    assert supports_cluster == {p for p, (_, _, s) in want.items() if any(typ(g, t) == "Cluster" for t in s)}


def check_projects_by_category(client, g) -> None:
    regions = sorted({g.nodes[p].get("region") for p in of_type(g, "Project")} - {None})
    for liuxin in (None, "新材料", "新装备"):
        for region in (None, *regions[:1]):
            want = {p: sorted(v for _, k, v in incident(g, p) if k == "MEMBER_OF" and typ(g, v) == "Cluster")
                    for p in of_type(g, "Project")
                    if liuxin in (None, *(g.nodes[p].get("liuxin") or []))
                    and region in (None, g.nodes[p].get("region"))}
            params = {k: v for k, v in (("liuxin", liuxin), ("region", region)) if v is not None}
            got = {r["project"]: sorted(r["clusters"]) for r in records(run(client, "projects_by_category", **params))}
            assert got == want
    for r in records(run(client, "projects_by_category")):
        assert (r["quantity"], r["unit"]) == (g.nodes[r["project"]].get("quantity"), g.nodes[r["project"]].get("unit"))


def check_shared_platforms(client, g) -> None:
    for least in (1, 2, 3):
        want = {p: {c for c in set(g.successors(p)) | set(g.predecessors(p)) if typ(g, c) == "Cluster"}
                for p in of_type(g, "Platform")}
        want = {p: cs for p, cs in want.items() if len(cs) >= least}
        got = {r["platform"]: set(r["clusters"]) for r in records(run(client, "shared_platforms", min_clusters=least))}
        assert got == want


def check_source_statements(client, g) -> None:
    def cites(sources, source, section) -> bool:
        return any((section is None and (x == source or x.startswith(source + "#")))
                   or x == f"{source}#{section}" for x in sources or [])

    for source in of_type(g, "Source"):
        for section in (None, 0, 3):
            params = {"source": source} | ({"section": section} if section is not None else {})
            body = run(client, "source_statements", **params)
            got_nodes = sorted(r["subject"] for r in records(body) if r["relation"] is None)
            got_rels = sorted((r["subject"], r["relation"], r["object"]) for r in records(body) if r["relation"])
            assert got_nodes == sorted(n for n, d in g.nodes(data=True) if cites(d.get("sources"), source, section))
            assert got_rels == sorted((u, k, v) for u, v, k, d in g.edges(keys=True, data=True)
                                      if cites(d.get("sources"), source, section))


def check_enterprise_collaborators(client, g) -> None:
    default = ["COLLABORATES_WITH", "MEMBER_OF", "PART_OF", "OPERATES_IN", "HOSTED_BY", "LEADS", "FINANCES",
               "SUPPORTS"]
    for enterprise in of_type(g, "Enterprise"):
        for rel_types in (default, ["COLLABORATES_WITH"]):
            def step(n, e=enterprise, allowed=rel_types):
                return {v if u == n else u for u, k, v in incident(g, n) if k in allowed} - {e}

            near = {x for x in step(enterprise) if typ(g, x) not in EXCLUDED}
            far = {y for x in near for y in step(x) if typ(g, y) not in EXCLUDED} - near
            want = {x: 1 for x in near} | {y: 2 for y in far}
            got = {r["id"]: r["hops"] for r in records(run(client, "enterprise_collaborators", enterprise=enterprise,
                                                           rel_types=rel_types))}
            assert got == want, enterprise


def check_attracted_regions(client, g) -> None:
    got = sorted((r["region"], r["attracted_by"]) for r in records(run(client, "attracted_regions")))
    assert got == sorted((v, u) for u, _, v in edges(g, "TRANSFERS_FROM") if typ(g, v) == "Region")


def check_cluster_leaders(client, g) -> None:
    want = sorted((v, u, k) for u, k, v in edges(g, "LEADS", "MEMBER_OF")
                  if typ(g, u) == "Enterprise" and typ(g, v) == "Cluster"
                  and (k == "LEADS" or g.nodes[u].get("is_leader") is True))
    got = sorted((r["cluster"], r["enterprise"], r["via"]) for r in records(run(client, "cluster_leaders")))
    assert got == want
    for cluster in of_type(g, "Cluster"):
        got = sorted((r["cluster"], r["enterprise"], r["via"])
                     for r in records(run(client, "cluster_leaders", cluster=cluster)))
        assert got == [w for w in want if w[0] == cluster]


def check_liuxin_overview(client, g) -> None:
    from graph.ontology import Liuxin

    for category in Liuxin:
        want = Counter(typ(g, n) for n, d in g.nodes(data=True) if category.value in (d.get("liuxin") or []))
        got = {r["type"]: r["entities"] for r in records(run(client, "liuxin_overview", liuxin=category.value))}
        assert got == dict(want)


def check_people_and_roles(client, g) -> None:
    want = sorted((u, k, v) for u, k, v in edges(g, "LEADS", "PART_OF") if typ(g, u) == "Person")
    got = sorted((r["person"], r["relation"], r["organisation"]) for r in records(run(client, "people_and_roles")))
    assert got == want
    for r in records(run(client, "people_and_roles")):
        assert r["role"] == g.nodes[r["person"]].get("role")


def check_technology_users(client, g) -> None:
    want = sorted((v, u, k) for u, k, v in edges(g, "USES", "NEEDS") if typ(g, v) in ("Technology", "Infrastructure"))
    got = sorted((r["technology"], r["user"], r["relation"]) for r in records(run(client, "technology_users")))
    assert got == want


def check_top_connected(client, g) -> None:
    for node_type in (None, "Enterprise", "Cluster"):
        degree = Counter()
        for u, v, _ in g.edges(keys=True):
            for n, m in ((u, v), (v, u)):
                if typ(g, n) not in ("Source", "Category") and typ(g, m) not in ("Source", "Category") \
                        and node_type in (None, typ(g, n)):
                    degree[n] += 1
        want = sorted(degree.items(), key=lambda item: (-item[1], item[0]))[:5]
        params = {"top": 5} | ({"type": node_type} if node_type else {})
        got = [(r["id"], r["degree"]) for r in records(run(client, "top_connected", **params))]
        assert got == want


CHECKS = {name.removeprefix("check_"): fn for name, fn in globals().items() if name.startswith("check_")}


def test_every_shipped_query_has_an_independent_check() -> None:
    assert len(SHIPPED) >= 12
    assert sorted(CHECKS) == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_query_equals_networkx_on_the_curated_dataset(client, nxg, name) -> None:
    CHECKS[name](client, nxg)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_query_equals_networkx_on_the_sample(sample_client, sample_nxg, name) -> None:
    ROWS_SEEN[name] = 0
    CHECKS[name](sample_client, sample_nxg)
    assert ROWS_SEEN[name] > 0, f"{name} answered nothing on the sample: the check proved nothing"


@pytest.mark.parametrize("name", SHIPPED)
def test_graph_queries_return_a_graph_part(client, nxg, name) -> None:
    query = QueryLibrary().get(name)
    if query.returns == "table":
        return
    params = {p: q.sample() for p, q in query.parameters.items() if q.required}
    node = {"cluster": "Cluster", "enterprise": "Enterprise", "source": "Source"}
    params |= {p: of_type(nxg, node[p])[0] for p in params if p in node}
    body = run(client, name, **params)
    if body["rows"]:
        assert body["graph"]["nodes"], name
        ids = node_ids(body["graph"])
        assert all(r["start"] in ids and r["end"] in ids for r in body["graph"]["relationships"])


# -- headers ---------------------------------------------------------------------------------------
def test_every_shipped_query_is_valid_and_documented() -> None:
    queries, problems = QueryLibrary().all()
    assert problems == []
    assert [q.name for q in queries] == SHIPPED
    for q in queries:
        assert q.title and q.description and q.returns in ("table", "graph", "both")
        assert all(p.description for p in q.parameters.values()), q.name


GOOD = "---\ntitle: ok\nparameters:\n  x: {type: integer, default: 1}\n---\nRETURN $x AS x\n"


@pytest.mark.parametrize(("text", "problem"), [
    ("RETURN 1", "YAML header"),
    ("---\ntitle: [unclosed\n---\nRETURN 1", "not valid YAML"),
    ("---\n- a list\n---\nRETURN 1", "mapping"),
    ("---\ndescription: no title\n---\nRETURN 1", "title"),
    ("---\ntitle: t\n---\nRETURN $undeclared", "does not declare it"),
    ("---\ntitle: t\nparameters:\n  unused: {type: string}\n---\nRETURN 1", "never uses"),
    ("---\ntitle: t\nparameters:\n  x: {type: date}\n---\nRETURN $x", "type"),
    ("---\ntitle: t\nparameters:\n  x: {type: integer, default: abc}\n---\nRETURN $x", "default of x"),
    ("---\ntitle: t\nparameters:\n  limit: {type: integer}\n---\nRETURN $limit", "not allowed"),
    ("---\ntitle: t\nparameters:\n  x: {type: string, pattern: '('}\n---\nRETURN $x", "regular expression"),
    ("---\ntitle: t\nreturns: chart\n---\nRETURN 1", "returns"),
    ("---\ntitle: t\nunknown: 1\n---\nRETURN 1", "unknown"),
    ("---\ntitle: t\n---\nLOAD CSV FROM 'file:///etc/passwd' AS r RETURN r", "LOAD CSV"),
    ("---\ntitle: t\n---\nCALL dbms.killQuery('x')", "may not be called"),
    ("---\ntitle: t\n---\n", "cypher"),
])
def test_invalid_headers_are_reported_with_the_reason(text, problem) -> None:
    with pytest.raises(QueryDefinitionError) as info:
        parse(text, "q", builtin=False)
    assert problem.lower() in str(info.value).lower()


def test_parameters_in_strings_and_comments_are_not_parameters() -> None:
    q = parse("---\ntitle: t\n---\nRETURN '$notaparam' AS s // $neither\n", "q", builtin=False)
    assert q.parameters == {}
    assert parse(GOOD, "q", builtin=False).bind({}, from_text=True) == {"x": 1}


def _header(param: str) -> str:
    return f"---\ntitle: t\nparameters:\n  x: {param}\n---\nRETURN $x AS x\n"


@pytest.mark.parametrize(("text", "problem"), [
    ("---\ntitle: \"one\\ntwo\"\n---\nRETURN 1", "one line"),
    ("---\ntitle: \"a\\n---\\nb\"\n---\nRETURN 1", "one line"),
    ("---\ntitle: \"   \"\n---\nRETURN 1", "one line"),
    ("---\ntitle: " + "t" * 201 + "\n---\nRETURN 1", "at most 200"),
    ("---\ntitle: t\ndescription: " + "d" * 2001 + "\n---\nRETURN 1", "at most 2000"),
    ("---\ntitle: t\ndescription: \"bell \\a\"\n---\nRETURN 1", "U+0007"),
    (_header("{type: string, choices: [" + ", ".join(f"c{i}" for i in range(201)) + "]}"), "between 1 and 200"),
    (_header("{type: string, choices: []}"), "between 1 and 200"),
    (_header("{type: string, choices: [" + "c" * 201 + "]}"), "longer than 200"),
    (_header("{type: integer, choices: [1, two]}"), "does not fit the type integer"),
    (_header("{type: node_type, choices: [Enterprise, Martian]}"), "is not a node_type"),
    (_header("{type: string_list, choices: [1]}"), "does not fit the type string_list"),
    (_header("{type: integer, minimum: 10, maximum: 1}"), "greater than maximum"),
    (_header("{type: integer, minimum: .nan}"), "finite"),
    (_header("{type: string, minimum: 1}"), "integer and float parameters only"),
    (_header("{type: integer, max_length: 5}"), "string, string_list and entity_id parameters only"),
    (_header("{type: string, max_length: 0}"), "max_length"),
    (_header("{type: string, max_length: 100001}"), "max_length"),
    (_header("{type: string, choices: [a, b], default: c}"), "default of x: must be one of: a, b"),
    (_header("{type: integer, minimum: 1, maximum: 5, default: 9}"), "default of x: must be at most 5"),
    (_header("{type: string, max_length: 3, default: abcd}"), "default of x: longer than 3"),
    (_header("{type: string, pattern: '^[a-z]+$', default: ABC}"), "does not match the pattern"),
    (_header("{type: string, pattern: '(a)\\1'}"), "RE2 syntax"),
    (_header("{type: string, pattern: '(?=a)b'}"), "RE2 syntax"),
    (_header("{type: string, pattern: '" + "a" * 501 + "'}"), "longer than 500"),
    (_header("{type: string, description: " + "d" * 1001 + "}"), "longer than 1000"),
    ("---\ntitle: t\nparameters:\n" + "".join(f"  p{i}: {{type: string}}\n" for i in range(51)) + "---\n"
     + "RETURN " + ", ".join(f"$p{i}" for i in range(51)), "at most 50"),
    ("---\ntitle: t\n---\nRETURN " + "[" * 15 + "1" + "]" * 15, "nests 15 levels"),
    ("---\ntitle: t\n---\nRETURN 'open", "Unterminated string"),
    ("---\ntitle: t\n---\nCALL `db`.`labels`()", "backticks"),
])
def test_header_fields_are_checked_for_shape_and_size(text, problem) -> None:
    with pytest.raises(QueryDefinitionError) as info:
        parse(text, "q", builtin=False)
    assert problem in str(info.value)


def test_a_catastrophic_pattern_answers_at_once() -> None:
    query = parse(_header("{type: string, pattern: '(a+)+$', max_length: 10000}"), "q", builtin=False)
    for value in ("a" * 28 + "!", "a" * 5000 + "!"):
        started = time.monotonic()
        with pytest.raises(ParamError, match="does not match the pattern"):
            query.bind({"x": value}, from_text=True)
        assert time.monotonic() - started < 0.5
    assert query.bind({"x": "aaaa"}, from_text=True) == {"x": "aaaa"}


TRICKY_TEXT = ["\n---\n", "---", "...", "\n...\n", "\r\n---\r\n", "\u2028---\u2028", "\x85", "# not a comment",
               "key: value", "- item", "'", '"', "`", "|", ">", "{", "}", "[", "]", "&anchor", "*alias", "!tag",
               "%YAML", "@", "\t", " ", "  ", "太钢", "\ufeff", "\\", "null", "true", "1e3", "~", "\n\n", "?"]


def _tricky(rng: random.Random, one_line: bool) -> str:
    parts = [p for p in TRICKY_TEXT if not one_line or not any(c in p for c in "\r\n\x85\u2028")]
    return "".join(rng.choice(parts) for _ in range(rng.randint(1, 8)))


def test_a_saved_file_always_reads_back_as_the_same_query(tmp_path: Path) -> None:
    from app.saved_queries import SavedQuery

    rng = random.Random(5)
    for i in range(300):
        title = _tricky(rng, one_line=True)
        if not title.strip():
            title = "t" + title
        choices = sorted({_tricky(rng, one_line=False)[:200] for _ in range(rng.randint(1, 4))})
        query = SavedQuery(name=f"q{i}", title=title, description=_tricky(rng, one_line=False), builtin=False,
                           parameters={"p": {"type": "string", "description": _tricky(rng, one_line=False),
                                             "choices": choices, "default": rng.choice(choices)}},
                           cypher="RETURN $p AS p, '\n---\n' AS framing // ---\n")
        library = QueryLibrary(builtin_dir=tmp_path / "none", user_dir=tmp_path)
        library.save(query)
        again = library.get(query.name)
        assert again is not None and again.model_dump() == query.model_dump(), (i, query.to_file_text())


def test_a_header_ends_only_at_a_line_that_is_exactly_three_dashes() -> None:
    text = "---\ntitle: t\ndescription: |-\n  a\n  ---\n  b\n---\nRETURN 1 AS one\n"
    query = parse(text, "q", builtin=False)
    assert query.description == "a\n---\nb" and query.cypher == "RETURN 1 AS one"


def test_a_broken_user_file_is_listed_as_a_problem(tmp_path: Path) -> None:
    (tmp_path / "broken.cypher").write_text("no header", encoding="utf-8")
    (tmp_path / "fine.cypher").write_text(GOOD, encoding="utf-8")
    queries, problems = QueryLibrary(user_dir=tmp_path).all()
    assert "fine" in [q.name for q in queries] and len(problems) == 1 and "broken" in str(problems[0])


# -- parameters through the API --------------------------------------------------------------------
@pytest.mark.parametrize(("name", "params"), [
    ("top_connected", {"top": "many"}), ("top_connected", {"top": "0"}), ("top_connected", {"top": "1001"}),
    ("top_connected", {"type": "Martian"}), ("top_connected", {"nope": "1"}),
    ("shared_platforms", {"min_clusters": "1.5"}), ("cluster_support_gaps", {"only_gaps": "perhaps"}),
    ("liuxin_overview", {}), ("liuxin_overview", {"liuxin": "旧基建"}), ("cluster_ecosystem", {"cluster": "Not An Id"}),
    ("source_statements", {"source": "x", "section": "-1"}), ("top_connected", {"top": "99999999999999999999999"}),
])
def test_parameters_of_the_wrong_type_are_422(client, name, params) -> None:
    r = client.get(f"/api/queries/{name}/run", params=params)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_parameter" and error["details"]


@pytest.mark.parametrize("params", [{"top": "5"}, {"top": 5.5}, {"top": True}, {"type": ["Cluster"]}])
def test_json_parameters_must_have_the_declared_type(client, params) -> None:
    r = client.post("/api/queries/top_connected/run", json={"params": params})
    assert r.status_code == 422


def test_text_parameters_are_converted_to_their_types(client) -> None:
    r = client.get("/api/queries/top_connected/run", params={"top": "3", "type": "Cluster"})
    assert r.status_code == 200 and len(r.json()["rows"]) <= 3
    ent = client.get("/api/entities", params={"type": "Enterprise", "limit": 1}).json()["items"][0]["id"]
    r = client.get("/api/queries/enterprise_collaborators/run",
                   params={"enterprise": ent, "rel_types": "COLLABORATES_WITH,MEMBER_OF"})
    assert r.status_code == 200


def test_unknown_saved_query_is_404(client) -> None:
    for path in ("/api/queries/no_such_query", "/api/queries/no_such_query/run", "/api/queries/..%2Fsecrets/run"):
        assert client.get(path).status_code == 404, path
    assert client.post("/api/queries/no_such_query/run", json={}).status_code == 404


def test_list_and_show(client) -> None:
    body = client.get("/api/queries").json()
    assert [q["name"] for q in body["items"]] == SHIPPED and body["next_cursor"] is None
    page = client.get("/api/queries", params={"limit": 5}).json()
    assert len(page["items"]) == 5 and page["next_cursor"] == "5"
    shown = client.get("/api/queries/chain_gaps").json()
    assert "MATCH" in shown["cypher"] and {p["name"] for p in shown["parameters"]} == {"cluster", "region", "only_gaps"}
    liuxin = client.get("/api/queries/liuxin_overview").json()["parameters"][0]
    assert liuxin["choices"] == ["新基建", "新技术", "新材料", "新装备", "新产品", "新业态"]


def test_csv_output_has_the_columns_and_neutralises_formulas(client, graph) -> None:
    r = client.get("/api/queries/top_connected/run", params={"format": "csv", "top": "3"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())  # Excel then reads the Chinese text as UTF-8
    rows = list(csv.reader(io.StringIO(r.text.removeprefix("\ufeff"))))
    assert rows[0] == ["id", "name", "type", "degree"] and 1 <= len(rows) - 1 <= 3
    from app.saved_queries import result_csv
    from graph.model import QueryResult

    text = result_csv(QueryResult(["a", "b"], [["=cmd|' /C calc'!A0", -5], ["@SUM(1)", None]]))
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[1:] == [["'=cmd|' /C calc'!A0", "-5"], ["'@SUM(1)", ""]]


@pytest.fixture
def analyst(client) -> dict[str, str]:
    """The analyst key, with the client's rate limits reset (saves are rate-limited)."""
    client.app.state.services.rate_limiters = {}
    return auth("analyst")


def test_save_a_query_then_list_and_run_it(client, graph, analyst) -> None:
    body = {"name": "clusters_by_name", "title": "集群名称", "returns": "table",
            "parameters": {"prefix": {"type": "string", "default": "", "description": "Name prefix"}},
            "cypher": "MATCH (c:Cluster) WHERE c.name STARTS WITH $prefix RETURN c.id AS id ORDER BY id"}
    r = client.post("/api/queries", json=body, headers=analyst)
    assert r.status_code == 201, r.text
    assert r.json()["builtin"] is False
    assert "clusters_by_name" in [q["name"] for q in client.get("/api/queries").json()["items"]]
    rows = client.get("/api/queries/clusters_by_name/run").json()["rows"]
    assert [r[0] for r in rows] == sorted(n for (n,) in graph.read("MATCH (c:Cluster) RETURN c.id").rows)
    again = client.post("/api/queries", json=body, headers=analyst)
    assert again.status_code == 409
    shipped = client.post("/api/queries", json=body | {"name": "chain_gaps"}, headers=analyst)
    assert shipped.status_code == 409


@pytest.mark.parametrize(("change", "status"), [
    ({"cypher": "MATCH (n RETURN n"}, 400), ({"cypher": "RETURN $undeclared"}, 422),
    ({"name": "Bad-Name"}, 422), ({"parameters": {"x": {"type": "integer", "default": "one"}}}, 422),
])
def test_invalid_queries_are_not_saved(client, analyst, change, status) -> None:
    body = {"name": "will_not_exist", "title": "t", "cypher": "RETURN 1 AS one"} | change
    r = client.post("/api/queries", json=body, headers=analyst)
    assert r.status_code == status, r.text
    assert client.get("/api/queries/will_not_exist").status_code == 404


def test_a_title_that_would_break_the_file_is_refused_and_a_description_is_kept(client, analyst) -> None:
    body = {"name": "framing_title", "title": "a\n---\nb", "cypher": "RETURN 1 AS one"}
    r = client.post("/api/queries", json=body, headers=analyst)
    assert r.status_code == 422 and "one line" in r.json()["error"]["message"]
    description = "first\n---\ntitle: hijacked\n---\nMATCH (n) DETACH DELETE n"
    body = {"name": "framing_description", "title": "t", "description": description, "cypher": "RETURN 1 AS one"}
    r = client.post("/api/queries", json=body, headers=analyst)
    assert r.status_code == 201, r.text
    shown = client.get("/api/queries/framing_description").json()
    assert shown["description"] == description and shown["cypher"] == "RETURN 1 AS one"


def test_saving_a_query_past_a_limit_or_with_a_procedure_is_refused(client, analyst) -> None:
    deep = {"name": "too_deep", "title": "t", "cypher": "RETURN " + "[" * 30 + "1" + "]" * 30 + " AS x"}
    r = client.post("/api/queries", json=deep, headers=analyst)
    assert r.status_code == 400 and r.json()["error"]["code"] == "query_too_deep"
    proc = {"name": "a_procedure", "title": "t", "cypher": "CALL db.`labels`() YIELD label RETURN label"}
    r = client.post("/api/queries", json=proc, headers=analyst)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_cypher"
    for name in ("too_deep", "a_procedure"):
        assert client.get(f"/api/queries/{name}").status_code == 404


def test_a_catastrophic_pattern_is_answered_at_once_through_the_api(client, analyst) -> None:
    body = {"name": "slow_pattern", "title": "t", "cypher": "RETURN $x AS x",
            "parameters": {"x": {"type": "string", "pattern": "(a+)+$", "default": "aaa"}}}
    assert client.post("/api/queries", json=body, headers=analyst).status_code == 201
    started = time.monotonic()
    r = client.get("/api/queries/slow_pattern/run", params={"x": "a" * 40 + "!"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["param"] == "x"
    assert time.monotonic() - started < 1
    backreference = body | {"name": "backreference", "parameters": {"x": {"type": "string", "pattern": "(a)\\1"}}}
    r = client.post("/api/queries", json=backreference, headers=analyst)
    assert r.status_code == 422 and "RE2" in r.json()["error"]["message"]


def test_saves_are_rate_limited(client, analyst) -> None:
    codes = [client.post("/api/queries", json={"name": f"burst_{i}", "title": "t", "cypher": "RETURN 1 AS one"},
                         headers=analyst).status_code for i in range(8)]
    assert codes[:5] == [201] * 5 and codes[-1] == 429
    r = client.post("/api/queries", json={"name": "burst_x", "title": "t", "cypher": "RETURN 1 AS one"},
                    headers=analyst)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_oversized_and_control_character_parameters_of_a_saved_query(client, nxg) -> None:
    ent = of_type(nxg, "Enterprise")[0]
    r = client.post("/api/queries/enterprise_collaborators/run",
                    json={"params": {"enterprise": ent, "rel_types": ["LEADS"] * 60_000}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "params_too_large", r.text
    assert r.json()["error"]["details"]["limit"] == "MAX_PARAM_VALUES"
    r = client.get("/api/queries/chain_gaps/run", params={"region": "太原\x01市"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["param"] == "region"
    assert "U+0001" in r.json()["error"]["details"][0]["message"]


# -- the CLI ---------------------------------------------------------------------------------------
@pytest.fixture
def cli_env(engine, graph, monkeypatch):
    for name, value in engine.env_for(graph).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "200")
    from app.cli import cli

    return lambda *args: CliRunner().invoke(cli, list(args))


def test_cli_lists_shows_and_runs_saved_queries(cli_env, nxg) -> None:
    listed = cli_env("query", "list")
    assert listed.exit_code == 0 and all(name in listed.output for name in SHIPPED)
    shown = cli_env("query", "show", "chain_gaps")
    assert shown.exit_code == 0 and "$cluster" in shown.output
    result = cli_env("query", "run", "top_connected", "-p", "top=3", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(result.output.removeprefix("\ufeff"))))
    assert rows[0] == ["id", "name", "type", "degree"] and len(rows) == 4
    as_json = cli_env("query", "run", "liuxin_overview", "-p", "liuxin=新材料", "--format", "json")
    assert as_json.exit_code == 0 and '"columns"' in as_json.output
    assert cli_env("query", "run", "top_connected").exit_code == 0


def test_cli_rejects_bad_parameters_and_unknown_queries(cli_env) -> None:
    bad = cli_env("query", "run", "top_connected", "-p", "top=lots")
    assert bad.exit_code == 2 and "top" in bad.output
    assert cli_env("query", "run", "no_such_query").exit_code == 1
    assert cli_env("query", "show", "no_such_query").exit_code == 1
    assert cli_env("query", "run", "top_connected", "--format", "xml").exit_code == 2
