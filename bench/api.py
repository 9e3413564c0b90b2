"""API benchmark: 1-hop neighbourhoods and one saved query over HTTP, against the same calls made
directly on the GraphStore, on a generated graph (default 100k nodes / 500k relationships).

    python bench/api.py            # 100k / 500k
    python bench/api.py --quick    # 2k / 10k, for development

Everything runs on loopback: a private embedded store in a temporary data directory, uvicorn on
127.0.0.1, and a minimal keep-alive HTTP/1.1 client (so the load generator costs little CPU on the
same cores). Each phase sends a fixed number of requests; latencies are printed as p50/p95/p99 with
the throughput. Targets (DESIGN §7): p50 ≤ 5 ms, p99 ≤ 25 ms, ≥ 400 req/s with 16 clients on 2 cores.

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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.explore import neighbours  # noqa: E402
from app.saved_queries import QueryLibrary, run  # noqa: E402
from graph.embedded import EmbeddedServer  # noqa: E402
from graph.falkor import FalkorStore  # noqa: E402
from graph.store import GraphStore  # noqa: E402
from loaders import load_paths  # noqa: E402
from loaders.generate import generate  # noqa: E402

GRAPH = "bench_api"
SAVED_QUERY = "chain_gaps"
"""The planner's 补链 question for one cluster: its chain links and the enterprises in each."""


# -- the graph ----------------------------------------------------------------------------------------
def build_graph(store: GraphStore, n_nodes: int, n_edges: int, seed: int, work: Path) -> None:
    """The project's synthetic ecosystem (``ecomap generate``), loaded with the project's loader."""
    out = work / "generated"
    generate(n_nodes, n_edges, seed, out, "csv")
    load_paths(store, sorted(p for p in out.rglob("*") if p.is_file()))


# -- measuring ------------------------------------------------------------------------------------------
def summary(latencies: list[float], seconds: float) -> str:
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]

    return (f"n={len(ms):>6}  p50 {pct(50):7.2f} ms  p95 {pct(95):7.2f} ms  p99 {pct(99):7.2f} ms  "
            f"mean {statistics.fmean(ms):7.2f} ms  {len(ms) / seconds:8.0f} req/s")


async def http_phase(port: int, paths: list[str], clients: int,
                     rate: float | None = None) -> tuple[list[float], float, dict[int, int]]:
    """Send every path once over ``clients`` keep-alive connections; latencies per request.

    Without ``rate`` each client sends its next request as soon as the previous answer is in (closed
    loop: the server is saturated). With ``rate`` the requests are scheduled at that combined rate and
    a latency counts from the scheduled time, so a slow answer also charges the requests queued behind
    it (no coordinated omission)."""
    latencies: list[float] = []
    statuses: dict[int, int] = defaultdict(int)
    queue = list(reversed(list(enumerate(paths))))
    start = time.perf_counter() + 0.05

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue:
                i, path = queue.pop()
                t0 = time.perf_counter()
                if rate is not None:
                    t0 = start + i / rate
                    await asyncio.sleep(max(0.0, t0 - time.perf_counter()))
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                length = next(int(line.split(":", 1)[1]) for line in lines
                              if line.lower().startswith("content-length:"))
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                statuses[int(lines[0].split()[1])] += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - t0, dict(statuses)


def direct_phase(calls: list, threads: int) -> tuple[list[float], float]:
    latencies: list[float] = []

    def timed(call) -> None:
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


def start_server(data_dir: Path, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "ECOMAP_BACKEND": "embedded", "ECOMAP_DATA_DIR": str(data_dir), "ECOMAP_GRAPH": GRAPH,
           "ECOMAP_API_KEYS": ""}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=500_000)
    parser.add_argument("--quick", action="store_true", help="2,000 nodes / 10,000 relationships, fewer requests")
    parser.add_argument("--requests", type=int, default=None, help="requests per phase (default 5000; quick 1000)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--rate", type=float, default=400.0, help="combined request rate of the paced phase")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.quick:
        args.nodes, args.edges = 2_000, 10_000
    n_requests = args.requests or (1000 if args.quick else 5000)

    work = Path(tempfile.mkdtemp(prefix="ecomap-bench-api-"))
    server = EmbeddedServer(work / "data")
    proc = None
    try:
        server.ensure_running()
        store = FalkorStore(GRAPH, server=server)
        store.setup_schema()
        t0 = time.perf_counter()
        build_graph(store, args.nodes, args.edges, args.seed, work)
        stats = store.stats()
        print(f"graph: {stats.nodes} nodes, {stats.relationships} relationships (ecomap generate + load) "
              f"in {time.perf_counter() - t0:.1f} s")

        rng = random.Random(args.seed)
        ids = [row[0] for row in store.read("MATCH (n:Entity) RETURN n.id", row_cap=10_000_000).rows]
        clusters = [row[0] for row in store.read("MATCH (n:Cluster) RETURN n.id", row_cap=10_000_000).rows]
        centres = [rng.choice(ids) for _ in range(n_requests)]
        anchors = [rng.choice(clusters) for _ in range(n_requests)]
        query = QueryLibrary().get(SAVED_QUERY)
        neighbour_paths = [f"/api/entities/{quote(i)}/neighbors?depth=1" for i in centres]
        query_paths = [f"/api/queries/{SAVED_QUERY}/run?{urlencode({'cluster': c})}" for c in anchors]

        port = free_port()
        proc = start_server(work / "data", port, args.workers)
        print(f"API: uvicorn, {args.workers} worker(s), 127.0.0.1:{port}; {os.cpu_count()} CPU(s); "
              f"{n_requests} requests per phase\n")

        def direct_neighbours(i: str):
            return lambda: neighbours(store, i, depth=1, limit=200)

        def direct_query(c: str):
            return lambda: run(store, query, query.bind({"cluster": c}, from_text=True), limit=1000)

        results = {}
        for label, paths, calls in (("neighbors?depth=1", neighbour_paths, [direct_neighbours(i) for i in centres]),
                                    (f"saved query {SAVED_QUERY}", query_paths, [direct_query(c) for c in anchors])):
            warm = max(50, n_requests // 20)
            asyncio.run(http_phase(port, paths[:warm], args.clients))  # warm caches and connections
            api1, t_api1, _ = asyncio.run(http_phase(port, paths, 1))
            api16, t_api16, statuses = asyncio.run(http_phase(port, paths, args.clients))
            paced, t_paced, _ = asyncio.run(http_phase(port, paths, args.clients, rate=args.rate))
            direct1, t_direct1 = direct_phase(calls, 1)
            direct16, t_direct16 = direct_phase(calls, args.clients)
            results[label] = (sorted(paced), t_paced, len(api16) / t_api16)
            print(f"{label}   (HTTP statuses {statuses})")
            print(f"  API     1 client   {summary(api1, t_api1)}")
            print(f"  API    {args.clients} clients  {summary(api16, t_api16)}   (saturated)")
            over = "; above the capacity measured: the queue only grows" if args.rate > len(api16) / t_api16 else ""
            print(f"  API    {args.clients} clients  {summary(paced, t_paced)}   (paced at {args.rate:.0f} req/s"
                  f"{over})")
            print(f"  direct  1 thread   {summary(direct1, t_direct1)}")
            print(f"  direct {args.clients} threads  {summary(direct16, t_direct16)}")
            overhead = statistics.median(api1) / statistics.median(direct1)
            ratio = (len(api16) / t_api16) / (len(direct16) / t_direct16)
            print(f"  overhead ratio (API / direct, p50, 1 client): {overhead:.2f}×   "
                  f"throughput ratio ({args.clients} clients, API / direct): {ratio:.2f}\n")
        paced, _, capacity = results["neighbors?depth=1"]
        p50, p99 = paced[len(paced) // 2] * 1000, paced[int(0.99 * (len(paced) - 1))] * 1000
        print(f"targets (DESIGN §7, neighbors?depth=1, {args.clients} clients): capacity {capacity:.0f} req/s (≥ 400); "
              f"at {args.rate:.0f} req/s p50 {p50:.2f} ms (≤ 5), p99 {p99:.2f} ms (≤ 25)")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
