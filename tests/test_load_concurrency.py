"""One writer at a time: the graph's write lock, loads started together (two processes, two
threads without the lock), and ``ecomap check`` / ``ecomap repair`` for duplicates left by older
versions. On both engines."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import networkx as nx
import pytest

from graph.errors import WriteLocked
from graph.factory import open_store
from graph.store import GraphStore
from graph.write_lock import holding_write_lock
from loaders import load_paths
from loaders.generate import generate
from loaders.integrity import duplicate_relationships, remove_duplicate_relationships
from tests.api_helpers import auth, keys_setting, make_client, to_nx

NODES, EDGES = 1_500, 6_000


@pytest.fixture(scope="module")
def ecosystem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("concurrent-data")
    generate(NODES, EDGES, seed=7, out_dir=out)
    return out


@pytest.fixture(scope="module")
def reference(engine, ecosystem: Path) -> nx.MultiDiGraph:
    """The graph one load alone leaves."""
    with engine.graph() as store:
        load_paths(store, [ecosystem])
        return to_nx(store)


def _same_graph(store: GraphStore, reference: nx.MultiDiGraph) -> None:
    got = to_nx(store)
    assert got.number_of_edges() == reference.number_of_edges()
    assert dict(got.degree()) == dict(reference.degree())
    assert sorted(got.edges(keys=True)) == sorted(reference.edges(keys=True))
    assert duplicate_relationships(store) == []


# -- the lock ------------------------------------------------------------------------------------
def test_the_write_lock_has_one_holder_and_says_who(store: GraphStore) -> None:
    assert store.take_write_lock("first", "ecomap load by ana@host, pid 1", 10_000) is None
    holder = store.take_write_lock("second", "ecomap load by bo@host, pid 2", 10_000)
    assert holder is not None and holder.owner == "ecomap load by ana@host, pid 1"
    assert abs(holder.since - time.time()) < 60
    assert store.renew_write_lock("first", 10_000) and not store.renew_write_lock("second", 10_000)
    store.release_write_lock("second")  # not the holder: changes nothing
    assert store.take_write_lock("second", "bo", 10_000) is not None
    store.release_write_lock("first")
    assert store.take_write_lock("second", "bo", 10_000) is None
    store.release_write_lock("second")


def test_writers_claiming_the_lock_at_once_from_separate_connections_get_one_holder(engine, store) -> None:
    claimants = [open_store(engine.config(store)) for _ in range(8)]
    start, results = threading.Barrier(len(claimants)), {}

    def claim(i: int, other: GraphStore) -> None:
        start.wait()
        results[i] = other.take_write_lock(f"token-{i}", f"writer {i}", 10_000)

    threads = [threading.Thread(target=claim, args=(i, c)) for i, c in enumerate(claimants)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, holder in results.items() if holder is None]
    assert len(winners) == 1 and len(results) == len(claimants)
    assert {h.owner for h in results.values() if h is not None} <= {f"writer {winners[0]}"}
    store.release_write_lock(f"token-{winners[0]}")
    for c in claimants:
        c.close()


def test_a_crashed_holder_loses_the_lock_when_its_lease_runs_out(store: GraphStore) -> None:
    assert store.take_write_lock("crashed", "gone", 300) is None
    assert store.take_write_lock("next", "me", 10_000) is not None
    time.sleep(0.6)
    assert store.take_write_lock("next", "me", 10_000) is None
    store.release_write_lock("next")


def test_a_second_writer_told_not_to_wait_fails_naming_the_first(store: GraphStore) -> None:
    with holding_write_lock(store, "the first load"):
        with pytest.raises(WriteLocked) as info:
            with holding_write_lock(store, "the second load"):
                pytest.fail("two writers held the lock")
    assert "the first load" in info.value.message and "nothing was changed" in info.value.message
    with holding_write_lock(store, "the second load"):  # free again once the first is done
        pass


def test_a_waiting_load_goes_ahead_once_the_first_finishes(store: GraphStore) -> None:
    waited, done = [], threading.Event()

    def first() -> None:
        with holding_write_lock(store, "the first load"):
            time.sleep(1.5)
        done.set()

    t = threading.Thread(target=first)
    t.start()
    time.sleep(0.3)
    with holding_write_lock(store, "the second load", wait_s=30, on_wait=waited.append):
        assert done.is_set()
    t.join()
    assert [h.owner for h in waited] == ["the first load"]


# -- loads at the same time ---------------------------------------------------------------------
def test_two_load_processes_at_once_leave_one_set_of_relationships(store: GraphStore, store_env: dict,
                                                                   ecosystem: Path, reference) -> None:
    """Both are started while a third writer holds the lock, so both wait; when it lets go they race."""
    with holding_write_lock(store, "a load elsewhere"):
        procs = [subprocess.Popen([sys.executable, "-m", "app.cli", "load", str(ecosystem), "--wait", "300"],
                                  env=store_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        told = [p.stderr.readline() for p in procs]  # each says it waits, then blocks
    assert all("waiting for another load" in line and "a load elsewhere" in line for line in told), told
    outcomes = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    methods = sorted(re.search(r"loaded \((\w+)\)", out)[1] for _, out, _ in outcomes)
    assert methods[0] in ("bulk", "create") and methods[1] == "none", methods  # the second found it all there
    _same_graph(store, reference)


def test_a_second_load_process_told_not_to_wait_fails_clearly(store: GraphStore, store_env: dict,
                                                              ecosystem: Path) -> None:
    with holding_write_lock(store, "a load elsewhere"):
        done = subprocess.run([sys.executable, "-m", "app.cli", "load", str(ecosystem), "--wait", "0"],
                              env=store_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr
    assert "a load elsewhere" in done.stderr and "nothing was changed" in done.stderr
    assert store.is_empty()


def test_loads_interleaved_without_the_lock_still_create_no_duplicate(store: GraphStore, ecosystem: Path,
                                                                      reference, monkeypatch) -> None:
    """Relationships are merged by (start, type, end): even writers that skip the lock cannot
    duplicate one. (A graph that is not empty: building an empty one at once needs the lock.)"""
    import loaders.load as load_module

    store.write("CREATE (:Entity:Region {id: 'region-seed', name: '某地'})")
    monkeypatch.setattr(load_module, "holding_write_lock", lambda *a, **k: nullcontext())
    errors = []

    def one_load() -> None:
        try:
            load_paths(store, [ecosystem], batch_size=500)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_load) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    store.write("MATCH (n:Entity {id: 'region-seed'}) DETACH DELETE n")
    _same_graph(store, reference)


# -- check and repair -----------------------------------------------------------------------------
def test_check_finds_and_repair_removes_duplicates(store: GraphStore, store_env: dict, ecosystem: Path,
                                                   reference) -> None:
    load_paths(store, [ecosystem])
    pairs = store.read("MATCH (a:Entity)-[r:COLLABORATES_WITH]->(b:Entity) RETURN a.id, b.id LIMIT 5").rows
    assert pairs
    store.write("UNWIND $rows AS row MATCH (a:Entity {id: row[0]}), (b:Entity {id: row[1]}) "
                "CREATE (a)-[:COLLABORATES_WITH]->(b)", {"rows": pairs})
    found = subprocess.run([sys.executable, "-m", "app.cli", "check"], env=store_env, capture_output=True,
                           text=True, timeout=120)
    assert found.returncode == 1 and "5 pairs hold 5 relationships too many" in found.stdout, found.stdout
    assert {(d.start, d.end, d.count) for d in duplicate_relationships(store)} == {(a, b, 2) for a, b in pairs}
    repaired = subprocess.run([sys.executable, "-m", "app.cli", "repair"], env=store_env, capture_output=True,
                              text=True, timeout=120)
    assert repaired.returncode == 0 and "removed 5 duplicate relationships" in repaired.stdout, repaired.stderr
    clean = subprocess.run([sys.executable, "-m", "app.cli", "check"], env=store_env, capture_output=True,
                           text=True, timeout=120)
    assert clean.returncode == 0 and "no duplicate relationships" in clean.stdout
    _same_graph(store, reference)
    assert remove_duplicate_relationships(store, "again") == 0


# -- uploads at the same time -----------------------------------------------------------------------
def _upload(client, folder: Path) -> object:
    parts = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(folder.glob("*.csv"))]
    return client.post("/api/load", files=parts, headers=auth("editor"))


def test_two_uploads_at_once_leave_one_set_of_relationships(store: GraphStore, ecosystem: Path, reference,
                                                            tmp_path: Path) -> None:
    client = make_client(store, tmp_path, keys_setting())
    start, answers = threading.Barrier(2), []

    def upload() -> None:
        start.wait()
        answers.append(_upload(client, ecosystem))

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers)[0] == 200, [a.text[:300] for a in answers]
    for answer in answers:
        if answer.status_code != 200:  # the other one: refused while the first wrote, nothing changed
            assert answer.status_code in (409, 429) and answer.headers["Retry-After"], answer.text
    _same_graph(store, reference)


def test_an_upload_while_another_load_writes_is_refused_at_once_and_changes_nothing(
        store: GraphStore, ecosystem: Path, tmp_path: Path) -> None:
    client = make_client(store, tmp_path, keys_setting())
    with holding_write_lock(store, "ecomap load by ana@planning, pid 4242"):
        started = time.monotonic()
        answer = _upload(client, ecosystem)
    assert answer.status_code == 409 and answer.headers["Retry-After"]
    error = answer.json()["error"]
    assert error["code"] == "write_locked" and "ana@planning" in error["message"]
    assert time.monotonic() - started < 30 and store.is_empty()
