"""A saved query's result as an Excel workbook: the title, the parameters of the run as a person reads
them, the date, then the table under the declared Chinese column names, with entities and citations
linked to their pages.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

from app.i18n import Lang, text
from app.pages.urls import entity_url
from app.query_header import SavedQuery
from app.query_param_fields import ENUM_LABELS
from app.query_params import QueryParam
from app.query_results import citation_path
from graph.model import Node, QueryResult, Relationship, to_json
from graph.model import Path as GraphPath
from graph.ontology import REL_TYPE_BY_NAME


def param_summary(query: SavedQuery, params: dict[str, Any], names: dict[str, tuple[str, str]],
                  lang: Lang = "zh") -> list[tuple[str, str]]:
    """(label, value as a person reads it) of every parameter of a run: names for entity ids, labels
    for choices, 是/否 for booleans, 不限 for a parameter left empty."""
    out = []
    for name, param in query.parameters.items():
        value = params.get(name)
        out.append((param.label_in(name, lang), _shown_value(param, value, names, lang)))
    return out


def _shown_value(param: QueryParam, value: Any, names: dict[str, tuple[str, str]], lang: Lang) -> str:
    if value is None:
        return text("query.any_value", lang)
    if isinstance(value, bool):
        return text("query.yes" if value else "query.no", lang)
    items = value if isinstance(value, list) else [value]
    shown = []
    for item in items:
        if param.is_entity and item in names:
            shown.append(f"{names[item][0 if lang == 'zh' else 1]}（{item}）" if lang == "zh"
                         else f"{names[item][1]} ({item})")
        elif param.effective_choices:
            shown.append(param.choice_label(item, lang))
        else:
            shown.append(f"{item:g}" if isinstance(item, float) else str(item))
    return ("、" if lang == "zh" else ", ").join(shown)


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip().strip("'") or "result"
    return cleaned[:31]


def _xlsx_text(value: Any) -> Any:
    """A plain cell value: numbers stay numbers, booleans become 是/否, lists are joined."""
    if value is None:
        return None
    if isinstance(value, bool):
        return text("query.yes" if value else "query.no", "zh")
    if isinstance(value, int | float):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
        return "、".join(str(v) for v in value)
    if isinstance(value, str):
        return value
    return json.dumps(to_json(value), ensure_ascii=False)


def _node_name(node: Node) -> str:
    return str(node.properties.get("name") or node.id)


def _rel_name(rel: Relationship) -> str:
    label = REL_TYPE_BY_NAME[rel.type].zh if rel.type in REL_TYPE_BY_NAME else rel.type
    return label


class _Sheet:
    """The result table of a spreadsheet: the columns as a person reads them (a node column becomes
    its name plus an id column beside it; an ids column names plus ids)."""

    def __init__(self, query: SavedQuery, result: QueryResult, names: dict[str, tuple[str, str]],
                 base_url: str | None) -> None:
        self.query, self.result, self.names = query, result, names
        self.base = base_url.rstrip("/") if base_url else None
        self.columns: list[tuple[int, str]] = []  # (result column index, "value" | "id")
        for i, column in enumerate(result.columns):
            self.columns.append((i, "value"))
            has_nodes = any(isinstance(row[i], Node) for row in result.rows)
            if has_nodes or query.column_kind(column) in ("ids", "entity"):
                self.columns.append((i, "id"))

    def headers(self) -> list[str]:
        out = []
        for i, part in self.columns:
            label = self.query.column_label(self.result.columns[i], "zh")
            out.append(label if part == "value" else text("query.xlsx.id_column", "zh", column=label))
        return out

    def cell(self, row: list[Any], i: int, part: str) -> tuple[Any, str | None]:
        """(value, hyperlink) of one cell."""
        value = row[i]
        kind = self.query.column_kind(self.result.columns[i])
        if part == "id":
            if isinstance(value, Node):
                return value.id, None
            if isinstance(value, list):
                return "、".join(str(v) for v in value), None
            return value if isinstance(value, str) else None, None
        if isinstance(value, Node):
            return _node_name(value), self._link(entity_url(value.id))
        if isinstance(value, Relationship):
            return f"{value.start} —{_rel_name(value)}→ {value.end}", None
        if isinstance(value, GraphPath):
            parts = [_node_name(value.nodes[0])] if value.nodes else []
            for rel, node in zip(value.relationships, value.nodes[1:], strict=False):
                parts.append(f"—{_rel_name(rel)}→ {_node_name(node)}")
            return " ".join(parts), None
        if kind == "citations" and value:
            citations = [str(c) for c in (value if isinstance(value, list) else [value])]
            sources = {c.partition("#")[0] for c in citations}
            target = citations[0] if len(citations) == 1 else next(iter(sources)) if len(sources) == 1 else citations[0]
            return "; ".join(citations), self._link(citation_path(target))
        if kind == "ids" and isinstance(value, list):
            return "、".join(self.names.get(str(v), (str(v),))[0] for v in value), None
        if kind == "entity" and isinstance(value, str):
            return self.names.get(value, (value,))[0], self._link(entity_url(value))
        if kind == "id" and isinstance(value, str):
            return value, self._link(entity_url(value))
        if kind == "name" and isinstance(value, str):
            of = self.query.columns[self.result.columns[i]].of
            other = row[self.result.columns.index(of)] if of in self.result.columns else None
            return value, self._link(entity_url(other)) if isinstance(other, str) else None
        if kind in ENUM_LABELS and value is not None:
            labels = ENUM_LABELS[kind]
            items = value if isinstance(value, list) else [value]
            return "、".join(labels.get(v, (str(v),))[0] for v in items), None
        return _xlsx_text(value), None

    def _link(self, path: str) -> str | None:
        return f"{self.base}{path}" if self.base else None


def result_xlsx(query: SavedQuery, result: QueryResult, params: dict[str, Any], *,
                names: dict[str, tuple[str, str]] | None = None, base_url: str | None = None,
                when: dt.datetime | None = None) -> bytes:
    """The result as an Excel workbook: a title row (the query's title), the parameters used and the
    date, then the table under the declared Chinese column names. Nodes are shown by name with their id
    in the next column; citations and entities link to their pages when ``base_url`` is known."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    names = names or {}
    when = when or dt.datetime.now().astimezone()
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(query.title)
    sheet.append([query.title + (f" · {query.title_en}" if query.title_en else "")])
    sheet["A1"].font = Font(bold=True, size=14)
    summary = "；".join(f"{label}：{value}" for label, value in param_summary(query, params, names)) or \
        text("query.xlsx.no_params", "zh")
    sheet.append([text("query.xlsx.params", "zh", params=summary)])
    sheet.append([text("query.xlsx.date", "zh", date=when.strftime("%Y-%m-%d %H:%M"))])
    sheet.append([])
    table = _Sheet(query, result, names, base_url)
    headers = table.headers()
    sheet.append(headers)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    widths = [len(h) * 2 + 2 for h in headers]
    for row in result.rows:
        cells = [table.cell(row, i, part) for i, part in table.columns]
        sheet.append([None] * len(cells))
        for col, (value, link) in enumerate(cells, start=1):
            target = sheet.cell(row=sheet.max_row, column=col)
            target.value = value
            if isinstance(value, str):
                target.data_type = "s"  # text starting with "=" stays text, never a formula
                widths[col - 1] = max(widths[col - 1], min(60, sum(2 if ord(c) > 0x2E7F else 1 for c in value) + 2))
            if link:
                target.hyperlink = link
                target.style = "Hyperlink"
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    if headers and result.rows:
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{sheet.max_row}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
