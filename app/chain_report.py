"""The chain report of one cluster ("一图一清单"): its chain, the enterprises of every link, the gap and
fragile links, the 招商 targets, the support around it and every source cited, as tables built once
and written as an Excel workbook (``report_xlsx``), a printable page (``app/routes/chain_report.py``)
and by the CLI (``ecomap report``).

Every row that states a fact carries the citations of the link or entity it is about.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from app.i18n import text
from app.pages.render import STANDALONE_CSP, inline_assets, render
from app.pages.urls import citation_url, cluster_url, entity_url
from app.query_entities import entity_names
from app.query_results import citation_path
from graph.analytics import Analytics
from graph.ontology import REL_TYPE_BY_NAME
from graph.store import GraphStore

STATUS_KEYS = {"gap": "chain_report.status.gap", "fragile": "chain_report.status.fragile",
               "ok": "chain_report.status.ok"}
LOCALITY_KEYS = {"local": "chain_report.locality.local", "outside": "chain_report.locality.outside",
                 "unknown": "chain_report.locality.unknown"}
SUPPORT_TYPE_KEYS = {"Platform": "chain_report.support.platform",
                     "FinancialInstitution": "chain_report.support.finance", "Policy": "chain_report.support.policy"}
SOURCES_QUERY = "MATCH (s:Source) WHERE s.id IN $ids RETURN s.id, s.title, s.sections"
ENTITY_SOURCES_QUERY = "MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id, n.sources"


@dataclass(frozen=True)
class Column:
    """One column: ``key`` names its header (``chain_report.col.<key>``); ``kind`` is ``text``,
    ``citations`` (a list of citations), ``url``, or ``name`` (an entity's name, whose id is in the
    column ``of``)."""
    key: str
    kind: str = "text"
    of: str | None = None


@dataclass
class Table:
    """One sheet of the workbook and one table of the page; ``key`` names it (``chain_report.sheet.<key>``)."""
    key: str
    columns: tuple[Column, ...]
    rows: list[list[Any]] = field(default_factory=list)

    def index(self, key: str) -> int:
        return [c.key for c in self.columns].index(key)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip((c.key for c in self.columns), row, strict=True)) for row in self.rows]


@dataclass
class ChainReport:
    cluster: dict[str, Any]
    chain: dict[str, Any]
    targets: dict[str, Any]
    tables: list[Table]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def _words(key: str) -> str:
    return text(key, "zh")


def _rel_word(rel: str) -> str:
    return REL_TYPE_BY_NAME[rel].zh if rel in REL_TYPE_BY_NAME else rel


def path_text(steps: list[dict[str, str]], names: dict[str, tuple[str, str]]) -> str:
    """Relationships as a person reads them: ``甲 —合作→ 乙，乙 —位于→ 丙``."""
    def name(node: str) -> str:
        return names.get(node, (node,))[0]

    return "，".join(f"{name(s['start'])} —{_rel_word(s['rel'])}→ {name(s['end'])}" for s in steps)


def _chain_table(view: dict[str, Any]) -> Table:
    table = Table("chain", (Column("column"), Column("link", "name", "link_id"), Column("link_id"),
                            Column("position"), Column("status"), Column("local_count"), Column("outside_count"),
                            Column("sources", "citations")))
    for link in view["links"]:
        table.rows.append([link["column"] + 1, link["name"], link["id"], link["position"],
                           _words(STATUS_KEYS[link["status"]]), len(link["local"]), len(link["outside"]),
                           link["sources"]])
    return table


def _firms_table(view: dict[str, Any]) -> Table:
    table = Table("firms", (Column("link", "name", "link_id"), Column("link_id"),
                            Column("enterprise", "name", "enterprise_id"), Column("enterprise_id"),
                            Column("locality"), Column("leader"), Column("region"), Column("sources", "citations")))
    for link in view["links"]:
        firms = [(op, op["locality"]) for op in link["local"]] + [(op, "outside") for op in link["outside"]]
        for op, locality in firms:
            table.rows.append([link["name"], link["id"], op["name"], op["id"], _words(LOCALITY_KEYS[locality]),
                               _words("query.yes" if op.get("leader") else "query.no"), op["region"], op["sources"]])
    return table


def _weak_table(view: dict[str, Any]) -> Table:
    table = Table("weak", (Column("link", "name", "link_id"), Column("link_id"), Column("status"),
                           Column("local_count"), Column("reason"), Column("sources", "citations")))
    for link in view["links"]:
        if link["status"] == "ok":
            continue
        if link["status"] == "gap":
            reason = text("chain_report.reason.gap", "zh", outside=len(link["outside"]))
        else:
            firms = "、".join(op["name"] for op in link["local"])
            reason = text("chain_report.reason.fragile", "zh", count=len(link["local"]), firms=firms)
        sources = sorted({*link["sources"], *(s for op in link["local"] for s in op["sources"])})
        table.rows.append([link["name"], link["id"], _words(STATUS_KEYS[link["status"]]), len(link["local"]),
                           reason, sources])
    return table


def _parts_text(parts: list[dict[str, Any]]) -> str:
    return "；".join(f"{p['label']} {p['count']}×{p['weight']:g}={p['points']:g}" for p in parts if p["count"]) or \
        _words("chain_report.no_points")


def _evidence_text(parts: list[dict[str, Any]], names: dict[str, tuple[str, str]]) -> str:
    items = []
    for part in parts:
        for item in part["evidence"]:
            via = path_text(item["anchor_path"], names)
            items.append(f"{part['label']}：{path_text(item['path'], names)}" + (f"（{via}）" if via else ""))
    return "；".join(items)


def _path_nodes(answer: dict[str, Any]) -> set[str]:
    return {node for link in answer["links"] for c in link["candidates"] for p in c["parts"] for item in p["evidence"]
            for step in item["path"] + item["anchor_path"] for node in (step["start"], step["end"])}


def _targets_table(view: dict[str, Any], answer: dict[str, Any], names: dict[str, tuple[str, str]]) -> Table:
    table = Table("targets", (Column("link", "name", "link_id"), Column("link_id"), Column("rank"),
                              Column("candidate", "name", "candidate_id"), Column("candidate_id"), Column("region"),
                              Column("score"), Column("parts"), Column("evidence"), Column("sources", "citations")))
    outside = {op["id"]: op for link in view["links"] for op in link["outside"]}
    for link in answer["links"]:
        if not link["candidates"]:
            note = (link["no_candidates"] or {}).get("zh", "")
            table.rows.append([link["name"], link["id"], None, None, None, None, None, None, note, []])
        for rank, c in enumerate(link["candidates"], start=1):
            sources = outside.get(c["id"], {}).get("sources", [])
            table.rows.append([link["name"], link["id"], rank, c["name"], c["id"], c["region"], c["score"],
                               _parts_text(c["parts"]), _evidence_text(c["parts"], names), sources])
    return table


def _support_table(view: dict[str, Any], report: dict[str, Any], sources_of: dict[str, list[str]]) -> Table:
    table = Table("support", (Column("kind"), Column("subject"), Column("status"),
                              Column("entity", "name", "entity_id"), Column("entity_id"), Column("relation"),
                              Column("sources", "citations")))
    role_kind = _words("chain_report.support.role")
    for role in report["roles"]:
        status = _words(f"gaps.status.{role['status']}")
        if not role["evidence"]:
            table.rows.append([role_kind, role["label"], status, None, None, None, role["absent_sources"]])
        for e in role["evidence"]:
            relation = path_text(e["path"], {})
            table.rows.append([role_kind, role["label"], status, e["name"], e["entity"], relation,
                               sources_of.get(e["entity"], [])])
    for link in view["links"]:
        for s in link["support"]:
            kind = _words(SUPPORT_TYPE_KEYS.get(s["type"], "chain_report.support.other"))
            table.rows.append([kind, link["name"], None, s["name"], s["id"], _rel_word(s["rel"]),
                               sorted({*link["sources"], *sources_of.get(s["id"], [])})])
    return table


def _section_title(sections: Any, section: str) -> str | None:
    if isinstance(sections, list) and section.isdigit() and int(section) < len(sections):
        return str(sections[int(section)])
    return None


def _sources_table(store: GraphStore, tables: list[Table], base_url: str | None) -> Table:
    cited = sorted({c for t in tables for i, col in enumerate(t.columns) if col.kind == "citations"
                    for row in t.rows for c in row[i]})
    ids = sorted({c.partition("#")[0] for c in cited})
    found = {sid: (title, sections) for sid, title, sections in
             store.read(SOURCES_QUERY, {"ids": ids}, row_cap=max(len(ids), 1)).rows} if ids else {}
    base = (base_url or "").rstrip("/")
    table = Table("sources", (Column("citation"), Column("source_title"), Column("section"), Column("url", "url")))
    for citation in cited:
        source, _, section = citation.partition("#")
        title, sections = found.get(source, (None, None))
        table.rows.append([citation, title, _section_title(sections, section), base + citation_path(citation)])
    return table


def _entity_sources(store: GraphStore, ids: set[str]) -> dict[str, list[str]]:
    if not ids:
        return {}
    rows = store.read(ENTITY_SOURCES_QUERY, {"ids": sorted(ids)}, row_cap=len(ids)).rows
    return {node: [s for s in sources if isinstance(s, str)] for node, sources in rows if isinstance(sources, list)}


def build_report(analytics: Analytics, cluster_id: str, base_url: str | None = None) -> ChainReport:
    """Every table of the report of ``cluster_id``; ``base_url`` makes the source links absolute.

    Raises
    ------
    UnknownCluster
    """
    view = analytics.chain(cluster_id)
    answer = analytics.targets(cluster_id)
    report = analytics.cluster_report(cluster_id)
    store = analytics.store
    names = entity_names(store, _path_nodes(answer))
    support_ids = {e["entity"] for r in report["roles"] for e in r["evidence"]} | \
        {s["id"] for link in view["links"] for s in link["support"]}
    tables = [_chain_table(view), _firms_table(view), _weak_table(view), _targets_table(view, answer, names),
              _support_table(view, report, _entity_sources(store, support_ids))]
    tables.append(_sources_table(store, tables, base_url))
    return ChainReport(view["cluster"], view, answer, tables)


# -- the workbook ---------------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or None
    return value


def _width(value: Any) -> int:
    return sum(2 if ord(c) > 0x2E7F else 1 for c in str(value)) + 2 if value is not None else 0


def _write(sheet: Any, headers: list[str], rows: list[list[Any]], links: list[list[str | None]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [_width(h) for h in headers]
    for values, row_links in zip(rows, links, strict=True):
        sheet.append([None] * len(values))
        for col, (value, link) in enumerate(zip(values, row_links, strict=True), start=1):
            target = sheet.cell(row=sheet.max_row, column=col)
            target.value = value
            if isinstance(value, str):
                target.data_type = "s"  # text starting with "=" stays text, never a formula
            if link:
                target.hyperlink = link
                target.style = "Hyperlink"
            widths[col - 1] = min(60, max(widths[col - 1], _width(value)))
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{sheet.max_row}"


def _links(table: Table, row: list[Any], base_url: str | None) -> list[str | None]:
    """The hyperlink of each cell of a row (only with ``base_url``: a workbook has no page to be relative to)."""
    if not base_url:
        return [None] * len(row)
    base = base_url.rstrip("/")
    out: list[str | None] = []
    for col, value in zip(table.columns, row, strict=True):
        if col.kind == "url" and value:
            out.append(value)
        elif col.kind == "citations" and len(value) == 1:
            out.append(base + citation_path(value[0]))
        elif col.kind == "name" and col.of and row[table.index(col.of)]:
            out.append(f"{base}/entity/{quote(str(row[table.index(col.of)]), safe='')}")
        else:
            out.append(None)
    return out


def report_xlsx(report: ChainReport, base_url: str | None = None) -> bytes:
    """The report as a workbook: one sheet per table under Chinese headers, then 说明 (the columns in both
    languages). Text is always stored as text, never as a formula."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for table in report.tables:
        sheet = book.create_sheet(_words(f"chain_report.sheet.{table.key}"))
        headers = [_words(f"chain_report.col.{c.key}") for c in table.columns]
        rows = [[_cell(v) for v in row] for row in table.rows]
        _write(sheet, headers, rows, [_links(table, row, base_url) for row in table.rows])
    notes = book.create_sheet(_words("chain_report.sheet.notes"))
    note_rows = [[text(f"chain_report.sheet.{t.key}", "zh"), text(f"chain_report.sheet.{t.key}", "en"),
                  text(f"chain_report.col.{c.key}", "zh"), text(f"chain_report.col.{c.key}", "en")]
                 for t in report.tables for c in t.columns]
    note_rows += [[text(key, "zh"), text(key, "en"), None, None] for key in
                  ("chain_report.explain.status", "chain_report.explain.locality", "chain_report.explain.score")]
    _write(notes, [text("chain_report.col.notes_sheet", "zh"), text("chain_report.col.notes_sheet", "en"),
                   text("chain_report.col.notes_column", "zh"), text("chain_report.col.notes_column", "en")],
           note_rows, [[None] * 4 for _ in note_rows])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- the printable page ---------------------------------------------------------------------------------
def report_html(report: ChainReport, standalone: bool = False) -> str:
    """The printable page: the chain drawn as columns of link boxes, then every table. ``standalone``
    inlines the page's assets (a file to open without the server)."""
    view = report.chain
    columns = [{"key": c["key"], "positions": c["positions"],
                "links": [link for link in view["links"] if link["column"] == i]}
               for i, c in enumerate(view["columns"])]
    extra: dict[str, Any] = {"standalone": True, "csp": Markup(STANDALONE_CSP), "inline": inline_assets()} \
        if standalone else {}
    return render("chain_report.html", page="chain_report", report=report, view=view, columns=columns,
                  status_keys=STATUS_KEYS, entity_url=entity_url, cluster_url=cluster_url,
                  citation_url=citation_url, **extra)
