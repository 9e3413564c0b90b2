"""Saved queries: every shipped query answers what networkx computes on the same graph; headers are
validated; parameters are typed; the API and the CLI run them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from app.cypher_bounds import ParamError
from app.query_entities import resolve_entities
from app.query_header import SavedQuery
from app.query_library import BUILTIN_DIR, QueryDefinitionError, QueryLibrary, parse
from app.query_xlsx import result_xlsx
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


def expected_chain_targets(g: nx.MultiDiGraph, cluster: str, home: str = "山西省",
                           fragile_max: int = 1) -> dict[str, tuple[str, int, list[str]]]:
    """chain link → (status word, local enterprises, outside enterprise ids), from the export."""
    regions = {n for n, t in g.nodes(data="type") if t == "Region"}
    homes = [r for r in regions if g.nodes[r].get("name") == home]
    if not homes:
        return {}
    parts = nx.DiGraph([(v, u) for u, v, k in g.edges(keys=True) if k == "PART_OF" and {u, v} <= regions])
    parts.add_nodes_from(homes)
    inside = {n for h in homes for n in nx.single_source_shortest_path_length(parts, h, cutoff=3)}
    home_names = {g.nodes[r].get("name") for r in inside}
    known = {g.nodes[r].get("name") for r in regions}
    out = {}
    for _, link, k in g.out_edges(cluster, keys=True):
        if k != "HAS_LINK" or g.nodes[link].get("type") != "ChainLink":
            continue
        firms = {e for e, _, kk in g.in_edges(link, keys=True)
                 if kk == "OPERATES_IN" and g.nodes[e].get("type") == "Enterprise"}
        outside = sorted(e for e in firms if g.nodes[e].get("region") in known - home_names)
        local = len(firms) - len(outside)
        if local <= fragile_max:
            out[link] = ("缺口" if local == 0 else "薄弱", local, outside)
    return out


def run_chain_targets(client, **params) -> dict[str, tuple[str, int, list[str]]]:
    """chain link → (status, local enterprises, outside ids) of one cluster's run (``cluster`` given)."""
    return {link: row for (_, link), row in run_all_chain_targets(client, **params).items()}


def run_all_chain_targets(client, **params) -> dict[tuple[str, str], tuple[str, int, list[str]]]:
    rows = records(run(client, "chain_targets", **params))
    keys = [(row["cluster"], row["chain_link"]) for row in rows]
    assert keys == sorted(keys)
    assert all(row["outside_enterprises"] == len(row["outside_ids"]) for row in rows)
    return {key: (row["status"], row["local_enterprises"], sorted(row["outside_ids"]))
            for key, row in zip(keys, rows, strict=True)}


def check_chain_targets(client, g) -> None:
    """For every cluster and all at once, with two fragile limits."""
    clusters = sorted(n for n, t in g.nodes(data="type") if t == "Cluster")
    for fragile_max in (1, 0):
        everything = {(c, link): row for c in clusters
                      for link, row in expected_chain_targets(g, c, fragile_max=fragile_max).items()}
        assert run_all_chain_targets(client, fragile_max=fragile_max) == everything
        for cluster in clusters:
            assert run_chain_targets(client, cluster=cluster, fragile_max=fragile_max) == \
                {link: row for (c, link), row in everything.items() if c == cluster}


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
    (_header("{type: string, choices: [a, b], default: c}"), "the default of x does not fit: choose one of: a, b"),
    (_header("{type: integer, minimum: 1, maximum: 5, default: 9}"),
     "the default of x does not fit: enter a whole number from 1 to 5"),
    (_header("{type: string, max_length: 3, default: abcd}"), "the default of x does not fit: longer than 3"),
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
    from app.query_header import SavedQuery

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
    repeated = client.get("/api/queries/enterprise_collaborators/run",
                          params=[("enterprise", ent), ("rel_types", "COLLABORATES_WITH"), ("rel_types", "MEMBER_OF")])
    assert repeated.status_code == 200, repeated.text
    as_json = client.post("/api/queries/enterprise_collaborators/run",
                          json={"params": {"enterprise": ent, "rel_types": ["COLLABORATES_WITH", "MEMBER_OF"]}})
    assert repeated.json()["rows"] == as_json.json()["rows"]


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
    from app.query_results import result_csv
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


def test_cli_writes_csv_with_a_bom_and_an_xlsx_with_chinese_headers(cli_env, nxg, tmp_path) -> None:
    from openpyxl import load_workbook

    csv_file = tmp_path / "top.csv"
    done = cli_env("query", "run", "top_connected", "-p", "top=3", "--format", "csv", "--out", str(csv_file))
    assert done.exit_code == 0, done.output
    assert csv_file.read_bytes().startswith("\ufeff".encode())
    source = "src-sxrb"
    out = tmp_path / "statements.xlsx"
    done = cli_env("query", "run", "source_statements", "-p", f"source={source}", "-p", "section=3",
                   "--format", "xlsx", "--out", str(out))
    assert done.exit_code == 0, done.output
    sheet = load_workbook(out).active
    query = QueryLibrary().get("source_statements")
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header[:7] == [query.columns[c].zh for c in ["subject", "subject_name", "relation", "object",
                                                         "object_name", "citations", "note"]]
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1))
    cited = citing(nxg, source, 3)
    assert len(rows) == len(cited) and rows
    assert all(cell.hyperlink is None for row in rows for cell in row)  # no server: plain citations
    assert cli_env("query", "run", "top_connected", "--format", "xlsx").exit_code == 2  # needs --out


def test_cli_takes_a_list_as_repeated_parameters(cli_env, nxg) -> None:
    ent = of_type(nxg, "Enterprise")[0]
    both_ways = [cli_env("query", "run", "enterprise_collaborators", "-p", f"enterprise={ent}", "-p",
                         "rel_types=COLLABORATES_WITH", "-p", "rel_types=MEMBER_OF", "--format", "json"),
                 cli_env("query", "run", "enterprise_collaborators", "-p", f"enterprise={ent}", "-p",
                         'rel_types=["COLLABORATES_WITH", "MEMBER_OF"]', "--format", "json")]
    assert [r.exit_code for r in both_ways] == [0, 0], both_ways[0].output
    assert json.loads(both_ways[0].output)["rows"] == json.loads(both_ways[1].output)["rows"]
    comma = cli_env("query", "run", "enterprise_collaborators", "-p", f"enterprise={ent}", "-p",
                    "rel_types=COLLABORATES_WITH,MEMBER_OF")
    assert comma.exit_code == 2 and "-p rel_types=A -p rel_types=B" in comma.output.replace("\n", "")


# -- both languages ------------------------------------------------------------------------------------------
SAMPLE_PARAMS = {"cluster_ecosystem": {"cluster": "cl-semi"}, "enterprise_collaborators": {"enterprise": "tisco"},
                 "liuxin_overview": {"liuxin": "新材料"}, "source_statements": {"source": "src-shanxi"}}
CHINESE = re.compile("[\u4e00-\u9fff]")
STRAY_SPACE = re.compile("[\u3000-\u9fff\uff00-\uffef] [\u3000-\u9fff\uff00-\uffef]")
CYPHER_JARGON = re.compile(r"\b(MATCH|RETURN|WHERE|OPTIONAL|UNWIND|Cypher|NULL|labels)\b|[$`]|\b[A-Z]+_[A-Z_]+\b")


def test_every_shipped_query_declares_everything_in_both_languages(sample_client) -> None:
    for q in QueryLibrary().all()[0]:
        assert CHINESE.search(q.title) and re.search("[A-Za-z]", q.title_en), q.name
        assert CHINESE.search(q.description) and q.description_en, q.name
        assert not CYPHER_JARGON.search(q.description), (q.name, CYPHER_JARGON.search(q.description))
        assert not STRAY_SPACE.search(q.description), q.name  # folded lines would leave one
        for name, p in q.parameters.items():
            assert CHINESE.search(p.label) and p.label_en, (q.name, name)
            assert CHINESE.search(p.description) and p.description_en, (q.name, name)
            assert p.type != "entity_id" or p.entity_types or name == "organisation", (q.name, name)
            for choice in p.effective_choices:
                assert CHINESE.search(p.choice_label(choice, "zh")) or p.choice_label(choice, "zh") != choice
        body = run(sample_client, q.name, **SAMPLE_PARAMS.get(q.name, {}))
        assert body["columns"] and set(body["columns"]) == set(q.columns), q.name
        for column, spec in q.columns.items():
            assert CHINESE.search(spec.zh) and spec.en and not CHINESE.search(spec.en.replace("六新", "")), column


def test_the_api_describes_queries_in_both_languages(client) -> None:
    listed = {q["name"]: q for q in client.get("/api/queries").json()["items"]}
    shown = client.get("/api/queries/source_statements").json()
    assert listed["source_statements"]["title_en"] == shown["title_en"] == "Everything a source states"
    source = shown["parameters"][0]
    assert (source["label"], source["label_en"], source["entity_type"]) == ("来源", "Source", ["Source"])
    assert source["hint_zh"] == "请从列表中选择一个来源文献（可输入名称、拼音或编号）"
    columns = {c["name"]: c for c in shown["columns"]}
    assert columns["citations"] == {"name": "citations", "zh": "引用章节", "en": "Citations", "kind": "citations",
                                    "of": None}
    rel_types = client.get("/api/queries/enterprise_collaborators").json()["parameters"][1]
    labels = {c["value"]: (c["zh"], c["en"]) for c in rel_types["choice_labels"]}
    assert labels["MEMBER_OF"] == ("属于集群", "member of") and rel_types["items"] == "relationship_type"


# -- parameter problems say what to enter -------------------------------------------------------------------
@pytest.mark.parametrize(("name", "params", "param", "zh", "en"), [
    ("shared_platforms", {"min_clusters": "0"}, "min_clusters", "请输入 1 到 100 之间的整数",
     "enter a whole number from 1 to 100"),
    ("top_connected", {"top": "many"}, "top", "请输入 1 到 1000 之间的整数", "enter a whole number from 1 to 1000"),
    ("liuxin_overview", {}, "liuxin", "必填：请从列表中选择一项：新基建、", "required: choose one of: 新基建, "),
    ("cluster_support_gaps", {"only_gaps": "perhaps"}, "only_gaps", "请选择“是”或“否”", "choose yes or no"),
    ("source_statements", {"source": "Not An Id"}, "source", "不是实体编号", "is not an entity id"),
    ("top_connected", {"type": "Martian"}, "type", "请从列表中选择一项：产业集群、", "choose one of: Cluster, "),
    ("top_connected", {"nope": "1"}, "nope", "不是此查询的条件", "not a parameter of this query (it has: type, top)"),
    ("chain_gaps", {"region": "太原\x01市"}, "region", "控制字符 U+0001", "the control character U+0001"),
])
def test_parameter_problems_say_what_to_enter_in_both_languages(client, name, params, param, zh, en) -> None:
    r = client.get(f"/api/queries/{name}/run", params=params)
    assert r.status_code == 422, r.text
    detail = next(d for d in r.json()["error"]["details"] if d["param"] == param)
    assert zh in detail["message_zh"] and en in detail["message"], detail


def test_a_list_given_with_commas_says_how_to_pass_a_list(client, nxg) -> None:
    ent = of_type(nxg, "Enterprise")[0]
    r = client.get("/api/queries/enterprise_collaborators/run",
                   params={"enterprise": ent, "rel_types": "COLLABORATES_WITH,MEMBER_OF"})
    assert r.status_code == 422
    detail = r.json()["error"]["details"][0]
    assert detail["param"] == "rel_types"
    assert "rel_types=A&rel_types=B" in detail["message"] and "one per line" in detail["message"]
    assert "每行填写一项" in detail["message_zh"]
    one = client.get("/api/queries/enterprise_collaborators/run", params={"enterprise": ent, "rel_types": "LEADS"})
    assert one.status_code == 200
    twice = client.get("/api/queries/top_connected/run", params=[("top", "1"), ("top", "2")])
    assert twice.status_code == 422 and twice.json()["error"]["details"][0]["message"] == "give one value only"


def test_text_lists_come_one_per_line_or_repeated_and_a_comma_is_text_where_any_text_fits() -> None:
    query = parse("---\ntitle: t\nparameters:\n  x: {type: string_list}\n---\nRETURN $x AS x\n", "q", builtin=False)
    assert query.bind({"x": "a,b"}, from_text=True) == {"x": ["a,b"]}
    assert query.bind({"x": ["a", "b"]}, from_text=True) == {"x": ["a", "b"]}
    assert query.bind({"x": "a\n b \n\n"}, from_text=True) == {"x": ["a", "b"]}
    assert query.bind({"x": '["a", "b,c"]'}, from_text=True) == {"x": ["a", "b,c"]}
    with pytest.raises(ParamError):
        query.bind({"x": "a"}, from_text=False)


# -- saving a query: problems in words ----------------------------------------------------------------------
INTERNALS = ("input_value", "input_type", "pydantic", "errors.pydantic.dev", "Value error", "dict_type",
             "<class", "QueryParam", "SavedQuery", "Input should", "'str'", "'int'", "NoneType", "Traceback")


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"name": "Bad-Name"}, "name", "lowercase letters, digits and _"),
    ({"name": None}, "name", "must be text"),
    ({"title": 5}, "title", "must be text"),
    ({"returns": "chart"}, "returns", "must be one of: 'table', 'graph' or 'both'"),
    ({"parameters": {"x": {"type": "date"}}, "cypher": "RETURN $x AS x"}, "parameters.x.type", "must be one of"),
    ({"parameters": {"x": {"type": "integer", "default": "one"}}, "cypher": "RETURN $x AS x"},
     "parameters.x.default", "enter a whole number"),
    ({"parameters": {"x": {"type": "integer", "minimum": "low"}}, "cypher": "RETURN $x AS x"},
     "parameters.x.minimum", "must be a number"),
    ({"parameters": {"x": {"typ": "integer"}}, "cypher": "RETURN $x AS x"}, "parameters.x.typ", "did you mean type?"),
    ({"parameters": {"x": {"type": "entity_id", "entity_type": "Enterprize"}}, "cypher": "RETURN $x AS x"},
     "parameters.x.entity_type", "did you mean Enterprise?"),
    ({"parameters": "x"}, "parameters", "must be a mapping"),
    ({"columns": {"one": {"zh": "一"}}}, "columns.one.en", "is required: enter the English text"),
    ({"columns": {"two": {"zh": "二", "en": "two"}}}, "columns.two", "the query returns no column two"),
    ({"unknown": 1}, "unknown", "is not a field you can set here"),
    ({"builtin": True}, "builtin", "is not a field you can set"),
    ({"cypher": "RETURN $undeclared AS u"}, "parameters.undeclared", "does not declare it"),
])
def test_saving_an_invalid_query_names_each_field_and_what_to_enter(client, analyst, change, field, words) -> None:
    body = {"name": "not_saved", "title": "t", "cypher": "RETURN 1 AS one"} | change
    r = client.post("/api/queries", json=body, headers=analyst)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_query"
    assert any(p["field"] == field and words in p["message"] for p in error["details"]), error["details"]
    assert f"{field}: " in error["message"]
    assert not [x for x in INTERNALS if x in r.text], r.text
    fields = [p["field"] for p in error["details"]]
    assert len(fields) == len(set(fields))  # one problem per field
    assert client.get("/api/queries/not_saved").status_code == 404


def test_saving_something_that_is_not_a_definition_says_what_to_send(client, analyst) -> None:
    for body in (["a", "list"], "text", 5):
        r = client.post("/api/queries", json=body, headers=analyst)
        assert r.status_code == 422
        assert "JSON object with the fields name, title, cypher" in r.json()["error"]["message"]
        assert not [x for x in INTERNALS if x in r.text]


def test_a_saved_query_keeps_both_languages_and_its_column_names(client, analyst) -> None:
    body = {"name": "clusters_named", "title": "集群名单", "title_en": "Cluster list", "description": "全部集群。",
            "description_en": "Every cluster.", "returns": "table",
            "parameters": {"kind": {"type": "string", "choices": ["a", "b"], "default": "a", "label": "种类",
                                    "label_en": "Kind", "choice_labels": {"a": {"zh": "甲", "en": "A"},
                                                                          "b": {"zh": "乙", "en": "B"}}}},
            "columns": {"id": {"zh": "编号", "en": "Id", "kind": "id"},
                        "name": {"zh": "集群", "en": "Cluster", "kind": "name", "of": "id"}},
            "cypher": "MATCH (c:Cluster) WHERE $kind IS NOT NULL RETURN c.id AS id, c.name AS name ORDER BY id"}
    r = client.post("/api/queries", json=body, headers=analyst)
    assert r.status_code == 201, r.text
    shown = client.get("/api/queries/clusters_named").json()
    assert (shown["title_en"], shown["description_en"]) == ("Cluster list", "Every cluster.")
    assert shown["parameters"][0]["choice_labels"] == [{"value": "a", "zh": "甲", "en": "A"},
                                                       {"value": "b", "zh": "乙", "en": "B"}]
    assert [c["zh"] for c in shown["columns"]] == ["编号", "集群"]


# -- spreadsheets -------------------------------------------------------------------------------------------------
HEADER_ROW = 5
"""The row of a result workbook holding the column names (under the title, parameters and date rows)."""


def citing(g: nx.MultiDiGraph, source: str, section: int) -> list[tuple]:
    """(subject, relation, object) of every node and relationship citing ``source#section``, from networkx."""
    cite = f"{source}#{section}"
    nodes = [(n, None, None) for n, d in g.nodes(data=True) if cite in (d.get("sources") or [])]
    rels = [(u, k, v) for u, v, k, d in g.edges(keys=True, data=True) if cite in (d.get("sources") or [])]
    return nodes + rels


def test_xlsx_of_a_run_has_title_parameters_date_chinese_headers_names_and_links(client, nxg) -> None:
    from openpyxl import load_workbook

    source = "src-sxrb"
    r = client.get("/api/queries/source_statements/run", params={"source": source, "section": "3", "format": "xlsx"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "source_statements.xlsx" in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    query = QueryLibrary().get("source_statements")
    assert sheet.title == query.title and sheet["A1"].value.startswith(query.title)
    title = nxg.nodes[source]["name"]
    assert sheet["A2"].value == f"查询条件：来源：{title}（{source}）；章节：3"
    assert sheet["A3"].value.startswith(f"导出时间：{dt.date.today():%Y-%m-%d}")
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header == [query.columns[c].zh for c in query.columns] + ["图中元素（编号）"]
    rows = [[c for c in row] for row in sheet.iter_rows(min_row=HEADER_ROW + 1)]
    got = sorted(((row[0].value, row[2].value, row[3].value) for row in rows), key=repr)
    rel_zh = _rel_names()
    want = sorted(((s, rel_zh[k] if k else None, o) for s, k, o in citing(nxg, source, 3)), key=repr)
    assert got == want and rows
    for row in rows:
        element, element_id = row[7].value, row[8].value
        if row[2].value is None:  # a node: shown by its name, its id beside it
            assert (element, element_id) == (nxg.nodes[row[0].value]["name"], row[0].value)
        assert row[5].value.split("; ")[0].startswith(source)
        assert row[5].hyperlink.target.startswith(f"http://testserver/sources/{source}")
    single = next(row for row in rows if row[5].value == f"{source}#3")
    assert single[5].hyperlink.target == f"http://testserver/sources/{source}/3"
    assert rows[0][1].hyperlink.target == f"http://testserver/entity/{rows[0][0].value}"


def _rel_names() -> dict[str, str]:
    from graph.ontology import REL_TYPES

    return {r.name: r.zh for r in REL_TYPES}


def test_xlsx_cells_never_become_formulas_and_booleans_read_yes_or_no(tmp_path) -> None:
    from openpyxl import load_workbook

    from graph.model import QueryResult

    query = parse("---\ntitle: 检查\ncolumns:\n  a: {zh: 甲, en: A}\n  b: {zh: 乙, en: B}\n---\n"
                  "RETURN 1 AS a, 2 AS b\n", "q", builtin=False)
    data = result_xlsx(query, QueryResult(["a", "b"], [["=1+1", True], ["@SUM(A1)", 2.5]]), {})
    path = tmp_path / "x.xlsx"
    path.write_bytes(data)
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[HEADER_ROW]] == ["甲", "乙"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=HEADER_ROW + 1)] == [["=1+1", "是"],
                                                                                          ["@SUM(A1)", 2.5]]
    assert sheet.cell(HEADER_ROW + 1, 1).data_type == "s"
    assert sheet["A2"].value == "查询条件：无"


def test_xlsx_shows_id_lists_by_name_with_the_ids_beside(client, nxg) -> None:
    from openpyxl import load_workbook

    r = client.get("/api/queries/shared_platforms/run", params={"min_clusters": "1", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header[-2:] == ["联系的集群", "联系的集群（编号）"]
    body = run(client, "shared_platforms", min_clusters=1)
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert len(rows) == len(body["rows"]) > 0
    for row, json_row in zip(rows, body["rows"], strict=True):
        assert row[-1] == "、".join(json_row[-1])
        assert row[-2] == "、".join(nxg.nodes[c]["name"] for c in json_row[-1])


def test_the_run_endpoint_offers_xlsx_for_post_too(client) -> None:
    r = client.post("/api/queries/top_connected/run", params={"format": "xlsx"}, json={"params": {"top": 2}})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in sheet[HEADER_ROW]] == ["编号", "主体", "类型", "联系条数"]
    assert len(list(sheet.iter_rows(min_row=HEADER_ROW + 1))) == 2
    assert sheet.cell(HEADER_ROW + 1, 3).value in {t.zh for t in _node_types()}


def _node_types():
    from graph.ontology import NODE_TYPES

    return NODE_TYPES


# -- an entity named instead of its id (the form without its picker) ---------------------------------------------
def _index(rows):
    from app.search import SearchIndex

    return SearchIndex.from_rows(rows, {})


def test_an_entity_given_by_name_is_resolved_when_only_one_fits() -> None:
    index = _index([["src-a", ["Entity", "Source"], "《山西日报》：山西实践", None, [], [], None],
                    ["ent-a", ["Entity", "Enterprise"], "同名公司", None, [], [], "太原市"],
                    ["ent-b", ["Entity", "Enterprise"], "同名公司", None, [], [], "大同市"],
                    ["ent-c", ["Entity", "Enterprise"], "山西日报印刷厂", None, ["日报印刷"], [], None]])
    query = QueryLibrary().get("source_statements")
    for typed in ("src-a", "《山西日报》：山西实践", "山西日报", "山西实践"):
        values, problems, chosen = resolve_entities(query, {"source": typed}, index)
        assert (values["source"], problems, chosen["source"].id) == ("src-a", [], "src-a"), typed
    _, problems, _ = resolve_entities(query, {"source": "ent-c"}, index)
    assert "是企业，这里需要来源文献" in problems[0]["message_zh"]
    assert "a source document is needed" in problems[0]["message"]
    _, problems, _ = resolve_entities(query, {"source": "人民日报"}, index)
    assert problems[0]["message_zh"].startswith("没有名称或编号为“人民日报”的来源文献")
    leaders = QueryLibrary().get("enterprise_collaborators")
    _, problems, _ = resolve_entities(leaders, {"enterprise": "同名公司"}, index)
    assert "ent-a" in problems[0]["message_zh"] and "ent-b" in problems[0]["message_zh"]
    assert "请从列表中选择一个" in problems[0]["message_zh"]
    values, problems, _ = resolve_entities(leaders, {"enterprise": "日报印刷"}, index)  # an alias
    assert values["enterprise"] == "ent-c" and not problems


def test_a_saved_query_round_trips_with_every_new_field(tmp_path) -> None:
    query = SavedQuery(name="q", title="标题", title_en="Title", description="说明", description_en="About",
                       parameters={"e": {"type": "entity_id", "entity_type": ["Enterprise", "Agency"], "label": "主体",
                                         "label_en": "Entity", "description_en": "Which"},
                                   "l": {"type": "string_list", "items": "liuxin", "default": ["新材料"]}},
                       columns={"id": {"zh": "编号", "en": "Id", "kind": "id"},
                                "c": {"zh": "出处", "en": "Citations", "kind": "citations"}},
                       cypher="MATCH (n:Entity {id: $e}) WHERE any(x IN $l WHERE x IN n.liuxin) "
                              "RETURN n.id AS id, n.sources AS c", builtin=False)
    library = QueryLibrary(builtin_dir=tmp_path / "none", user_dir=tmp_path)
    library.save(query)
    assert library.get("q").model_dump() == query.model_dump()
