"""POST /api/load: the same validation and all-or-nothing behaviour as `ecomap load`."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import tempfile
from collections.abc import Iterable

import pytest

from app.main import create_app
from app.routes.load import MAX_FILES
from app.settings import load_settings
from loaders.problems import MAX_PROBLEMS
from tests.api_helpers import TestClient, auth, fingerprint, keys_setting, make_client
from tests.conftest import fresh_graph_name

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


# -- limits that hold before any work is done ---------------------------------------------------------
CAP = 1 << 20
BOUNDARY = "test-boundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
PART_HEAD = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="big.csv"\r\n'
             "Content-Type: text/csv\r\n\r\n").encode()


def capped_client(store, tmp_path, max_upload_bytes: int = CAP) -> TestClient:
    settings = load_settings(backend="embedded", data_dir=tmp_path, graph=fresh_graph_name(),
                             api_keys_raw=keys_setting(), max_upload_bytes=max_upload_bytes)
    return TestClient(create_app(settings, store=store))


def endless_body() -> Iterable[bytes]:
    """A multipart body whose one file never ends, in chunks of 64 KiB."""
    return itertools.chain([PART_HEAD], itertools.repeat(b"type,id,name\n" * 5041))


def post_stream(app, headers: dict[str, str], body: Iterable[bytes]) -> tuple[int, bytes, int]:
    """POST /api/load straight to the ASGI app, the body sent chunk by chunk (no Content-Length unless
    ``headers`` give one); the status, the response body and how many body bytes the app read."""
    consumed = 0
    messages: list[dict] = []
    chunks = iter(body)

    async def receive() -> dict:
        nonlocal consumed
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        consumed += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict) -> None:
        messages.append(message)

    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": "/api/load", "raw_path": b"/api/load",
             "root_path": "", "scheme": "http", "query_string": b"", "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80), "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    body_bytes = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return messages[0]["status"], body_bytes, consumed


@pytest.mark.parametrize(("key", "status"), [(None, 401), ("not-a-valid-key", 401), ("viewer", 403),
                                             ("analyst", 403)])
def test_an_upload_is_refused_before_its_body_is_read_without_an_editor_key(store, tmp_path, monkeypatch, key,
                                                                          status) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    client = capped_client(store, tmp_path)
    headers = dict(MULTIPART)
    if key is not None:
        headers.update(auth(key) if key in ("viewer", "analyst") else {"X-API-Key": key})
    code, body, consumed = post_stream(client.app, headers, endless_body())
    assert code == status and json.loads(body)["error"]["code"] in ("unauthorized", "forbidden")
    assert consumed == 0  # the body (endless here) was never read
    assert list(spool.iterdir()) == []  # and nothing was written


def test_a_body_over_the_cap_is_refused_as_soon_as_it_passes_it(store, tmp_path, monkeypatch) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    client = capped_client(store, tmp_path)
    before = fingerprint(store)
    code, body, consumed = post_stream(client.app, {**MULTIPART, **auth("editor")}, endless_body())
    assert code == 413
    error = json.loads(body)["error"]
    assert error["code"] == "payload_too_large" and f"{CAP} bytes" in error["message"]
    assert CAP < consumed <= CAP + 65_536  # reading stopped at the first chunk past the cap
    assert list(spool.iterdir()) == []  # the partial file went with its temporary folder
    code, _, consumed = post_stream(client.app, {**MULTIPART, **auth("editor"), "content-length": str(2 << 30)},
                                    endless_body())
    assert (code, consumed) == (413, 0)  # a declared length over the cap: refused before reading
    assert fingerprint(store) == before


def test_the_cap_counts_all_the_files_of_an_upload(store, tmp_path) -> None:
    client = capped_client(store, tmp_path)
    half = "type,id,name\n" + "x" * (CAP // 2)
    before = fingerprint(store)
    r = upload(client, ("a.csv", half), ("b.csv", half))
    assert r.status_code == 413
    assert upload(client, ("a.csv", half)).status_code == 422  # one alone is under the cap (and bad data)
    assert fingerprint(store) == before


def test_an_upload_holds_a_bounded_number_of_files(client, store) -> None:
    files = [(f"f{i}.json", json.dumps(GOOD)) for i in range(MAX_FILES + 1)]
    before = fingerprint(store)
    r = upload(client, *files)
    assert r.status_code == 422 and r.json()["error"]["code"] == "too_many_files"
    assert f"at most {MAX_FILES} files" in r.json()["error"]["message"]
    assert fingerprint(store) == before


def test_a_body_that_is_not_a_whole_multipart_form_of_files_is_refused(client, store) -> None:
    editor = auth("editor")
    r = client.post("/api/load", content=json.dumps(GOOD), headers={**editor, "content-type": "application/json"})
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    whole = PART_HEAD + b"type,id,name\n" + f"\r\n--{BOUNDARY}--\r\n".encode()
    r = client.post("/api/load", content=whole[:-30], headers={**editor, **MULTIPART})
    assert r.status_code == 400 and "closing boundary" in r.json()["error"]["message"]
    r = client.post("/api/load", data={"comment": "x"}, files=[("files", ("g.json", b"{}"))], headers=editor)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unexpected_field"
    r = client.post("/api/load", content=f"--{BOUNDARY}--\r\n".encode(), headers={**editor, **MULTIPART})
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_files"


def test_a_million_column_csv_gets_a_small_answer_that_counts_every_problem(client, store) -> None:
    columns = 1_000_000
    wide = "type,id,name," + ",".join(f"c{i}" for i in range(columns)) + "\nEnterprise,ent-wide,宽" + "," * columns
    before = fingerprint(store)
    r = upload(client, ("wide.csv", wide))
    assert r.status_code == 422
    error = r.json()["error"]
    assert len(r.content) < 250_000, len(r.content)  # 1,000 problems, not a million
    assert (error["total"], error["omitted"], len(error["details"])) == (columns, columns - MAX_PROBLEMS,
                                                                           MAX_PROBLEMS)
    assert f"rejected with {columns:,} problem(s); the first {MAX_PROBLEMS:,} are listed" in error["message"]
    assert error["details"][0] == {"file": "wide.csv", "row": 1, "column": "c0",
                                   "reason": "unknown column 'c0': not a field of any node or relationship type"}
    assert fingerprint(store) == before


def test_the_openapi_document_describes_the_multipart_body(client) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/load"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["files"]
    assert schema["properties"]["files"]["items"] == {"type": "string", "format": "binary"}
    assert {"413", "415", "422"} <= set(operation["responses"])
