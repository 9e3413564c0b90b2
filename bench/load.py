"""Load benchmark: the loader against the engine's raw batched Cypher, a row-by-row loader and
FalkorDB's own bulk loader, on the same generated data, in one run.

    python bench/load.py            # 100k nodes / 500k relationships
    python bench/load.py --quick    # 5k / 25k

(a) raw: hand-written ``UNWIND $rows … MERGE`` batches (rows already in memory; writes only),
    into an empty store with the schema.
(b) loader, end to end from the files (read, validate, check, write):
    b-empty  into an empty store (FalkorDB: the bulk path);
    b-add    into a store that holds another ecosystem of the same size (all records new);
    b-update into a store that holds another ecosystem over the same ids (every node updated,
             most relationships new, derived edges replaced);
    b-again  the same files again (nothing changes).
(c) row-by-row: one query per record, on a sample.
(d) ``falkordb-bulk-insert`` (PyPI falkordb-bulk-loader), if installed: the reference for a new graph.

Targets (DESIGN §7): incremental loads (b-add, b-update) ≥ 70 % of (a) and ≥ 20× (c); b-empty
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.embedded import EmbeddedServer  # noqa: E402
from graph.falkor import FalkorStore  # noqa: E402
from graph.store import DEFAULT_BATCH_SIZE, GraphStore  # noqa: E402
from loaders import load_paths  # noqa: E402
from loaders.load import collect, paused_gc  # noqa: E402
from loaders.plan import make_plan  # noqa: E402


def fresh(server: EmbeddedServer, name: str) -> FalkorStore:
    store = FalkorStore(name, server=server, timeout_ms=600_000)
    store.drop()
    store = FalkorStore(name, server=server, timeout_ms=600_000)
    store.setup_schema()
    return store


def in_memory_rows(files: Path, server: EmbeddedServer) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """The records of the files as Cypher parameter rows (derived edges included), prepared once."""
    collected = collect([files])
    make_plan(fresh(server, "bench-plan"), collected)
    nodes = {label: [t.record(i) for i in range(len(t))] for label, t in collected.nodes.items()}
    rels = {rel_type: [{"s": s, "e": e, "p": t.record(i)} for i, (s, e) in enumerate(t.keys)]
            for rel_type, t in collected.rels.items()}
    return nodes, rels


def raw(store: GraphStore, nodes: dict[str, list[dict]], rels: dict[str, list[dict]]) -> tuple[float, float]:
    """(a): batched UNWIND/MERGE written by hand, parameters passed the client's usual way;
    seconds for nodes, seconds for relationships."""
    started = time.perf_counter()
    for label, rows in nodes.items():
        store.write_batches(f"UNWIND $rows AS row MERGE (n:Entity:{label} {{id: row.id}}) SET n += row", rows,
                            batch_size=DEFAULT_BATCH_SIZE)
    middle = time.perf_counter()
    for rel_type, rows in rels.items():
        store.write_batches("UNWIND $rows AS row MATCH (a:Entity {id: row.s}) MATCH (b:Entity {id: row.e}) "
                            f"MERGE (a)-[r:{rel_type}]->(b) SET r += row.p", rows, batch_size=DEFAULT_BATCH_SIZE)
    return middle - started, time.perf_counter() - middle


def row_by_row(store: GraphStore, nodes: dict[str, list[dict]], rels: dict[str, list[dict]],
               sample: int) -> tuple[int, float]:
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


def bulk_insert_reference(server: EmbeddedServer, nodes: dict[str, list[dict]], rels: dict[str, list[dict]],
                          workdir: Path) -> float | None:
    """(d): ``falkordb-bulk-insert`` on the same graph (its CSV layout), or None when not installed."""
    tool = shutil.which("falkordb-bulk-insert") or str(Path(sys.executable).parent / "falkordb-bulk-insert")
    if not Path(tool).exists():
        return None
    args = [tool, "bench-reference", "--server-url", f"unix://{server.socket}"]
    for label, rows in nodes.items():
        path = workdir / f"{label}.csv"
        _bulk_csv(path, ["id"], rows)
        args += ["--nodes-with-label", f"Entity:{label}", str(path)]
    for rel_type, rows in rels.items():
        path = workdir / f"{rel_type}.csv"
        _bulk_csv(path, ["s", "e"], [{"s": r["s"], "e": r["e"], **r["p"]} for r in rows])
        args += ["--relations-with-type", rel_type, str(path)]
    FalkorStore("bench-reference", server=server).drop()
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
    args = parser.parse_args()
    n_nodes, n_edges = (5_000, 25_000) if args.quick else (args.nodes, args.edges)
    sample = min(args.sample, 1_000) if args.quick else args.sample

    from loaders.generate import generate

    with tempfile.TemporaryDirectory(prefix="ecomap-bench-") as tmp:
        work = Path(tmp)
        server = EmbeddedServer(work / "data")
        server.ensure_running()
        try:
            results = run(server, work, n_nodes, n_edges, sample, generate)
        finally:
            server.stop()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_results(results)


def run(server: EmbeddedServer, work: Path, n_nodes: int, n_edges: int, sample: int, generate) -> dict:
    data, other, disjoint = work / "data-files", work / "other-files", work / "disjoint-files"
    generate(n_nodes, n_edges, seed=1, out_dir=data)
    generate(n_nodes, n_edges, seed=2, out_dir=other)
    generate(n_nodes, n_edges, seed=3, out_dir=disjoint, id_prefix="base")
    with paused_gc():
        nodes, rels = in_memory_rows(data, server)
    total_nodes = sum(map(len, nodes.values()))
    total_rels = sum(map(len, rels.values()))
    results: dict = {"nodes": total_nodes, "relationships": total_rels, "sample": sample}

    t_nodes, t_rels = raw(fresh(server, "bench-raw"), nodes, rels)
    results["a_raw"] = {"seconds": t_nodes + t_rels, "nodes_per_s": total_nodes / t_nodes,
                        "rels_per_s": total_rels / t_rels}

    seconds, method = timed_load(fresh(server, "bench-empty"), data)
    results["b_empty"] = {"seconds": seconds, "method": method}
    adding = fresh(server, "bench-add")
    load_paths(adding, [disjoint])
    seconds, method = timed_load(adding, data)
    results["b_add"] = {"seconds": seconds, "method": method}
    updating = fresh(server, "bench-update")
    load_paths(updating, [other])
    seconds, method = timed_load(updating, data)
    results["b_update"] = {"seconds": seconds, "method": method}
    seconds, method = timed_load(updating, data)
    results["b_again"] = {"seconds": seconds, "method": method}
    keys = ("b_empty", "b_add", "b_update", "b_again")
    for key in keys:
        r = results[key]
        r["nodes_per_s"] = total_nodes / r["seconds"]
        r["rels_per_s"] = total_rels / r["seconds"]
        r["rows_per_s"] = (total_nodes + total_rels) / r["seconds"]

    count, seconds = row_by_row(fresh(server, "bench-rows"), nodes, rels, sample)
    results["c_row_by_row"] = {"rows": count, "seconds": seconds, "rows_per_s": count / seconds}

    reference = bulk_insert_reference(server, nodes, rels, work)
    if reference is not None:
        results["d_bulk_insert"] = {"seconds": reference, "rows_per_s": (total_nodes + total_rels) / reference}

    a_rate = (total_nodes + total_rels) / results["a_raw"]["seconds"]
    c_rate = results["c_row_by_row"]["rows_per_s"]
    results["ratios"] = {f"{key}/a": results[key]["rows_per_s"] / a_rate for key in keys}
    results["ratios"] |= {f"{key}/c": results[key]["rows_per_s"] / c_rate for key in keys}
    if reference is not None:
        results["ratios"]["b_empty_time/d_time"] = results["b_empty"]["seconds"] / reference
    return results


def print_results(r: dict) -> None:
    print(f"data: {r['nodes']:,} nodes, {r['relationships']:,} relationships (generated, derived edges included)")
    rows = [("a  raw batched UNWIND MERGE (writes only)", r["a_raw"])]
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


if __name__ == "__main__":
    main()
