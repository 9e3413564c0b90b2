"""``ecomap analyze``: compute every analytics result, show a summary, optionally write the
results back onto the nodes (``importance``, ``community``, ``betweenness``) and print the 补链 report."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.cli.common import console, fail, open_store
from app.i18n import pair
from graph.analytics import WRITE_BACK_PROPERTIES, Analytics, AnalyticsConfig, Rules, RulesError
from graph.analytics.engine import ENGINES


def analyze(
    write_back: bool = typer.Option(False, "--write-back",
                                    help=f"Write {', '.join(WRITE_BACK_PROPERTIES)} onto every node."),
    rules: Path = typer.Option(None, "--rules", exists=True, dir_okay=False,
                               help="补链 rules file (default: graph/analytics/completeness_rules.yaml)."),
    seed: int = typer.Option(0, help="Seed of community detection and betweenness sampling."),
    sources: int = typer.Option(100, min=2, help="Betweenness sources sampled on large graphs."),
    engine: str = typer.Option(None, help=f"Force an engine: {' or '.join(ENGINES)} (default: by size)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary and timings as JSON."),
    gaps: bool = typer.Option(False, "--gaps", help="Also print the 补链 report: each cluster's roles as present, "
                              "recorded absent or not recorded (with --json: the whole report)."),
) -> None:
    """Importance, communities, brokers, components, reach and the 补链 report, cached per graph version."""
    if engine is not None and engine not in ENGINES:
        fail(f"--engine must be one of {', '.join(ENGINES)}", 2)
    config = AnalyticsConfig(seed=seed, betweenness_sources=sources, engine=engine, rules_path=rules)
    with open_store() as store:
        try:
            analytics = Analytics(store, config)
        except RulesError as exc:
            fail(str(exc), 2)
        steps = analytics.steps()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=as_json, disable=as_json) as progress:
            overall = progress.add_task("analytics", total=len(steps) + (1 if write_back else 0))
            pages = progress.add_task("projection pages", total=None)

            def on_page(done: int, total: int) -> None:
                progress.update(pages, completed=done, total=total)

            def on_step(step, seconds: float) -> None:
                progress.update(overall, advance=1, description=f"analytics: {step.label} done")

            report = analytics.run(on_step=on_step, on_page=on_page)
            written = 0
            if write_back:
                nodes = analytics.projection().number_of_nodes()
                task = progress.add_task("write-back", total=nodes)
                written = analytics.write_back(on_batch=lambda n: progress.advance(task, n))
                progress.advance(overall)
        report_gaps = analytics.gaps() if gaps else None
    if as_json:
        body = {"version": report.version, "summary": report.summary,
                "seconds": {k: round(v, 3) for k, v in report.seconds.items()}, "written": written}
        if report_gaps is not None:
            body["gaps"] = report_gaps
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    table = Table("result", "summary", "seconds", title=f"analytics of graph version {report.version}")
    for step in steps:
        table.add_row(step.label, report.summary[step.name], f"{report.seconds[step.name]:.2f}")
    table.add_row("total", "", f"{sum(report.seconds.values()):.2f}", style="bold")
    console.print(table)
    if write_back:
        console.print(f"wrote {', '.join(WRITE_BACK_PROPERTIES)} onto {written:,} nodes")
    if report_gaps is not None:
        print_gaps(report_gaps, analytics.rules)


STATUS_MARKS = {"present": "✓", "recorded_absent": "✕", "not_recorded": "?"}
"""The mark before each status word, as on the /clusters page."""


def print_gaps(report: list[dict], rules: Rules) -> None:
    """The 补链 report as a table: one row per cluster, one column per role, the status mark and word."""
    table = Table("集群 cluster", "得分 score", *(f"{r.label}\n{r.label_en}" for r in rules.roles),
                  title="补链 · roles the sources record per cluster", show_lines=True)
    for cluster in report:
        cells = []
        for role in cluster["roles"]:
            zh, en = pair(f"gaps.status.{role['status']}")
            cells.append(f"{STATUS_MARKS[role['status']]} {zh}\n{en}")
        table.add_row(f"{cluster['name']}\n{cluster['id']}", f"{cluster['score']:.2f}", *cells)
    console.print(table)
    for key in ("gaps.explain.score", "gaps.explain.not_strength"):
        zh, en = pair(key)
        console.print(f"{zh}\n{en}", style="dim", highlight=False)


def register(cli: typer.Typer) -> None:
    cli.command()(analyze)
