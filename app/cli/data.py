"""``ecomap load``, ``ecomap export``, ``ecomap stats`` and ``ecomap generate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from app.cli.common import console, fail, open_store

FORMAT_HELP = "Read every file as this format: csv, tsv, xlsx, json, jsonl or yaml (default: from the file suffix)."


def load(
    paths: list[Path] = typer.Argument(None, help="Data files, or folders of data files, to load together."),
    dataset: str | None = typer.Option(None, "--dataset", help="Load a dataset shipped with ecomap (shanxi: the "
                                                                "curated 六新 dataset)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report what would change; write nothing."),
    fmt: str | None = typer.Option(None, "--format", help=FORMAT_HELP),
    encoding: str | None = typer.Option(None, "--encoding", help="Text encoding of CSV/JSON/YAML files, e.g. gb18030 "
                                                                  "(default: UTF-8, or GB18030/GBK when detected)."),
    batch_size: int = typer.Option(5_000, "--batch-size", min=1, help="Records per write query."),
    as_json: bool = typer.Option(False, "--json", help="Print the report (or the problems) as JSON on stdout."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress",
                                         help="Show a progress bar with rows/s (default: when stderr is a terminal)."),
    wait: float = typer.Option(600.0, "--wait", min=0, metavar="SECONDS",
                               help="One load writes to a graph at a time: how long to wait for another one to "
                                    "finish (0: fail at once, exit code 3)."),
) -> None:
    """Validate data files (CSV, XLSX, JSON, JSON Lines, YAML) and load them into the graph, all or nothing.

    Records are nodes {type, id, name, …} or relationships {type, start, end, …}; headers in English or Chinese.

    Every problem is reported as file:row:column: reason, and then nothing is written (exit code 1).

    Loading the same files again changes nothing; a record with only some properties updates only those.
    """
    from graph.errors import WriteLocked
    from loaders import LoadRejected, dataset_path, load_paths

    targets = list(paths or [])
    if dataset:
        try:
            targets.append(dataset_path(dataset))
        except ValueError as exc:
            fail(str(exc), 2)
    if not targets:
        fail("give files or folders to load, or --dataset shanxi", 2)
    show_progress = sys.stderr.isatty() and not as_json if progress is None else progress
    with open_store() as store:
        try:
            report = load_paths(store, targets, dry_run=dry_run, encoding=encoding, fmt=fmt, batch_size=batch_size,
                                progress=show_progress, lock_wait_s=wait, on_lock_wait=_say_waiting)
        except LoadRejected as exc:
            if as_json:
                typer.echo(json.dumps(exc.to_json(), ensure_ascii=False))
            else:
                for problem in exc.problems:
                    typer.echo(str(problem), err=True)
                if more := exc.omitted_line():
                    typer.echo(more, err=True)
                typer.echo(f"rejected: {exc.total:,} problem(s); nothing was loaded", err=True)
            raise typer.Exit(1) from None
        except WriteLocked as exc:
            fail(exc.message, 3)
        except ValueError as exc:
            fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    _print_report(report)


def _say_waiting(holder) -> None:
    typer.echo(f"waiting for another load of this graph to finish ({holder.owner}, since {holder.since_text})…",
               err=True)


def _print_report(report) -> None:
    title = "dry run — nothing was written" if report.dry_run else f"loaded ({report.method}) in {report.seconds:.2f} s"
    table = Table("kind", "type", "created", "updated", "unchanged", "deleted", title=title)
    for kind, counts_by_type in (("node", report.nodes), ("relationship", report.relationships)):
        for type_name, counts in sorted(counts_by_type.items()):
            table.add_row(kind, type_name, *(f"{counts[k]:,}" for k in ("created", "updated", "unchanged", "deleted")))
    totals = report.to_json()["totals"]
    for kind in ("nodes", "relationships"):
        table.add_row(f"[bold]{kind}[/]", "[bold]total[/]",
                      *(f"[bold]{totals[kind][k]:,}[/]" for k in ("created", "updated", "unchanged", "deleted")))
    console.print(table)


def export(
    fmt: str = typer.Option(..., "--format", help="json, csv (a folder with nodes.csv and relationships.csv), xlsx, "
                                                  "graphml or gexf."),
    out: Path = typer.Option(..., "--out", help="File (or, for csv, folder) to write."),
) -> None:
    """Export the whole graph; json, csv and xlsx load back (`ecomap load`) as the same graph.

    Spreadsheet cells that start with = + - @ get a protecting ' so that no formula runs; `ecomap load` removes it.
    """
    from loaders.export import EXPORT_FORMATS, export_graph

    if fmt not in EXPORT_FORMATS:
        fail(f"unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}", 2)
    with open_store() as store:
        path = export_graph(store, fmt, out)
    console.print(f"wrote {path}", highlight=False)


def stats(as_json: bool = typer.Option(False, "--json", help='Print {"labels": {...}, "relationship_types": {...}}.')
          ) -> None:
    """Count the nodes per label and the relationships per type."""
    with open_store() as store:
        result = store.stats()
    if as_json:
        typer.echo(json.dumps({"labels": result.labels, "relationship_types": result.relationship_types,
                               "nodes": result.nodes, "relationships": result.relationships}, ensure_ascii=False))
        return
    table = Table("kind", "name", "count", title=f"{result.nodes:,} nodes, {result.relationships:,} relationships")
    for label, n in result.labels.items():
        table.add_row("label", label, f"{n:,}")
    for rel_type, n in result.relationship_types.items():
        table.add_row("relationship", rel_type, f"{n:,}")
    console.print(table)


def generate(
    nodes: int = typer.Option(..., "--nodes", min=0, help="Number of node records."),
    edges: int = typer.Option(..., "--edges", min=0, help="Number of relationships in the loaded graph (the "
                                                          "CLASSIFIED_AS edges derived from liuxin included)."),
    seed: int = typer.Option(0, "--seed", help="The same seed writes the same files."),
    out: Path = typer.Option(..., "--out", help="Folder to write into."),
    fmt: str = typer.Option("csv", "--format", help="csv, jsonl or xlsx."),
    id_prefix: str = typer.Option("syn", "--id-prefix", help="Ids start with this; different prefixes give "
                                                             "ecosystems that do not overlap."),
) -> None:
    """Write a synthetic innovation ecosystem, every record marked synthetic: true, for `ecomap load`.

    Clusters with chain links, skewed enterprises, labs, platforms, parks, banks, funds, policies, projects.

    Chinese names. Rows are streamed to the files, so a million nodes are fine.
    """
    from loaders.generate import GENERATE_FORMATS
    from loaders.generate import generate as write_ecosystem

    if fmt not in GENERATE_FORMATS:
        fail(f"unknown format {fmt!r}; use one of {', '.join(GENERATE_FORMATS)}", 2)
    try:
        report = write_ecosystem(nodes, edges, seed, out, fmt, id_prefix=id_prefix)
    except ValueError as exc:
        fail(str(exc), 2)
    console.print(f"wrote {report.node_count:,} nodes and {report.relationship_count:,} relationships "
                  f"(derived ones included) to {', '.join(report.files)}", highlight=False)


def register(cli: typer.Typer) -> None:
    cli.command()(load)
    cli.command()(export)
    cli.command()(stats)
    cli.command()(generate)
