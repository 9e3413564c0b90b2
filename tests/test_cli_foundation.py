"""The ``ecomap`` command: help, doctor, cypher (table, JSON, read-only refusal), configuration errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.fixture
def run(store_env: dict[str, str]):
    def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
        full_env = {**store_env, "COLUMNS": "200", **env}
        return subprocess.run([sys.executable, "-m", "app.cli", *args], env=full_env, capture_output=True,
                              text=True, timeout=120)

    return _run


def test_help_lists_the_commands(run) -> None:
    out = run("--help")
    assert out.returncode == 0
    for command in ("doctor", "cypher", "store", "serve"):
        assert command in out.stdout


def test_doctor_is_green_on_a_working_setup(run) -> None:
    out = run("doctor")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("✔") >= 3 and "✘" not in out.stdout


def test_doctor_is_red_and_says_what_to_do(run) -> None:
    out = run("doctor", ECOMAP_BACKEND="neo4j", NEO4J_URI="")
    assert out.returncode == 1
    assert "✘" in out.stdout and "NEO4J_URI" in out.stdout


def test_invalid_configuration_names_the_variable(run) -> None:
    out = run("cypher", "RETURN 1", ECOMAP_PORT="eighty")
    assert out.returncode == 2
    assert "ECOMAP_PORT" in out.stderr


def test_cypher_table_and_json(run) -> None:
    created = run("cypher", "--write", "-p", "name=太钢集团", "-p", "n=3",
                  "CREATE (e:Entity:Enterprise {id: 'tg', name: $name, n: $n}) RETURN e.name")
    assert created.returncode == 0, created.stderr
    table = run("cypher", "MATCH (e:Enterprise) RETURN e.id, e.name, e.n")
    assert table.returncode == 0 and "太钢集团" in table.stdout and "1 row(s)" in table.stdout
    as_json = json.loads(run("cypher", "--json", "MATCH (e:Enterprise) RETURN e, e.n").stdout)
    assert as_json["columns"] == ["e", "e.n"]
    node, n = as_json["rows"][0]
    assert node["kind"] == "node" and node["id"] == "tg" and node["properties"]["name"] == "太钢集团"
    assert n == 3


def test_cypher_is_read_only_without_write(run) -> None:
    refused = run("cypher", "CREATE (:Entity:Enterprise {id: 'sneaky', name: 'x'})")
    assert refused.returncode != 0 and "read-only" in refused.stderr
    count = json.loads(run("cypher", "--json", "MATCH (n:Entity) RETURN count(n)").stdout)
    assert count["rows"] == [[0]]


def test_cypher_syntax_error_gives_position(run) -> None:
    out = run("cypher", "MATCH (n RETURN n")
    assert out.returncode == 1 and "line 1, column" in out.stderr


def test_cypher_warns_about_a_label_the_ontology_does_not_define(run) -> None:
    run("cypher", "--write", "CREATE (:Entity:Enterprise {id: 'tg', name: '太钢集团'})")
    out = run("cypher", "--json", "MATCH (e:Enterprize) RETURN count(e)")
    assert out.returncode == 0, out.stderr
    assert "Enterprize" in out.stderr and "Enterprise" in out.stderr
    body = json.loads(out.stdout)
    assert body["rows"] == [[0]]
    assert [(w["name"], w["suggestion"]) for w in body["warnings"]] == [("Enterprize", "Enterprise")]
    known = run("cypher", "--json", "MATCH (e:Enterprise) RETURN count(e)")
    assert known.stderr == "" and "warnings" not in json.loads(known.stdout)
