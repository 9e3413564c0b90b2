"""``ecomap chain|targets|whatif|report``: a cluster's industry chain, its 招商 targets, what-if questions
and the chain report, from the command line (the same answers as ``/api/clusters/{id}/…``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from app.chain_report import STATUS_KEYS, build_report, report_html, report_xlsx
from app.cli.common import console, fail, open_store
from app.i18n import pair, text
from graph.analytics import Analytics, UnknownCluster
from graph.analytics.whatif import Addition, WhatIfError

CLUSTER_HELP = "产业集群编号 The cluster's id (e.g. cluster-rail-equipment)."
JSON_HELP = "以 JSON 输出 Print the answer as JSON."


def _both(key: str, **values: Any) -> str:
    zh, en = pair(key, **values)
    return f"{zh}\n{en}"


def _answer(cluster_id: str, question: str, *args: Any) -> dict[str, Any]:
    """``chain``, ``targets`` or ``whatif`` of the cluster with its graph version; errors end the command."""
    with open_store() as store:
        analytics = Analytics(store)
        try:
            result = getattr(analytics, question)(cluster_id, *args)
        except UnknownCluster:
            fail(_both("chain_report.cli.unknown_cluster", id=cluster_id))
        except WhatIfError as exc:
            fail(f"{exc.message_zh}\n{exc.message_en}")
        return {"version": analytics.version or 0, **result}


def _print_json(body: dict[str, Any]) -> None:
    typer.echo(json.dumps(body, ensure_ascii=False))


def _status(status: str) -> str:
    zh, en = pair(STATUS_KEYS[status])
    return f"{zh} {en}"


def _firms(firms: list[dict[str, Any]], leader_mark: bool) -> str:
    return "\n".join(f"{op['name']}" + (" ★链主" if leader_mark and op.get("leader") else "") for op in firms) or "—"


def chain_command(cluster: str = typer.Argument(..., help=CLUSTER_HELP),
                  as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """产业链：各环节从上游到下游，本地与省外企业、状态。 The chain upstream → downstream with each link's
    local and outside enterprises and its status (gap, fragile, covered)."""
    body = _answer(cluster, "chain")
    if as_json:
        _print_json(body)
        return
    table = Table("列 col", "环节 link", "位置 position", "状态 status", "本地企业 local", "省外企业 outside",
                  title=f"{body['cluster']['name']} · 产业链 chain ({body['basis']})", show_lines=True)
    for link in body["links"]:
        table.add_row(str(link["column"] + 1), Text(f"{link['name']}\n{link['id']}"), Text(link["position"] or "—"),
                      _status(link["status"]), Text(_firms(link["local"], True)), Text(_firms(link["outside"], False)))
    console.print(table)
    zh, en = pair("chain_report.page.counts", **body["counts"])
    console.print(f"{zh} · {en} · score {body['score']:.2f}", highlight=False, markup=False)


def targets_command(cluster: str = typer.Argument(..., help=CLUSTER_HELP),
                    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
                    limit: int = typer.Option(None, "--limit", min=1, help="每个环节最多列出的候选（默认全部） Most "
                                                                            "candidates shown per link (default: all).")
                    ) -> None:
    """招商目标：缺口与薄弱环节的省外候选企业及得分依据。 The 招商 candidates of every gap and fragile link,
    ranked, with the parts of each score."""
    body = _answer(cluster, "targets")
    for link in body["links"]:
        link["candidates"] = link["candidates"][:limit]  # a None limit keeps them all
    if as_json:
        _print_json(body)
        return
    table = Table("环节 link", "排名 rank", "候选 candidate", "地区 region", "得分 score", "得分构成 parts",
                  title=f"{body['cluster']['name']} · 招商目标 targets", show_lines=True)
    for link in body["links"]:
        if not link["candidates"]:
            note = link["no_candidates"] or {"zh": "", "en": ""}
            table.add_row(Text(link["name"]), "—", Text(f"{note['zh']}\n{note['en']}"), "", "", "")
        for rank, c in enumerate(link["candidates"], start=1):
            parts = "；".join(f"{p['label']} {p['points']:g}" for p in c["parts"] if p["count"]) or "—"
            table.add_row(Text(link["name"]), str(rank), Text(f"{c['name']}\n{c['id']}"), Text(c["region"] or "—"),
                          f"{c['score']:g}", Text(parts))
    console.print(table)


def _addition(value: str) -> Addition:
    link, sep, rest = value.partition(":")
    name, _, flag = rest.partition(":")
    if not sep or not link or not name or flag not in ("", "leader"):
        fail(_both("chain_report.cli.bad_add", value=value), 2)
    return Addition(link, name, flag == "leader")


def whatif_command(cluster: str = typer.Argument(..., help=CLUSTER_HELP),
                   remove: list[str] = typer.Option(None, "--remove", help="去掉的实体编号（可多次） Id of an entity "
                                                                           "to leave out (repeatable)."),
                   add: list[str] = typer.Option(None, "--add", help="假设新增的企业 LINK:NAME[:leader]（可多次） A "
                                                                     "hypothetical enterprise (repeatable)."),
                   as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """假设分析：去掉或新增企业后，哪些环节成为缺口或薄弱，得分如何变化（不写入数据）。 What the cluster
    would lose or gain; nothing is written."""
    additions = [_addition(a) for a in add or []]
    body = _answer(cluster, "whatif", list(remove or []), additions)
    if as_json:
        _print_json(body)
        return
    table = Table("环节 link", "之前 before", "之后 after", "本地企业 local", title="假设分析 what-if", show_lines=True)
    for link in body["links"]:
        if link["before"] != link["after"] or link["local_before"] != link["local_after"]:
            table.add_row(Text(link["name"]), _status(link["before"]), _status(link["after"]),
                          f"{link['local_before']} → {link['local_after']}")
    console.print(table)
    score = body["score"]
    console.print(f"得分 score {score['before']:.2f} → {score['after']:.2f} ({score['delta']:+.2f})", highlight=False)
    for key, label in (("became_gap", "成为缺口 became gaps"), ("became_fragile", "成为薄弱 became fragile")):
        if body[key]:
            console.print(f"{label}: {', '.join(body[key])}", highlight=False, markup=False)
    for key, label in (("roles_lost", "失去的角色 roles lost"), ("roles_gained", "获得的角色 roles gained")):
        if body[key]:
            console.print(f"{label}: {', '.join(r['label'] for r in body[key])}", highlight=False, markup=False)


def report_command(cluster: str = typer.Argument(..., help=CLUSTER_HELP),
                   out: Path = typer.Option(..., "--out", dir_okay=False,
                                            help="输出文件 .xlsx 或 .html The file to write (.xlsx or .html)."),
                   ) -> None:
    """产业链报告（一图一清单）写入 Excel 或可打印的 HTML。 Write the chain report as a workbook or a
    printable page."""
    kind = out.suffix.lower()
    if kind not in (".xlsx", ".html"):
        fail(_both("chain_report.cli.bad_out", path=str(out)), 2)
    with open_store() as store:
        try:
            report = build_report(Analytics(store), cluster)
        except UnknownCluster:
            fail(_both("chain_report.cli.unknown_cluster", id=cluster))
        data = report_xlsx(report) if kind == ".xlsx" else report_html(report, standalone=True).encode("utf-8")
    try:
        out.write_bytes(data)
    except OSError as exc:
        fail(f"无法写入 cannot write {out}: {exc.strerror}")
    console.print(text("chain_report.cli.written", "zh", path=str(out)), markup=False, highlight=False)


def register(cli: typer.Typer) -> None:
    cli.command("chain")(chain_command)
    cli.command("targets")(targets_command)
    cli.command("whatif")(whatif_command)
    cli.command("report")(report_command)
