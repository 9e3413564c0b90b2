"""Analytics benchmark: on a generated graph (default 100k nodes / 500k relationships) time the
projection from the store and each metric, on each engine in one run, report peak memory, time the
projection against a direct read of the same nodes and relationships on the engine's bare client,
and time networkx against this project's engine on a smaller graph so the speed-up is visible.

    python bench/analytics.py                     # 100k / 500k; networkx comparison on 10k / 50k
    python bench/analytics.py --quick             # 10k / 50k; networkx comparison on 2k / 10k
    python bench/analytics.py --backend embedded  # one engine only (embedded FalkorDB, or neo4j)

The graph comes from the project's generator and loader (``ecomap generate`` / ``ecomap load``).
On FalkorDB it is loaded once into a private embedded store under ``--data-dir`` and reused by
later runs; Neo4j runs on a throwaway server, so its graph is loaded on every run.

The projection (``graph.analytics.project``: the store's paged scan, then the arrays) is set against
the bare client (``falkordb`` / the ``neo4j`` driver) twice: replaying exactly the page queries the
scan sent, on as many threads as the scan reads with, and reading the same nodes and relationships
with one plain query each. The networkx comparison does not depend on the engine; it runs on the
first engine of the run only.

Target: centralities, communities and gap scores ≤ 15 s all together on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import networkx as nx  # noqa: E402
import redis  # noqa: E402

from bench.engines import (  # noqa: E402
    EmbeddedEngine,
    Engine,
    add_engine_options,
    chosen_engines,
    make_engine,
    recording,
    replay,
    run_engines,
    side_by_side,
)
from graph.analytics import (  # noqa: E402
    Analytics,
    AnalyticsConfig,
    betweenness,
    betweenness_k,
    bridges,
    communities,
    components,
    declared_clusters,
    degree,
    k_hop_reach,
    pagerank,
    project,
)
from graph.analytics.planted import random_ecosystem, write_spec  # noqa: E402
from graph.analytics.projection import DEFAULT_WORKERS  # noqa: E402
from graph.ontology import DERIVED_REL_TYPES, ENTITY_LABEL  # noqa: E402
from graph.store import GraphStore  # noqa: E402

TARGET_SECONDS = 15.0
CHAIN_LABELS = ("targets, cold", "what-if, cold (projection read)", "targets, warm", "what-if, warm")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class CpuClock:
    """CPU seconds used by this process and by the store's server process.

    The machines these benchmarks run on are shared, so wall-clock times swing with other work;
    CPU seconds do not. Steps run one after the other (the client waits while the store works),
    so on two otherwise idle cores a step takes at most its CPU seconds of both processes.
    """

    def __init__(self, server_pid: int | None) -> None:
        self.stat = Path(f"/proc/{server_pid}/stat") if server_pid else None
        self.tick = os.sysconf("SC_CLK_TCK")

    def server(self) -> float:
        if self.stat is None:
            return 0.0
        try:
            fields = self.stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime

    def now(self) -> tuple[float, float, float]:
        return time.perf_counter(), time.process_time(), self.server()


def load_graph(engine: Engine, cache: Path, nodes: int, edges: int, seed: int) -> GraphStore:
    """The generated graph in its own store graph (on Neo4j: the database); generated and loaded only
    when an embedded store does not hold it yet."""
    name = store_graph(nodes, edges, seed)
    store = engine.store(name, row_cap=10_000_000)
    marker = cache / f"{name}.json"
    # A Neo4j server lives for one run only: its marker would describe another server's database.
    reusable = isinstance(engine, EmbeddedEngine)
    stats = store.stats()
    if reusable and marker.exists() and json.loads(marker.read_text()) == [stats.nodes, stats.relationships]:
        print(f"  reusing {name}: {stats.nodes:,} nodes, {stats.relationships:,} relationships")
        return store
    store.clear()
    started = time.perf_counter()
    try:
        from loaders import load_paths
        from loaders.generate import generate
    except ImportError:
        how = "planted.random_ecosystem + batched UNWIND"
        write_spec(store, random_ecosystem(nodes, edges, seed=seed), batch_size=20_000)
    else:
        how = "loaders.generate + loaders.load_paths"
        out = cache / f"{name}-files"
        generate(nodes, edges, seed, out, "csv")
        load_paths(store, [out])
    stats = store.stats()
    if reusable:
        marker.write_text(json.dumps([stats.nodes, stats.relationships]))
    print(f"  built {name} with {how} in {time.perf_counter() - started:.1f} s: "
          f"{stats.nodes:,} nodes, {stats.relationships:,} relationships")
    return store


def full_run(store: GraphStore, clock: CpuClock, sources: int) -> dict:
    analytics = Analytics(store, AnalyticsConfig(betweenness_sources=sources))
    print(f"\n{'step':<36}{'wall s':>8}{'CPU s':>8}{'store CPU s':>13}{'peak RSS MB':>13}")
    totals = [0.0, 0.0, 0.0]
    steps: dict[str, float] = {}
    last = clock.now()

    def on_step(step, _: float) -> None:
        nonlocal last
        now = clock.now()
        spent = [b - a for a, b in zip(last, now, strict=True)]
        last = now
        totals[:] = [t + s for t, s in zip(totals, spent, strict=True)]
        steps[step.label] = spent[0]
        print(f"{step.label:<36}{spent[0]:>8.2f}{spent[1]:>8.2f}{spent[2]:>13.2f}{peak_rss_mb():>13.0f}")

    report = analytics.run(on_step=on_step)
    wall, cpu, server = totals
    print(f"{'total':<36}{wall:>8.2f}{cpu:>8.2f}{server:>13.2f}{peak_rss_mb():>13.0f}")
    print(f"CPU seconds of this process and the store together: {cpu + server:.2f} — "
          f"{'meets' if cpu + server <= TARGET_SECONDS else 'MISSES'} the {TARGET_SECONDS:.0f} s target on two idle "
          f"cores; wall clock {wall:.2f} s on this machine as loaded now (load average "
          f"{os.getloadavg()[0]:.1f})")
    for name, line in report.summary.items():
        print(f"  {name}: {line}")
    started = time.perf_counter()
    analytics.run()
    cached = time.perf_counter() - started
    print(f"second run, every result cached: {cached:.3f} s")
    before = clock.now()
    written = analytics.write_back(batch_size=10_000)
    after = clock.now()
    print(f"write-back of importance, community, betweenness onto {written:,} nodes: {after[0] - before[0]:.2f} s "
          f"wall, {after[1] - before[1] + after[2] - before[2]:.2f} CPU s (cache kept: "
          f"{analytics.is_cached('communities')})")
    return {"steps": steps, "wall": wall, "cpu": cpu, "store_cpu": server, "cached": cached,
            "write_back": after[0] - before[0], "written": written, "summary": report.summary}


def chain_answers(store: GraphStore) -> dict:
    """Targets and what-if for the clusters with the most links: cold (a new ``Analytics``: nothing
    cached, the what-if reads the projection) and warm (projection cached, another cluster's answer not)."""
    rows = store.read("MATCH (c:Cluster)-[:HAS_LINK]->(l:ChainLink) RETURN c.id, count(l) AS n "
                      "ORDER BY n DESC, c.id LIMIT 2").rows
    if len(rows) < 2:
        print("\nchain answers: fewer than two clusters with links; skipped")
        return {}
    first, second = (row[0] for row in rows)
    analytics = Analytics(store)

    def supplier(cluster: str) -> list[str]:
        view = analytics.chain(cluster)
        return view["leaders"][:1] or [op["id"] for link in view["links"] for op in link["local"]][:1]

    seconds = {
        "targets, cold": timed(lambda: analytics.targets(first))[0],
        "what-if, cold (projection read)": timed(lambda: analytics.whatif(first, supplier(first), []))[0],
        "targets, warm": timed(lambda: analytics.targets(second))[0],
        "what-if, warm": timed(lambda: analytics.whatif(second, supplier(second), []))[0],
    }
    answer = analytics.targets(second)
    candidates = sum(len(link["candidates"]) for link in answer["links"])
    print(f"\nchain answers (clusters {first}, {second}; {len(answer['links'])} gap/fragile links, "
          f"{candidates} candidates listed for the second):")
    for label, value in seconds.items():
        limit = 5.0 if "cold" in label else 1.0
        print(f"  {label:<36}{value:>8.3f} s  ({'meets' if value <= limit else 'MISSES'} ≤ {limit:g} s)")
    return seconds


_PLAIN_NODES = f"MATCH (n:{ENTITY_LABEL}) RETURN n.id, labels(n)"
_PLAIN_EDGES = f"MATCH (a:{ENTITY_LABEL})-[r]->(b) WHERE NOT type(r) IN $types RETURN a.id, type(r), b.id"


def projection_against_driver(store: GraphStore, engine: Engine, graph: str) -> dict:
    """``project(store)`` against the bare client on the same nodes and relationships."""
    direct = engine.direct(graph)
    with recording(store) as sent:
        t_project, P = timed(lambda: project(store))
    calls = list(sent)

    def replay_all() -> None:
        with ThreadPoolExecutor(DEFAULT_WORKERS) as pool:
            list(pool.map(lambda call: replay(direct, [call]), calls))

    t_replay, _ = timed(replay_all)
    t_nodes, node_rows = timed(lambda: direct.read(_PLAIN_NODES))
    t_edges, edge_rows = timed(lambda: direct.read(_PLAIN_EDGES, {"types": list(DERIVED_REL_TYPES)}))
    r = {"project": t_project, "replay": t_replay, "queries": len(calls), "plain": t_nodes + t_edges,
         "plain_nodes": t_nodes, "plain_edges": t_edges, "nodes": P.number_of_nodes(), "edges": P.number_of_edges(),
         "plain_counts": (len(node_rows), len(edge_rows))}
    same = r["plain_counts"] == (r["nodes"], r["edges"])
    print(f"\nprojection against the bare client ({engine.title}), the same {r['nodes']:,} nodes / "
          f"{r['edges']:,} relationships:")
    print(f"  project(store)                                  {t_project:8.2f} s  ({len(calls)} store queries)")
    print(f"  the same queries replayed on the bare client    {t_replay:8.2f} s  ({DEFAULT_WORKERS} threads)   "
          f"project / replay {t_project / t_replay:.2f}×")
    differ = "" if same else f"  — COUNTS DIFFER: the plain read gave {r['plain_counts']}"
    print(f"  one plain query each for nodes, relationships   {t_nodes + t_edges:8.2f} s  (nodes {t_nodes:.2f} s, "
          f"relationships {t_edges:.2f} s)   project / plain {t_project / (t_nodes + t_edges):.2f}×{differ}")
    if not same:
        r["problem"] = f"projection and plain read disagree: {(r['nodes'], r['edges'])} vs {r['plain_counts']}"
    return r


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def compare_with_networkx(store: GraphStore, sources: int) -> None:
    """Each metric with networkx and with igraph on the same (smaller) projection."""
    P = project(store)
    k = betweenness_k(P.number_of_nodes(), sources=sources)
    clusters = declared_clusters(P)
    print(f"\nnetworkx against this project's engine on {P.number_of_nodes():,} nodes / "
          f"{P.simple_edges.shape[0]:,} connections (betweenness: {'exact' if k is None else f'{k} sources'})")
    nx_build, _ = timed(lambda: P.networkx)
    ig_build, _ = timed(lambda: P.igraph)
    print(f"graph built from the projection (once, shared by every metric): networkx {nx_build:.2f} s, "
          f"igraph {ig_build:.3f} s")
    print(f"{'metric':<28}{'networkx s':>12}{'igraph s':>10}{'speed-up':>10}  same answer")
    metrics: list[tuple[str, Callable[[str], Any], Callable[[Any, Any], bool]]] = [
        ("degree", lambda e: degree(P, engine=e), lambda a, b: a == b),
        ("PageRank", lambda e: pagerank(P, engine=e),
         lambda a, b: f"max difference {max(abs(a[n] - b[n]) for n in a):.1e} (networkx's tolerance)"),
        ("betweenness", lambda e: betweenness(P, k, engine=e),
         lambda a, b: max(abs(a[n] - b[n]) for n in a) < 1e-9),
        ("communities (Louvain/Leiden)", lambda e: communities(P, engine=e),
         lambda a, b: f"modularity {a.modularity:.3f} / {b.modularity:.3f}"),
        ("connected components", lambda e: components(P, engine=e),
         lambda a, b: {frozenset(c) for c in a} == {frozenset(c) for c in b}),
        ("bridges", lambda e: bridges(P, engine=e), lambda a, b: set(a) == set(b)),
        ("2-hop reach", lambda e: k_hop_reach(P, 2, engine=e), lambda a, b: a == b),
    ]
    nx_total = ig_total = 0.0
    for name, run, same in metrics:
        nx_seconds, nx_value = timed(lambda run=run: run("networkx"))
        ig_seconds, ig_value = timed(lambda run=run: run("igraph"))
        nx_total += nx_seconds
        ig_total += ig_seconds
        print(f"{name:<28}{nx_seconds:>12.2f}{ig_seconds:>10.3f}{nx_seconds / max(ig_seconds, 1e-9):>9.0f}×  "
              f"{same(nx_value, ig_value)}")
    print(f"{'all':<28}{nx_total:>12.2f}{ig_total:>10.3f}{nx_total / max(ig_total, 1e-9):>9.0f}×")
    print(f"(declared clusters in this graph: {len(clusters)}; networkx {nx.__version__})")


def compact(socket: str) -> None:
    """Rewrite the store's append-only file as a snapshot before stopping it. Replaying the
    writes themselves on the next start is far slower than they were (the write-back's
    ``MATCH … {id: row.id}`` rows replay at minutes per 20k nodes here); a snapshot loads in
    under a second."""
    client = redis.Redis(unix_socket_path=socket)
    try:
        client.bgrewriteaof()
        while any(client.info("persistence")[key] for key in ("aof_rewrite_in_progress", "aof_rewrite_scheduled")):
            time.sleep(0.1)
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10k / 50k, networkx on 2k / 10k")
    parser.add_argument("--nodes", type=int, help="nodes of the main graph (default 100000)")
    parser.add_argument("--edges", type=int, help="relationships of the main graph (default 500000)")
    parser.add_argument("--compare-nodes", type=int, help="nodes of the networkx comparison graph")
    parser.add_argument("--sources", type=int, default=100, help="betweenness sources on large graphs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "bench",
                        help="where the embedded store and the generated files are kept")
    add_engine_options(parser)
    args = parser.parse_args()
    names = chosen_engines(args)
    nodes = args.nodes or (10_000 if args.quick else 100_000)
    edges = args.edges or nodes * 5
    compare = args.compare_nodes or (2_000 if args.quick else 10_000)
    args.data_dir.mkdir(parents=True, exist_ok=True)

    def run_one(name: str) -> dict:
        engine = make_engine(name, args, data_dir=args.data_dir, quick=args.quick, start_timeout_s=1800)
        if name == "neo4j":
            print("starting a throwaway Neo4j for this run")
        with engine:
            if isinstance(engine, EmbeddedEngine) and engine.started_here:
                print("started the benchmark's store")
            try:
                print(f"analytics benchmark: {nodes:,} nodes / {edges:,} relationships, seed {args.seed}")
                store = load_graph(engine, args.data_dir, nodes, edges, args.seed)
                result = full_run(store, CpuClock(engine.server_pid), args.sources)
                result["chain"] = chain_answers(store)
                result["projection"] = projection_against_driver(store, engine, store_graph(nodes, edges, args.seed))
                # Neo4j holds one graph at a time, so the small graph comes after the main one is done with.
                if name == names[0]:
                    small = load_graph(engine, args.data_dir, compare, compare * 5, args.seed)
                    compare_with_networkx(small, args.sources)
                result["peak_rss"] = peak_rss_mb()
                print(f"\npeak RSS of the benchmark process: {result['peak_rss']:.0f} MB")
            finally:
                if isinstance(engine, EmbeddedEngine) and engine.started_here:
                    compact(engine.socket)
        if "problem" in result["projection"]:
            raise RuntimeError(result["projection"]["problem"])
        return result

    results, failures = run_engines(names, run_one)
    print_side_by_side(results, failures, nodes, edges, names[0])
    sys.exit(1 if failures else 0)


def store_graph(nodes: int, edges: int, seed: int) -> str:
    return f"bench_analytics_{nodes}_{edges}_{seed}"


def print_side_by_side(results: dict[str, dict], failures: dict[str, str], nodes: int, edges: int,
                       compared_on: str) -> None:
    labels = next((list(r["steps"]) for r in results.values()), [])

    def step(label: str):
        return lambda r: f"{r['steps'][label]:.2f} s"

    def proj(key: str):
        return lambda r: f"{r['projection'][key]:.2f} s"

    def chain(label: str):
        return lambda r: f"{r['chain'][label]:.3f} s" if label in r["chain"] else "—"

    rows = [("graph read (nodes / relationships)", lambda r: f"{r['projection']['nodes']:,} / "
                                                             f"{r['projection']['edges']:,}"),
            ("steps of Analytics.run (wall)", None),
            *((f"  {label}", step(label)) for label in labels),
            ("  total wall", lambda r: f"{r['wall']:.2f} s"),
            ("  CPU s, this process + store (≤ 15)", lambda r: f"{r['cpu']:.2f} + {r['store_cpu']:.2f} = "
                                                          f"{r['cpu'] + r['store_cpu']:.2f}"),
            ("  second run, cached", lambda r: f"{r['cached']:.3f} s"),
            ("  write-back", lambda r: f"{r['write_back']:.2f} s"),
            ("projection against the bare client", None),
            ("  project(store)", proj("project")),
            ("  same queries on the bare client", proj("replay")),
            ("  one plain query each, bare client", proj("plain")),
            ("  project / replay", lambda r: f"{r['projection']['project'] / r['projection']['replay']:.2f}×"),
            ("  project / plain", lambda r: f"{r['projection']['project'] / r['projection']['plain']:.2f}×"),
            ("chain answers (cold ≤ 5 s, warm ≤ 1 s)", None),
            *((f"  {label}", chain(label)) for label in CHAIN_LABELS),
            ("peak RSS of the benchmark process", lambda r: f"{r['peak_rss']:.0f} MB")]
    side_by_side(f"analytics benchmark, side by side ({nodes:,} nodes / {edges:,} relationships generated; "
                 f"networkx comparison on {compared_on} only)", rows, results, failures)


if __name__ == "__main__":
    main()
