"""Load benchmark: the loader against the engine's raw batched Cypher, a row-by-row loader and
FalkorDB's own bulk loader, on the same generated data, on each engine in one run.

    python bench/load.py                      # 100k nodes / 500k relationships, FalkorDB and Neo4j
    python bench/load.py --quick              # 5k / 25k
    python bench/load.py --backend embedded   # one engine only (embedded FalkorDB, or neo4j)

On each engine:

(a) raw: hand-written ``UNWIND $rows … MERGE`` batches (rows already in memory; writes only),
    into an empty store with the schema, through the ``GraphStore``;
    a-driver: the same statements on the bare client (``falkordb`` / the ``neo4j`` driver): the
    store's own overhead on writes;
    a-create: the same rows with ``CREATE`` instead of ``MERGE``, through the store: what an
    empty store gains from writes that need no lookup (on Neo4j the loader's path for an empty
    store, where (a) is the plain ``MERGE`` batches one would write without the emptiness check).
(b) loader, end to end from the files (read, validate, check, write):
    b-empty  into an empty store (FalkorDB: the bulk path; Neo4j: batched CREATE);
    b-add    into a store that holds another ecosystem of the same size (all records new);
    b-update into a store that holds another ecosystem over the same ids (every node updated,
             most relationships new, derived edges replaced);
    b-again  the same files again (nothing changes).
(c) row-by-row: one query per record, on a sample.
(d) FalkorDB only: ``falkordb-bulk-insert`` (PyPI falkordb-bulk-loader), if installed: the
    reference for a new graph.

Neo4j Community holds one user database, so each phase empties it (``GraphStore.drop``) instead
of taking a new graph name; its server and data directory exist only for the run.

Targets: incremental loads (b-add, b-update) ≥ 70 % of (a) and ≥ 20× (c); b-empty
within 2× of (d)'s time.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.engines import (  # noqa: E402
    EmbeddedEngine,
    Engine,
    add_engine_options,
    chosen_engines,
    make_engine,
    run_engines,
    side_by_side,
)
from graph.store import DEFAULT_BATCH_SIZE, GraphStore, batched  # noqa: E402
from loaders import load_paths  # noqa: E402
from loaders.load import collect, paused_gc  # noqa: E402
from loaders.plan import make_plan  # noqa: E402

MERGE_NODES = "UNWIND $rows AS row MERGE (n:Entity:{label} {{id: row.id}}) SET n += row"
MERGE_RELS = ("UNWIND $rows AS row MATCH (a:Entity {{id: row.s}}) MATCH (b:Entity {{id: row.e}}) "
              "MERGE (a)-[r:{rel_type}]->(b) SET r += row.p")
CREATE_NODES = "UNWIND $rows AS row CREATE (n:Entity:{label}) SET n = row"
CREATE_RELS = ("UNWIND $rows AS row MATCH (a:Entity {{id: row.s}}) MATCH (b:Entity {{id: row.e}}) "
               "CREATE (a)-[r:{rel_type}]->(b) SET r = row.p")
Rows = dict[str, list[dict]]


def in_memory_rows(files: Path, engine: Engine) -> tuple[Rows, Rows]:
    """The records of the files as Cypher parameter rows (derived edges included), prepared once."""
    collected = collect([files])
    make_plan(engine.fresh("bench-plan"), collected)
    nodes = {label: [t.record(i) for i in range(len(t))] for label, t in collected.nodes.items()}
    rels = {rel_type: [{"s": s, "e": e, "p": t.record(i)} for i, (s, e) in enumerate(t.keys)]
            for rel_type, t in collected.rels.items()}
    return nodes, rels


def raw(write_batches: Callable[[str, list[dict]], None], nodes: Rows, rels: Rows, *,
        create: bool = False) -> tuple[float, float]:
    """(a): batched UNWIND written by hand, parameters passed the client's usual way;
    seconds for nodes, seconds for relationships."""
    node_q, rel_q = (CREATE_NODES, CREATE_RELS) if create else (MERGE_NODES, MERGE_RELS)
    started = time.perf_counter()
    for label, rows in nodes.items():
        write_batches(node_q.format(label=label), rows)
    middle = time.perf_counter()
    for rel_type, rows in rels.items():
        write_batches(rel_q.format(rel_type=rel_type), rows)
    return middle - started, time.perf_counter() - middle


def through_store(store: GraphStore) -> Callable[[str, list[dict]], None]:
    return lambda cypher, rows: store.write_batches(cypher, rows, batch_size=DEFAULT_BATCH_SIZE)


def through_client(direct) -> Callable[[str, list[dict]], None]:
    def write_batches(cypher: str, rows: list[dict]) -> None:
        for batch in batched(rows, DEFAULT_BATCH_SIZE):
            direct.write(cypher, {"rows": batch})
    return write_batches


def row_by_row(store: GraphStore, nodes: Rows, rels: Rows, sample: int) -> tuple[int, float]:
    """(c): one query per record: about ``sample`` records — relationships taken from every type,
    and first the nodes they connect."""
    label_of = {row["id"]: label for label, rows in nodes.items() for row in rows}
    node_by_id = {row["id"]: row for rows in nodes.values() for row in rows}
    picked: list[tuple[str, dict]] = []
    wanted: dict[str, None] = {}
    per_type = max(1, sample // (3 * len(rels)))
    for rel_type, rows in rels.items():
        for row in rows[:per_type]:
            picked.append((rel_type, row))
            wanted.update(dict.fromkeys((row["s"], row["e"])))
    started = time.perf_counter()
    for node_id in wanted:
        store.write(f"MERGE (n:Entity:{label_of[node_id]} {{id: $id}}) SET n += $props",
                    {"id": node_id, "props": node_by_id[node_id]})
    for rel_type, row in picked:
        store.write(f"MATCH (a:Entity {{id: $s}}) MATCH (b:Entity {{id: $e}}) MERGE (a)-[r:{rel_type}]->(b) "
                    "SET r += $p", row)
    return len(wanted) + len(picked), time.perf_counter() - started


def timed_load(store: GraphStore, files: Path) -> tuple[float, str]:
    started = time.perf_counter()
    report = load_paths(store, [files])
    return time.perf_counter() - started, report.method


def bulk_insert_reference(engine: EmbeddedEngine, nodes: Rows, rels: Rows, workdir: Path) -> float | None:
    """(d): ``falkordb-bulk-insert`` on the same graph (its CSV layout), or None when not installed."""
    tool = shutil.which("falkordb-bulk-insert") or str(Path(sys.executable).parent / "falkordb-bulk-insert")
    if not Path(tool).exists():
        return None
    args = [tool, "bench-reference", "--server-url", f"unix://{engine.socket}"]
    for label, rows in nodes.items():
        path = workdir / f"{label}.csv"
        _bulk_csv(path, ["id"], rows)
        args += ["--nodes-with-label", f"Entity:{label}", str(path)]
    for rel_type, rows in rels.items():
        path = workdir / f"{rel_type}.csv"
        _bulk_csv(path, ["s", "e"], [{"s": r["s"], "e": r["e"], **r["p"]} for r in rows])
        args += ["--relations-with-type", rel_type, str(path)]
    engine.store("bench-reference").drop()
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - started


def _bulk_csv(path: Path, first: list[str], rows: list[dict]) -> None:
    columns = first + sorted({k for row in rows for k in row} - set(first))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else _bulk_value(row[c]) for c in columns])


def _bulk_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return repr(value)
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5k nodes / 25k relationships")
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=500_000)
    parser.add_argument("--sample", type=int, default=3_000, help="records for the row-by-row loader")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    add_engine_options(parser)
    args = parser.parse_args()
    names = chosen_engines(args)
    n_nodes, n_edges = (5_000, 25_000) if args.quick else (args.nodes, args.edges)
    sample = min(args.sample, 1_000) if args.quick else args.sample

    from loaders.generate import generate

    with tempfile.TemporaryDirectory(prefix="ecomap-bench-") as tmp:
        work = Path(tmp)
        files = {"data": work / "data-files", "other": work / "other-files", "disjoint": work / "disjoint-files"}
        generate(n_nodes, n_edges, seed=1, out_dir=files["data"])
        generate(n_nodes, n_edges, seed=2, out_dir=files["other"])
        generate(n_nodes, n_edges, seed=3, out_dir=files["disjoint"], id_prefix="base")
        prepared: list[tuple[Rows, Rows]] = []

        def run_one(name: str) -> dict:
            with make_engine(name, args, data_dir=work / "data", quick=args.quick) as engine:
                if not prepared:
                    with paused_gc():
                        prepared.append(in_memory_rows(files["data"], engine))
                results = run(engine, work, files, *prepared[0], sample)
            if not args.json:
                print_results(results)
            return results

        results, failures = run_engines(names, run_one)
    if args.json:
        print(json.dumps({"results": results, "failures": failures}, indent=2))
    else:
        print_side_by_side(results, failures)
    sys.exit(1 if failures else 0)


def run(engine: Engine, work: Path, files: dict[str, Path], nodes: Rows, rels: Rows, sample: int) -> dict:
    total_nodes = sum(map(len, nodes.values()))
    total_rels = sum(map(len, rels.values()))
    results: dict = {"engine": engine.name, "nodes": total_nodes, "relationships": total_rels, "sample": sample}

    def raw_result(t_nodes: float, t_rels: float) -> dict:
        return {"seconds": t_nodes + t_rels, "nodes_per_s": total_nodes / t_nodes, "rels_per_s": total_rels / t_rels}

    # The first large write on a new server runs several times slower than the same write later (measured
    # on a new Neo4j: 4×, whether the store or the bare driver sends it). (a) runs first and would carry
    # that alone, so every node and a slice of every relationship type is written once, untimed, and the
    # CREATE statements are planned too.
    step(engine, "warm-up (not timed)")
    raw(through_store(engine.fresh("bench-warm")), nodes, {k: v[:5_000] for k, v in rels.items()})
    raw(through_store(engine.fresh("bench-warm")), {k: v[:200] for k, v in nodes.items()},
        {k: v[:200] for k, v in rels.items()}, create=True)

    step(engine, "a: raw MERGE batches through the store")
    results["a_raw"] = raw_result(*raw(through_store(engine.fresh("bench-raw")), nodes, rels))
    step(engine, "a-driver: the same on the bare client")
    engine.fresh("bench-raw-driver")
    results["a_driver"] = raw_result(*raw(through_client(engine.direct("bench-raw-driver")), nodes, rels))
    step(engine, "a-create: raw CREATE batches through the store")
    results["a_create"] = raw_result(*raw(through_store(engine.fresh("bench-raw-create")), nodes, rels, create=True))

    step(engine, "b-empty")
    seconds, method = timed_load(engine.fresh("bench-empty"), files["data"])
    results["b_empty"] = {"seconds": seconds, "method": method}
    step(engine, "b-add (first the other ecosystem, not timed)")
    adding = engine.fresh("bench-add")
    load_paths(adding, [files["disjoint"]])
    seconds, method = timed_load(adding, files["data"])
    results["b_add"] = {"seconds": seconds, "method": method}
    step(engine, "b-update (first the same ids from another seed, not timed)")
    updating = engine.fresh("bench-update")
    load_paths(updating, [files["other"]])
    seconds, method = timed_load(updating, files["data"])
    results["b_update"] = {"seconds": seconds, "method": method}
    step(engine, "b-again")
    seconds, method = timed_load(updating, files["data"])
    results["b_again"] = {"seconds": seconds, "method": method}
    keys = ("b_empty", "b_add", "b_update", "b_again")
    for key in keys:
        r = results[key]
        r["nodes_per_s"] = total_nodes / r["seconds"]
        r["rels_per_s"] = total_rels / r["seconds"]
        r["rows_per_s"] = (total_nodes + total_rels) / r["seconds"]

    step(engine, "c: row by row")
    count, seconds = row_by_row(engine.fresh("bench-rows"), nodes, rels, sample)
    results["c_row_by_row"] = {"rows": count, "seconds": seconds, "rows_per_s": count / seconds}

    reference = None
    if isinstance(engine, EmbeddedEngine):
        step(engine, "d: falkordb-bulk-insert")
        reference = bulk_insert_reference(engine, nodes, rels, work)
    if reference is not None:
        results["d_bulk_insert"] = {"seconds": reference, "rows_per_s": (total_nodes + total_rels) / reference}

    a_rate = (total_nodes + total_rels) / results["a_raw"]["seconds"]
    c_rate = results["c_row_by_row"]["rows_per_s"]
    results["ratios"] = {"a_time/a_driver_time": results["a_raw"]["seconds"] / results["a_driver"]["seconds"],
                         "a_create_time/a_time": results["a_create"]["seconds"] / results["a_raw"]["seconds"]}
    results["ratios"] |= {f"{key}/a": results[key]["rows_per_s"] / a_rate for key in keys}
    results["ratios"] |= {f"{key}/c": results[key]["rows_per_s"] / c_rate for key in keys}
    if reference is not None:
        results["ratios"]["b_empty_time/d_time"] = results["b_empty"]["seconds"] / reference
    return results


def step(engine: Engine, what: str) -> None:
    print(f"[{engine.title} {time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def print_results(r: dict) -> None:
    print(f"data: {r['nodes']:,} nodes, {r['relationships']:,} relationships (generated, derived edges included)")
    rows = [("a  raw batched UNWIND MERGE (writes only)", r["a_raw"]),
            ("a  the same on the bare client", r["a_driver"]),
            ("a  raw batched UNWIND CREATE (writes only)", r["a_create"])]
    rows += [(f"b  loader, {label}", r[key]) for key, label in (
        ("b_empty", "empty store"), ("b_add", "non-empty store, new records"),
        ("b_update", "non-empty store, same ids updated"), ("b_again", "same files again (no change)"))]
    for name, x in rows:
        method = f" [{x['method']}]" if "method" in x else ""
        print(f"{name:<52} {x['seconds']:8.2f} s  {x['nodes_per_s']:>10,.0f} nodes/s  "
              f"{x['rels_per_s']:>10,.0f} rels/s{method}")
    c = r["c_row_by_row"]
    print(f"{'c  row by row (one query per record)':<52} {c['seconds']:8.2f} s  {c['rows_per_s']:>10,.0f} rows/s "
          f"({c['rows']:,} rows)")
    if "d_bulk_insert" in r:
        d = r["d_bulk_insert"]
        print(f"{'d  falkordb-bulk-insert (new graph)':<52} {d['seconds']:8.2f} s  {d['rows_per_s']:>10,.0f} rows/s")
    for name, value in r["ratios"].items():
        print(f"ratio {name:<22} {value:8.2f}")


def print_side_by_side(results: dict[str, dict], failures: dict[str, str]) -> None:
    def seconds(key: str) -> Callable[[dict], str]:
        def fmt(r: dict) -> str:
            x = r[key]
            rate = x.get("rows_per_s", (r["nodes"] + r["relationships"]) / x["seconds"])
            method = f" [{x['method']}]" if "method" in x else ""
            return f"{x['seconds']:.2f} s  {rate:,.0f} rows/s{method}"
        return fmt

    def ratio(key: str) -> Callable[[dict], str]:
        return lambda r: f"{r['ratios'][key]:.2f}"

    def falkordb_only(fmt: Callable[[dict], str]) -> Callable[[dict], str]:
        return lambda r: fmt(r) if r["engine"] == "embedded" else "n/a"

    first = next(iter(results.values()), None)
    data = f"{first['nodes']:,} nodes, {first['relationships']:,} relationships" if first else "no engine finished"
    side_by_side(f"load benchmark, side by side ({data})", [
        ("a    raw UNWIND MERGE, store", seconds("a_raw")),
        ("a    raw UNWIND MERGE, bare client", seconds("a_driver")),
        ("a    raw UNWIND CREATE, store", seconds("a_create")),
        ("b    loader, empty store", seconds("b_empty")),
        ("b    loader, new records (b-add)", seconds("b_add")),
        ("b    loader, same ids updated (b-update)", seconds("b_update")),
        ("b    loader, unchanged (b-again)", seconds("b_again")),
        ("c    row by row", lambda r: f"{r['c_row_by_row']['seconds']:.2f} s  "
                                      f"{r['c_row_by_row']['rows_per_s']:,.0f} rows/s"),
        ("d    falkordb-bulk-insert", falkordb_only(seconds("d_bulk_insert"))),
        ("store overhead on writes", None),
        ("  a store time / bare client time", ratio("a_time/a_driver_time")),
        ("  a CREATE time / MERGE time", ratio("a_create_time/a_time")),
        ("loader over raw MERGE (rate ratio, ≥ 0.70 for b-add, b-update)", None),
        *((f"  {key.replace('_', '-')} / a", ratio(f"{key}/a")) for key in ("b_empty", "b_add", "b_update", "b_again")),
        ("loader over row by row (rate ratio, ≥ 20)", None),
        *((f"  {key.replace('_', '-')} / c", ratio(f"{key}/c")) for key in ("b_empty", "b_add", "b_update", "b_again")),
        ("  b-empty time / d time (≤ 2)", falkordb_only(ratio("b_empty_time/d_time"))),
    ], results, failures)


if __name__ == "__main__":
    main()
