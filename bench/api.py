"""API benchmark: 1-hop neighbourhoods and one saved query over HTTP, against the same calls made
directly on the GraphStore and the same Cypher on the engine's bare client, on a generated graph
(default 100k nodes / 500k relationships), on each engine in one run.

    python bench/api.py                      # 100k / 500k, FalkorDB and Neo4j
    python bench/api.py --quick              # 2k / 10k, for development
    python bench/api.py --backend neo4j      # one engine only (embedded, or neo4j)

Everything runs on loopback: per engine a private store (the embedded FalkorDB in a temporary data
directory, or a throwaway Neo4j on a free 127.0.0.1 port), uvicorn on 127.0.0.1, and a minimal
keep-alive HTTP/1.1 client (so the load generator costs little CPU on the same cores). Each phase
sends a fixed number of requests and stops early at ``--phase-seconds``; latencies are printed as
p50/p95/p99 with the throughput. Targets: p50 ≤ 5 ms, p99 ≤ 25 ms, ≥ 400 req/s with 16
clients on 2 cores.

Three layers are timed on the same requests: the API (HTTP, FastAPI, JSON), the ``GraphStore`` call
the API makes (``store``), and the exact queries that call sent, recorded and replayed on the bare
``falkordb`` client or ``neo4j`` driver (``driver``): API/store is the web layer's cost, store/driver
the project's own on top of the engine.

16 clients that each send their next request the moment the previous answer arrives keep 16 requests
in flight, so by Little's law their latency is 16 / throughput (at 577 req/s, 28 ms) however fast a
single request is. The latency targets are therefore measured as well with the 16 clients paced to
a combined 400 req/s (``--rate``), next to the saturated run that gives the capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.explore import neighbours  # noqa: E402
from app.query_library import QueryLibrary  # noqa: E402
from app.query_results import run  # noqa: E402
from bench.engines import (  # noqa: E402
    Engine,
    add_engine_options,
    chosen_engines,
    make_engine,
    recording,
    replay,
    run_engines,
    side_by_side,
)
from graph.store import DEFAULT_TIMEOUT_MS, GraphStore  # noqa: E402
from loaders import load_paths  # noqa: E402
from loaders.generate import generate  # noqa: E402

GRAPH = "bench_api"
SAVED_QUERY = "chain_gaps"
"""The planner's 补链 question for one cluster: its chain links and the enterprises in each."""
REQUEST_TIMEOUT_S = 60.0


# -- the graph ----------------------------------------------------------------------------------------
def build_graph(store: GraphStore, files: list[Path]) -> None:
    """The project's synthetic ecosystem (``ecomap generate``), loaded with the project's loader."""
    load_paths(store, files)


# -- measuring ------------------------------------------------------------------------------------------
def pct(latencies: list[float], p: float) -> float:
    ms = sorted(x * 1000 for x in latencies)
    return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]


def summary(latencies: list[float], seconds: float) -> str:
    return (f"n={len(latencies):>6}  p50 {pct(latencies, 50):7.2f} ms  p95 {pct(latencies, 95):7.2f} ms  "
            f"p99 {pct(latencies, 99):7.2f} ms  mean {statistics.fmean(latencies) * 1000:7.2f} ms  "
            f"{len(latencies) / seconds:8.0f} req/s")


def numbers(latencies: list[float], seconds: float) -> dict:
    return {"n": len(latencies), "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99),
            "req_per_s": len(latencies) / seconds}


async def http_phase(port: int, paths: list[str], clients: int, deadline: float,
                     rate: float | None = None) -> tuple[list[float], float, dict[int, int]]:
    """Send every path once over ``clients`` keep-alive connections; latencies per request. No request
    starts after ``deadline`` (``time.monotonic``) and none waits longer than ``REQUEST_TIMEOUT_S``.

    Without ``rate`` each client sends its next request as soon as the previous answer is in (closed
    loop: the server is saturated). With ``rate`` the requests are scheduled at that combined rate and
    a latency counts from the scheduled time, so a slow answer also charges the requests queued behind
    it (no coordinated omission)."""
    latencies: list[float] = []
    statuses: dict[int, int] = defaultdict(int)
    queue = list(reversed(list(enumerate(paths))))
    start = time.perf_counter() + 0.05

    async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
        await reader.readexactly(length)
        return int(lines[0].split()[1])

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue and time.monotonic() < deadline:
                i, path = queue.pop()
                t0 = time.perf_counter()
                if rate is not None:
                    t0 = start + i / rate
                    await asyncio.sleep(max(0.0, t0 - time.perf_counter()))
                status = await asyncio.wait_for(exchange(reader, writer, path), REQUEST_TIMEOUT_S)
                latencies.append(time.perf_counter() - t0)
                statuses[status] += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - t0, dict(statuses)


def direct_phase(calls: list[Callable[[], object]], threads: int, deadline: float) -> tuple[list[float], float]:
    """Each call once, on ``threads`` threads; calls not started by ``deadline`` are skipped."""
    latencies: list[float] = []

    def timed(call) -> None:
        if time.monotonic() >= deadline:
            return
        t0 = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    if threads == 1:
        for call in calls:
            timed(call)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(timed, calls))
    return latencies, time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(engine: Engine, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, **engine.app_env(GRAPH), "ECOMAP_API_KEYS": ""}
    cmd = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the API server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=500_000)
    parser.add_argument("--quick", action="store_true", help="2,000 nodes / 10,000 relationships, fewer requests")
    parser.add_argument("--requests", type=int, default=None, help="requests per phase (default 5000; quick 1000)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--rate", type=float, default=400.0, help="combined request rate of the paced phase")
    parser.add_argument("--phase-seconds", type=float, default=300.0, help="a phase stops sending after this long")
    parser.add_argument("--seed", type=int, default=7)
    add_engine_options(parser)
    args = parser.parse_args()
    names = chosen_engines(args)
    if args.quick:
        args.nodes, args.edges = 2_000, 10_000
    args.n_requests = args.requests or (1000 if args.quick else 5000)

    work = Path(tempfile.mkdtemp(prefix="ecomap-bench-api-"))
    try:
        out = work / "generated"
        files = sorted(generate(args.nodes, args.edges, args.seed, out, "csv").files)

        def run_one(name: str) -> dict:
            with make_engine(name, args, data_dir=work / "data", quick=args.quick) as engine:
                return bench_engine(engine, files, args)

        results, failures = run_engines(names, run_one)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, r in results.items():
        if r["problems"]:
            failures[name] = "; ".join(r["problems"])
    print_side_by_side(results, failures, args)
    sys.exit(1 if failures else 0)


def bench_engine(engine: Engine, files: list[Path], args: argparse.Namespace) -> dict:
    result: dict = {"problems": []}
    t0 = time.perf_counter()
    build_graph(engine.fresh(GRAPH), files)
    # The store measured directly is set up as the API's own: default time limit and row cap.
    store = engine.store(GRAPH, timeout_ms=DEFAULT_TIMEOUT_MS)
    stats = store.stats()
    result["load_s"] = time.perf_counter() - t0
    result["graph"] = (stats.nodes, stats.relationships)
    print(f"graph: {stats.nodes} nodes, {stats.relationships} relationships (ecomap load of the files "
          f"generated once for every engine) in {result['load_s']:.1f} s")

    # Sorted, so that both engines are asked about the same entities.
    rng = random.Random(args.seed)
    ids = sorted(row[0] for row in store.read("MATCH (n:Entity) RETURN n.id", row_cap=10_000_000).rows)
    clusters = sorted(row[0] for row in store.read("MATCH (n:Cluster) RETURN n.id", row_cap=10_000_000).rows)
    n = args.n_requests
    centres = [rng.choice(ids) for _ in range(n)]
    anchors = [rng.choice(clusters) for _ in range(n)]
    query = QueryLibrary().get(SAVED_QUERY)
    neighbour_paths = [f"/api/entities/{quote(i)}/neighbors?depth=1" for i in centres]
    query_paths = [f"/api/queries/{SAVED_QUERY}/run?{urlencode({'cluster': c})}" for c in anchors]
    direct = engine.direct(GRAPH)

    def direct_neighbours(i: str):
        return lambda: neighbours(store, i, depth=1, limit=200)

    def direct_query(c: str):
        return lambda: run(store, query, query.bind({"cluster": c}, from_text=True), limit=1000)

    port = free_port()
    proc = start_server(engine, port, args.workers)
    try:
        print(f"API: uvicorn, {args.workers} worker(s), 127.0.0.1:{port}; {os.cpu_count()} CPU(s); "
              f"{n} requests per phase\n")
        for label, paths, calls in (("neighbors?depth=1", neighbour_paths, [direct_neighbours(i) for i in centres]),
                                    (f"saved query {SAVED_QUERY}", query_paths, [direct_query(c) for c in anchors])):
            result[label] = measure(label, paths, calls, store, direct, port, args, result["problems"])
    finally:
        stop_server(proc)

    paced = result["neighbors?depth=1"]["paced"]
    capacity = result["neighbors?depth=1"]["api16"]["req_per_s"]
    print(f"targets (neighbors?depth=1, {args.clients} clients): capacity {capacity:.0f} req/s (≥ 400); "
          f"at {args.rate:.0f} req/s p50 {paced['p50_ms']:.2f} ms (≤ 5), p99 {paced['p99_ms']:.2f} ms (≤ 25)")
    return result


def measure(label: str, paths: list[str], calls: list[Callable[[], object]], store: GraphStore, direct, port: int,
            args: argparse.Namespace, problems: list[str]) -> dict:
    clients = args.clients

    def phase_deadline() -> float:
        return time.monotonic() + args.phase_seconds

    # The queries each store call sends, to be replayed on the bare client (this pass also warms the store).
    per_call: list[list] = []
    with recording(store) as sent:
        for call in calls:
            mark = len(sent)
            call()
            per_call.append(sent[mark:])
    driver_calls = [lambda c=c: replay(direct, c) for c in per_call]

    warm = max(50, len(paths) // 20)
    asyncio.run(http_phase(port, paths[:warm], clients, phase_deadline()))  # warm caches and connections
    api1, t_api1, _ = asyncio.run(http_phase(port, paths, 1, phase_deadline()))
    api16, t_api16, statuses = asyncio.run(http_phase(port, paths, clients, phase_deadline()))
    paced, t_paced, _ = asyncio.run(http_phase(port, paths, clients, phase_deadline(), rate=args.rate))
    store1, t_store1 = direct_phase(calls, 1, phase_deadline())
    store16, t_store16 = direct_phase(calls, clients, phase_deadline())
    driver1, t_driver1 = direct_phase(driver_calls, 1, phase_deadline())
    driver16, t_driver16 = direct_phase(driver_calls, clients, phase_deadline())

    bad = {code: count for code, count in statuses.items() if code != 200}
    if bad:
        problems.append(f"{label}: HTTP statuses other than 200: {bad}")
    print(f"{label}   (HTTP statuses {statuses}; {len(per_call[0]) if per_call else 0} store query per call)")
    print(f"  API     1 client   {summary(api1, t_api1)}")
    print(f"  API    {clients} clients  {summary(api16, t_api16)}   (saturated)")
    over = "; above the capacity measured: the queue only grows" if args.rate > len(api16) / t_api16 else ""
    print(f"  API    {clients} clients  {summary(paced, t_paced)}   (paced at {args.rate:.0f} req/s{over})")
    print(f"  store   1 thread   {summary(store1, t_store1)}")
    print(f"  store  {clients} threads  {summary(store16, t_store16)}")
    print(f"  driver  1 thread   {summary(driver1, t_driver1)}")
    print(f"  driver {clients} threads  {summary(driver16, t_driver16)}")
    for name, got in (("API 1", api1), ("API 16", api16), ("paced", paced), ("store 1", store1),
                      ("store 16", store16), ("driver 1", driver1), ("driver 16", driver16)):
        if len(got) < len(paths):
            print(f"  ({name}: stopped after {args.phase_seconds:.0f} s with {len(got)} of {len(paths)} requests)")
    r = {"api1": numbers(api1, t_api1), "api16": numbers(api16, t_api16), "paced": numbers(paced, t_paced),
         "store1": numbers(store1, t_store1), "store16": numbers(store16, t_store16),
         "driver1": numbers(driver1, t_driver1), "driver16": numbers(driver16, t_driver16)}
    r["api/store p50"] = statistics.median(api1) / statistics.median(store1)
    r["api/store req/s"] = r["api16"]["req_per_s"] / r["store16"]["req_per_s"]
    r["store/driver p50"] = statistics.median(store1) / statistics.median(driver1)
    r["store/driver req/s"] = r["store16"]["req_per_s"] / r["driver16"]["req_per_s"]
    print(f"  overhead ratio (p50, 1 client): API / store {r['api/store p50']:.2f}×, store / driver "
          f"{r['store/driver p50']:.2f}×   throughput ratio ({clients} clients): API / store "
          f"{r['api/store req/s']:.2f}, store / driver {r['store/driver req/s']:.2f}\n")
    return r


def print_side_by_side(results: dict[str, dict], failures: dict[str, str], args: argparse.Namespace) -> None:
    def lat(label: str, key: str) -> Callable[[dict], str]:
        return lambda r: f"{r[label][key]['p50_ms']:.2f} / {r[label][key]['p99_ms']:.2f} ms"

    def rps(label: str, key: str) -> Callable[[dict], str]:
        return lambda r: f"{r[label][key]['req_per_s']:,.0f} req/s"

    def ratio(label: str, key: str) -> Callable[[dict], str]:
        return lambda r: f"{r[label][key]:.2f}×"

    c = args.clients
    rows = [("graph (nodes / relationships)", lambda r: f"{r['graph'][0]:,} / {r['graph'][1]:,}"),
            ("load (ecomap load)", lambda r: f"{r['load_s']:.1f} s")]
    for label in ("neighbors?depth=1", f"saved query {SAVED_QUERY}"):
        rows += [
            (label, None),
            ("  API 1 client p50 / p99", lat(label, "api1")),
            (f"  API {c} clients saturated", rps(label, "api16")),
            (f"  API {c} clients saturated p50 / p99", lat(label, "api16")),
            (f"  API {c} clients paced at {args.rate:.0f} req/s p50 / p99", lat(label, "paced")),
            ("  store 1 thread p50 / p99", lat(label, "store1")),
            (f"  store {c} threads", rps(label, "store16")),
            ("  driver 1 thread p50 / p99", lat(label, "driver1")),
            (f"  driver {c} threads", rps(label, "driver16")),
            ("  API / store, p50 1 client", ratio(label, "api/store p50")),
            (f"  API / store, req/s {c} clients", ratio(label, "api/store req/s")),
            ("  store / driver, p50 1 thread", ratio(label, "store/driver p50")),
            (f"  store / driver, req/s {c} threads", ratio(label, "store/driver req/s")),
        ]
    first = next(iter(results.values()), None)
    size = f"{args.nodes:,} nodes / {args.edges:,} relationships requested" if first else "no engine finished"
    side_by_side(f"API benchmark, side by side ({size}; {args.n_requests} requests per phase)", rows, results,
                 failures)


if __name__ == "__main__":
    main()
