"""The Cypher gate: tokens, the allow-list of procedures, administrative commands, LOAD CSV, the bounds
on queries and parameters, and the ``ecomap cypher`` command that applies them."""

from __future__ import annotations

import random

import pytest
from typer.testing import CliRunner

from app import cypher_bounds as bounds
from app.cypher_bounds import LimitExceeded, ParamError, check_params, measure
from app.cypher_gate import READ_PROCEDURES, ForbiddenCypher, check_query
from app.cypher_text import CypherTextError, Kind, RejectedCypher, parameter_names, tokenize
from app.query_library import QueryLibrary

N, Q, S, P, X, D = Kind.NAME, Kind.QUOTED_NAME, Kind.STRING, Kind.PARAMETER, Kind.PUNCT, Kind.NUMBER

pytest_plugins = ["tests.api_fixtures"]


# -- tokens ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "tokens"), [
    ("CALL `db`.`labels`()", [(N, "CALL"), (Q, "db"), (X, "."), (Q, "labels"), (X, "("), (X, ")")]),
    ("RETURN `a``b`", [(N, "RETURN"), (Q, "a`b")]),
    ("CALL/**/db.labels()", [(N, "CALL"), (N, "db"), (X, "."), (N, "labels"), (X, "("), (X, ")")]),
    ("CALL // db\n x", [(N, "CALL"), (N, "x")]),
    ("RETURN 'CALL dbms.x()' AS s", [(N, "RETURN"), (S, "CALL dbms.x()"), (N, "AS"), (N, "s")]),
    ("RETURN 'it\\'s', \"q\\\\\\\"\"", [(N, "RETURN"), (S, "it's"), (X, ","), (S, 'q\\"')]),
    (r"RETURN 'a\u0041\n'", [(N, "RETURN"), (S, "aA\n")]),
    (r"RETURN '\\u0027'", [(N, "RETURN"), (S, "\\u0027")]),
    ("RETURN '/* not */ // a comment'", [(N, "RETURN"), (S, "/* not */ // a comment")]),
    ("MATCH (n:企业 {名称: $`p q`}) RETURN n.show",
     [(N, "MATCH"), (X, "("), (N, "n"), (X, ":"), (N, "企业"), (X, "{"), (N, "名称"), (X, ":"), (P, "p q"), (X, "}"),
      (X, ")"), (N, "RETURN"), (N, "n"), (X, "."), (N, "show")]),
    ("RETURN $x, $0, $ ", [(N, "RETURN"), (P, "x"), (X, ","), (P, "0"), (X, ","), (X, "$")]),
    ("RETURN 1.5e-3, 0x1F, [1..3]", [(N, "RETURN"), (D, "1.5e-3"), (X, ","), (D, "0x1F"), (X, ","), (X, "["),
                                     (D, "1"), (X, ".."), (D, "3"), (X, "]")]),
    ("a<>b<=c=~d||e", [(N, "a"), (X, "<>"), (N, "b"), (X, "<="), (N, "c"), (X, "=~"), (N, "d"), (X, "||"), (N, "e")]),
    ("(a)\u2014\uff1e(b)", [(X, "("), (N, "a"), (X, ")"), (X, "-"), (X, ">"), (X, "("), (N, "b"), (X, ")")]),
    ("RETURN\u3000\u00a0\u180e1\r\n", [(N, "RETURN"), (D, "1")]),
    ("RETURN 1 // comment\r\nAS x", [(N, "RETURN"), (D, "1"), (N, "AS"), (N, "x")]),
])
def test_tokens_of_tricky_text(text, tokens) -> None:
    assert [(t.kind, t.value) for t in tokenize(text)] == tokens


@pytest.mark.parametrize(("text", "message", "column"), [
    ("RETURN 'abc", "Unterminated string literal", 8),
    ('RETURN "a\\"', "Unterminated string literal", 8),
    ("RETURN `abc", "Unterminated backticked name", 8),
    ("RETURN 1 /* never closed", "Unterminated /* comment", 10),
    (r"M\u0041TCH (n) RETURN n", "only accepted inside string literals", 2),
    (r"RETURN 1 // \u000a CALL dbms.listQueries()", "not accepted in comments", 13),
    (r"RETURN 1 /* \u002a/ CALL dbms.listQueries() */", "not accepted in comments", 13),
    (r"RETURN `a\u0060b`", "not accepted in backticked names", 10),
    (r"RETURN '\u0027 CALL dbms.listQueries() //'", "stands for \"'\"", 9),
    (r"RETURN '\u005c'", "stands for '\\\\'", 9),
    ("RETURN 1 //\r CALL dbms.listQueries()", "line break other than", 12),
    ("RETURN 1 //\u2028 CALL dbms.listQueries()", "line break other than", 12),
    ("RETURN 'it''s'", "Two string literals", 12),
    ("RETURN 1. CALL dbms.listQueries()", "ends in a dot", 9),
    ("RETURN 1 # comment", "Unexpected character '#'", 10),
    ("RETURN\u200b1", "U+200B", 7),
])
def test_text_that_engines_could_read_differently_is_refused(text, message, column) -> None:
    with pytest.raises(CypherTextError) as info:
        tokenize(text)
    assert message in str(info.value)
    assert (info.value.line, info.value.column) == (1, column)
    assert info.value.details == {"line": 1, "column": column}


def test_errors_name_the_line() -> None:
    with pytest.raises(CypherTextError) as info:
        tokenize("MATCH (n)\nRETURN n\n  , 'open")
    assert (info.value.line, info.value.column) == (3, 5)


def test_parameter_names_come_from_code_only() -> None:
    tokens = tokenize("RETURN $a, '$b', `$c` // $d\n, $`e f`, /* $g */ $h")
    assert parameter_names(tokens) == {"a", "e f", "h"}


# -- the gate ---------------------------------------------------------------------------------------
ALLOWED = [
    "CALL db.labels()", "CALL db.labels() YIELD label RETURN label", "CALL db . /* x */ labels ( )",
    "CALL db.relationshipTypes", "CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey",
    "CALL { RETURN 1 AS x } RETURN x", "MATCH (n) CALL (n) { RETURN n.id AS i } RETURN i",
    "MATCH (n) CALL () { RETURN 1 AS one } RETURN one",
    "MATCH (n) RETURN n.show, n.call, n.use, n.load, n.drop, n.create",
    "RETURN {use: 1, show: 2, call: 3, terminate: 4, load: 5}.show AS shown",
    "MATCH (n:Show:Call:Use:Drop) RETURN n", "MATCH ()-[r:SHOW|USE]->() RETURN r",
    "RETURN 'CALL dbms.listQueries() SHOW USERS LOAD CSV' // CALL dbms.killQuery('x')",
    "/* SHOW TRANSACTIONS; CALL dbms.x() */ RETURN 1",
    "WITH 1 AS show RETURN show", "UNWIND [1] AS call RETURN call", "WITH 2 AS load RETURN load",
    "MATCH (start:Entity) WITH start LIMIT 1 RETURN start", "MATCH (n) WHERE n.name STARTS WITH 'a' RETURN n",
    "WITH 1 AS `SHOW` WITH `SHOW` MATCH (n) RETURN n", "RETURN $`CALL dbms.x()`",
    "MATCH (n) WHERE n.x IS NOT NULL AND NOT n:Source RETURN n",
    "MATCH (n) CREATE (m:Entity {id: 'x'})", "MATCH (c:Entity {id: 'x'}) USING INDEX c:Entity(id) RETURN c",
]


@pytest.mark.parametrize("query", ALLOWED)
def test_reads_and_names_that_look_like_commands_pass(query) -> None:
    check_query(query)


FORBIDDEN = {
    "CALL `db`.`x`()": "backticks", "CALL db.`labels`()": "backticks", "CALL `db.labels`()": "backticks",
    "CALL/**/dbms.listQueries()": "dbms.listQueries", "CALL dbms.listQueries": "dbms.listQueries",
    "CALL\n// a comment\ndbms.killQuery('x')": "dbms.killQuery", "OPTIONAL CALL dbms.x()": "dbms.x",
    "CALL db.labels() YIELD label CALL dbms.x() RETURN 1": "dbms.x", "CALL db.labels.evil()": "db.labels.evil",
    "CALL db.idx.fulltext.drop('Entity')": "db.idx.fulltext.drop", "CALL db()": "Procedure db ",
    "CALL (x) RETURN 1": "subquery", "CALL 'db.labels'()": "procedure name",
    "MATCH (n) CALL\u3000dbms.x() RETURN 1": "dbms.x",
    "LOAD CSV FROM 'file:///etc/passwd' AS r RETURN r": "LOAD CSV", "load csv from 'x' as r return r": "LOAD CSV",
    "SHOW TRANSACTIONS": "SHOW", "show indexes": "SHOW", "EXPLAIN SHOW USERS": "SHOW",
    "TERMINATE TRANSACTIONS 'x'": "TERMINATE", "USE system MATCH (n) RETURN n": "USE", "USE `system` RETURN 1": "USE",
    "CREATE INDEX FOR (n:X) ON (n.id)": "CREATE INDEX", "CREATE OR REPLACE DATABASE x": "CREATE DATABASE",
    "CREATE TEXT INDEX i FOR (n:X) ON (n.y)": "CREATE TEXT", "create constraint c for (n:X) require n.id is unique":
    "CREATE CONSTRAINT", "DROP CONSTRAINT c": "DROP", "ALTER USER x SET PASSWORD 'y'": "ALTER",
    "GRANT ROLE r TO u": "GRANT", "REVOKE ROLE r FROM u": "REVOKE", "DENY READ ON GRAPH * TO r": "DENY",
    "START DATABASE x": "START DATABASE", "stop database x": "STOP DATABASE",
    "WITH 1 AS show WITH show MATCH (n) RETURN n": "backticks: `show`",
}


@pytest.mark.parametrize("query", FORBIDDEN, ids=list(FORBIDDEN))
def test_procedures_commands_and_load_csv_are_refused_with_what_to_do(query) -> None:
    with pytest.raises(ForbiddenCypher) as info:
        check_query(query)
    assert FORBIDDEN[query] in str(info.value)
    assert info.value.status == 403 and info.value.code == "forbidden_cypher"


def test_the_allow_list_is_the_schema_lookups() -> None:
    assert READ_PROCEDURES == {"db.labels", "db.relationshiptypes", "db.propertykeys"}


SEPARATORS = [" ", "\n", "\t", "   ", "\r\n", "\u3000", "\u00a0", "\u2003", "\u180e", "/**/", "/* CALL db.labels() */",
              "// db.labels()\n", " /* ` ' \" */ "]


def _spaced(rng: random.Random, words: list[str]) -> str:
    return "".join(word + rng.choice(SEPARATORS) for word in words)


def _random_case(rng: random.Random, word: str) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)


def _procedure_name(rng: random.Random) -> tuple[list[str], bool]:
    pool = ["dbms", "db", "apoc", "listQueries", "killQuery", "labels", "labelz", "idx", "fulltext", "drop",
            "propertyKeys", "relationshipTypes", "gds", "x"]
    while True:
        parts = [rng.choice(pool) for _ in range(rng.randint(1, 4))]
        if ".".join(parts).lower() not in READ_PROCEDURES:
            return parts, rng.random() < 0.3


def test_no_spacing_comment_or_quoting_lets_another_procedure_through() -> None:
    rng = random.Random(20240611)
    for _ in range(3000):
        parts, quote = _procedure_name(rng)
        names = [f"`{p}`" if quote and rng.random() < 0.6 else p for p in parts]
        words = [rng.choice(["", "MATCH (n) WITH n ", "OPTIONAL ", "UNWIND [1] AS x "]), _random_case(rng, "CALL")]
        for k, name in enumerate(names):
            words += ([name] if k == 0 else [".", name])
        words += ["(", ")", rng.choice(["", "YIELD x RETURN x"])]
        query = _spaced(rng, words)
        with pytest.raises(RejectedCypher):
            check_query(query)


def test_no_spacing_or_comment_hides_a_command() -> None:
    rng = random.Random(7)
    commands = [["SHOW", "TRANSACTIONS"], ["TERMINATE", "TRANSACTIONS", "'x'"], ["USE", "system", "RETURN", "1"],
                ["LOAD", "CSV", "FROM", "'http://x/y'", "AS", "r", "RETURN", "r"], ["CREATE", "INDEX", "i", "FOR"],
                ["CREATE", "OR", "REPLACE", "DATABASE", "d"], ["DROP", "INDEX", "i"], ["START", "DATABASE", "d"],
                ["GRANT", "ROLE", "r", "TO", "u"], ["ALTER", "USER", "u"]]
    for _ in range(2000):
        words = [_random_case(rng, w) if w.isalpha() else w for w in rng.choice(commands)]
        prefix = rng.choice([[], ["EXPLAIN"], ["MATCH", "(n)", "WITH", "n"], ["CALL", "{"]])
        query = _spaced(rng, prefix + words)
        with pytest.raises(ForbiddenCypher):
            check_query(query)


def test_no_spacing_or_case_refuses_an_allowed_procedure() -> None:
    rng = random.Random(11)
    for _ in range(1000):
        name = rng.choice(["db.labels", "db.relationshipTypes", "db.propertyKeys"])
        namespace, _, proc = name.partition(".")
        words = [rng.choice(["", "MATCH (n) WITH n "]), _random_case(rng, "CALL"), namespace, ".", proc, "(", ")"]
        check_query(_spaced(rng, words))


def test_with_writes_commands_run_but_load_csv_reads_local_files_only() -> None:
    check_query("SHOW INDEXES", writes=True)
    check_query("CALL db.idx.fulltext.createNodeIndex('Entity', 'name')", writes=True)
    check_query("LOAD CSV WITH HEADERS FROM 'file:///import/x.csv' AS row RETURN row", writes=True)
    for query in ("LOAD CSV FROM 'https://example.org/x.csv' AS r RETURN r", "LOAD CSV FROM $url AS r RETURN r",
                  "LOAD CSV FROM ' file:///x' AS r RETURN r", "LOAD CSV FROM 'ftp://x/y' AS r RETURN r",
                  "LOAD CSV FROM 'fi' + 'le:///x' AS r RETURN r"):
        with pytest.raises(ForbiddenCypher, match="local file"):
            check_query(query, writes=True)


# -- bounds ----------------------------------------------------------------------------------------
def test_every_shipped_query_is_far_below_every_limit() -> None:
    queries, problems = QueryLibrary().all()
    assert queries and not problems
    for query in queries:
        shape = measure(check_query(query.cypher))
        assert shape.nesting <= bounds.MAX_NESTING // 2 and shape.parse_work <= bounds.MAX_PARSE_WORK // 100
        assert shape.operator_chain <= bounds.MAX_OPERATOR_CHAIN // 20 and shape.clauses <= bounds.MAX_CLAUSES // 5
        assert shape.brackets <= bounds.MAX_BRACKETS // 10 and len(query.cypher) <= bounds.MAX_QUERY_CHARS // 10


def _refused(query: str, params: dict | None = None) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as info:
        check_query(query, params)
    assert info.value.status == 400
    return info.value


def test_too_long_text_is_refused_naming_the_limit_and_the_length() -> None:
    text = "RETURN '" + "x" * bounds.MAX_QUERY_CHARS + "'"
    error = _refused(text)
    assert error.code == "query_too_large"
    assert error.details == {"limit": "MAX_QUERY_CHARS", "maximum": bounds.MAX_QUERY_CHARS, "found": len(text)}


NESTED = {  # each makes a query nested n deep (n even for the last two, whose steps are two levels)
    "parentheses": lambda n: "RETURN " + "(" * n + "1" + ")" * n,
    "lists": lambda n: "RETURN " + "[" * n + "1" + "]" * n,
    "maps": lambda n: "RETURN " + "{a: " * n + "1" + "}" * n,
    "functions": lambda n: "RETURN " + "abs(" * n + "1" + ")" * n,
    "NOT": lambda n: "RETURN " + "NOT " * n + "true",
    "minus": lambda n: "RETURN " + "- " * n + "1",
    "CASE": lambda n: "RETURN " + "CASE WHEN true THEN " * n + "1" + " END" * n,
    "NOT and parentheses": lambda n: "RETURN " + "NOT (" * (n // 2) + "true" + ")" * (n // 2),
    "map values": lambda n: "RETURN " + "{a: -" * (n // 2) + "1" + "}" * (n // 2),
}


@pytest.mark.parametrize("shape", NESTED)
def test_nesting_is_refused_one_step_past_the_limit(shape) -> None:
    deepest, step = bounds.MAX_NESTING, 2 if shape in ("NOT and parentheses", "map values") else 1
    assert measure(tokenize(NESTED[shape](deepest))).nesting == deepest
    check_query(NESTED[shape](deepest))
    error = _refused(NESTED[shape](deepest + step))
    assert error.code == "query_too_deep"
    assert error.details == {"limit": "MAX_NESTING", "maximum": deepest, "found": deepest + step}


@pytest.mark.parametrize(("query", "nesting"), [
    ("MATCH (n) WHERE n.a IS NOT NULL AND n.b IS NOT NULL AND n.c IS NOT NULL RETURN n", 1),
    ("MATCH (n) WHERE NOT n.a AND NOT n.b AND NOT n.c AND NOT n.d RETURN n", 1),
    ("RETURN -1 - -1 - -1 - -1, [-1, -2, -3]", 2),
    ("MATCH (a)<--(b)-->(c)<-[:R]-(d) RETURN a", 3),
    ("RETURN CASE WHEN true THEN 1 END, CASE WHEN false THEN 2 END", 1),
    ("WITH {end: 1, case: 2} AS m RETURN m.case, m.end", 1),
])
def test_nesting_counts_open_levels_only(query, nesting) -> None:
    assert measure(tokenize(query)).nesting == nesting


def test_many_deep_expressions_together_exceed_the_parse_work() -> None:
    one = "[" * 12 + "1" + "]" * 12
    error = _refused("RETURN " + ", ".join([one] * 20))
    assert error.code == "query_too_complex" and error.details["limit"] == "MAX_PARSE_WORK"
    check_query("RETURN " + ", ".join([one] * 2))


@pytest.mark.parametrize(("make", "limit"), [
    (lambda n: "RETURN 1" + " + 1" * n, "MAX_OPERATOR_CHAIN"),
    (lambda n: "RETURN true" + " AND true" * n, "MAX_OPERATOR_CHAIN"),
    (lambda n: "MATCH (s) " + "OPTIONAL MATCH (s)-->() " * (n - 2) + "RETURN s", "MAX_CLAUSES"),
    (lambda n: "MATCH " + ", ".join(f"(a{i})" for i in range(n)) + " RETURN 1", "MAX_BRACKETS"),
])
def test_long_chains_many_clauses_and_many_patterns_are_refused_past_the_limit(make, limit) -> None:
    maximum = getattr(bounds, limit)
    check_query(make(maximum))
    error = _refused(make(maximum + 1))
    assert error.code == "query_too_complex" and error.details == {"limit": limit, "maximum": maximum,
                                                                    "found": maximum + 1}


def test_operator_chains_end_at_commas_and_clauses() -> None:
    half = " + ".join(["1"] * (bounds.MAX_OPERATOR_CHAIN // 2 + 2))
    check_query(f"RETURN {half} AS a, {half} AS b")
    check_query(f"WITH {half} AS a RETURN {half} AS b")


def test_parameters_are_counted_across_nesting() -> None:
    row = [0] * 10_000
    error = _refused("RETURN size($grid)", {"grid": [row] * 10_000})
    assert error.code == "params_too_large" and error.details["limit"] == "MAX_PARAM_VALUES"
    spread = {f"p{i}": list(range(bounds.MAX_PARAM_VALUES // 10)) for i in range(11)}
    assert _refused("RETURN 1", spread).details["limit"] == "MAX_PARAM_VALUES"
    big = "字" * (bounds.MAX_PARAM_BYTES // 6 + 1)
    error = _refused("RETURN 1", {"a": big, "b": big})
    assert error.code == "params_too_large" and error.details["limit"] == "MAX_PARAM_BYTES"
    check_query("RETURN 1", {"a": big, "rows": [row[:100]] * 100})


@pytest.mark.parametrize(("params", "param", "fragment"), [
    ({"x": "a\x00b"}, "x", "U+0000"), ({"x": "bell\x07"}, "x", "U+0007"), ({"x": ["ok", "esc\x1b"]}, "x", "U+001B"),
    ({"x": {"k\x01": 1}}, "x", "a key of x"), ({"x": {"k": "\x0b"}}, "x", "U+000B"),
    ({"x": {"k`": 1}}, "x", "backtick"),
    ({"bad name": 1}, "bad name", "name must be"), ({"x": float("nan")}, "x", "finite"),
    ({"x": [[[[[[[[[[1]]]]]]]]]]}, "x", "nested deeper"),
])
def test_bad_parameter_values_name_the_parameter(params, param, fragment) -> None:
    with pytest.raises(ParamError) as info:
        check_params(params)
    assert info.value.status == 422 and info.value.problems[0]["param"] == param
    assert fragment in info.value.problems[0]["message"]


def test_tab_newline_and_carriage_return_are_allowed_in_parameters() -> None:
    check_params({"x": "a\tb\nc\r\n", "m": {"k\t": "\r"}})


# -- the ecomap cypher command ----------------------------------------------------------------------
@pytest.fixture
def cypher_cli(tmp_path, monkeypatch):
    """``ecomap cypher`` on an empty data dir: refusals happen before any store is opened."""
    monkeypatch.setenv("ECOMAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOMAP_BACKEND", "embedded")
    monkeypatch.setenv("COLUMNS", "200")
    from app.cli import cli

    yield lambda *args: CliRunner().invoke(cli, ["cypher", *args])
    assert not (tmp_path / "falkordb" / "server.pid").exists(), "a refused query started the store"


@pytest.mark.parametrize(("args", "message"), [
    (("CALL dbms.listQueries()",), "dbms.listQueries"),
    (("SHOW TRANSACTIONS",), "Administrative commands"),
    (("LOAD CSV FROM 'file:///etc/passwd' AS r RETURN r",), "LOAD CSV is not allowed"),
    (("--write", "LOAD CSV FROM 'https://example.org/x.csv' AS r RETURN r"), "never fetches from the network"),
    (("RETURN " + "[" * 40 + "1" + "]" * 40,), "nests 40 levels"),
    (("RETURN $x", "-p", "x=a\x01b"), "U+0001"),
    (("RETURN 'open",), "Unterminated string"),
])
def test_cli_refuses_before_touching_the_store(cypher_cli, args, message) -> None:
    result = cypher_cli(*args)
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split())


def test_cli_help_says_what_write_allows(cypher_cli) -> None:
    text = " ".join(cypher_cli("--help").output.split())
    assert "LOAD CSV" in text and "file:///" in text and "administrative" in text.lower()


@pytest.fixture
def store_cli(engine, graph, monkeypatch):
    for name, value in engine.env_for(graph).items():
        monkeypatch.setenv(name, value)
    from app.cli import cli

    return lambda *args: CliRunner().invoke(cli, ["cypher", *args])


def test_cli_runs_allowed_procedures_on_every_engine(store_cli) -> None:
    result = store_cli("--json", "CALL db.labels() YIELD label RETURN count(label) > 0 AS found")
    assert result.exit_code == 0, result.output
    assert '"rows": [[true]]' in result.output
