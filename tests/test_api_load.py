"""POST /api/load: the same validation and all-or-nothing behaviour as `ecomap load`."""

from __future__ import annotations

import io
import json

import pytest

from tests.api_helpers import auth, fingerprint, keys_setting, make_client

pytest_plugins = ["tests.api_fixtures"]

GOOD = {"nodes": [{"type": "Cluster", "id": "cl-upload", "name": "上传的集群", "liuxin": ["新材料"]},
                  {"type": "Enterprise", "id": "ent-upload", "name": "上传的企业"}],
        "relationships": [{"type": "MEMBER_OF", "start": "ent-upload", "end": "cl-upload"}]}
BAD_CSV = "type,id,name\nCluster,Bad Id With Spaces,坏的\nEnterprise,,没有编号\n"


@pytest.fixture
def client(store, tmp_path):
    return make_client(store, tmp_path, keys_setting())


def upload(client, *files, dry_run=False):
    parts = [("files", (name, io.BytesIO(content.encode()), "application/octet-stream")) for name, content in files]
    return client.post("/api/load", files=parts, params={"dry_run": dry_run}, headers=auth("editor"))


def test_upload_loads_the_file_and_reports_what_changed(client, store) -> None:
    r = upload(client, ("graph.json", json.dumps(GOOD, ensure_ascii=False)))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["files"] == ["graph.json"] and body["dry_run"] is False
    assert "tmp" not in json.dumps(body["summary"])  # file names, not server paths
    rows = store.read("MATCH (e:Entity {id: 'ent-upload'})-[r:MEMBER_OF]->(c:Cluster) RETURN c.name").rows
    assert rows == [["上传的集群"]]
    again = upload(client, ("graph.json", json.dumps(GOOD, ensure_ascii=False)))
    assert again.status_code == 200  # idempotent


def test_dry_run_changes_nothing(client, store) -> None:
    before = fingerprint(store)
    r = upload(client, ("graph.json", json.dumps(GOOD)), dry_run=True)
    assert r.status_code == 200 and r.json()["dry_run"] is True
    assert fingerprint(store) == before


def test_a_bad_file_rejects_the_whole_upload_with_every_problem(client, store) -> None:
    before = fingerprint(store)
    r = upload(client, ("graph.json", json.dumps(GOOD)), ("bad.csv", BAD_CSV))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "load_rejected" and len(error["details"]) >= 2
    for problem in error["details"]:
        assert problem["file"] == "bad.csv" and problem["row"] and problem["reason"]
    assert fingerprint(store) == before


@pytest.mark.parametrize(("name", "content"), [("notes.txt", "hello"), ("../../etc/passwd.exe", "x")])
def test_unsupported_files_are_refused(client, store, name, content) -> None:
    r = upload(client, (name, content))
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsupported_file"


def test_the_same_file_twice_is_refused(client) -> None:
    r = upload(client, ("a.json", json.dumps(GOOD)), ("a.json", json.dumps(GOOD)))
    assert r.status_code == 422 and r.json()["error"]["code"] == "duplicate_file"
