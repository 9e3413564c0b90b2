"""From sheets to validated records: headers mapped to fields, type names resolved, cells parsed
and checked against the ontology's pydantic models, duplicate records merged (or reported when
they disagree). Every problem is collected with its file, row and column; nothing is dropped or
coerced. Checks that need the store (do endpoints exist? is a node new, so that it needs its
required properties?) are ``loaders.plan``'s.

Records are kept column by column (``Table``): validation runs a column at a time, and the
writers send columns to the store, so a large load never builds one object per cell.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from pydantic import ValidationError

from graph.ontology import ID_PATTERN, MAX_TEXT_LENGTH, Prop, PropType
from loaders.cells import FALSE_WORDS, FLOAT_EXACT_INT, TRUE_WORDS, CellError, parse_cell, unneutralise
from loaders.headers import END, START, TYPE, field_for_header, fields_of, resolve_type
from loaders.models import column_adapter
from loaders.problems import Problem, Problems, a, preview
from loaders.readers import Invalid, Sheet


class _Bad:
    """Marks a cell that had a problem (already reported): present, but never written."""

    def __repr__(self) -> str:
        return "<invalid>"


BAD = _Bad()
KEY_FIELDS = {"node": ("id",), "rel": (START, END)}
_ID_PROP = Prop(START, PropType.STRING, "起点", "node id")

Loc = tuple[int, int | str]
"""Where a record came from: (sheet number, row)."""


@dataclass
class Table:
    """All records of one node label or relationship type, column by column.

    ``keys`` are node ids or (start, end) pairs; ``columns`` map property names to values aligned
    with ``keys`` (``None``: not given); ``locs`` say where each record was first seen.
    """

    kind: str
    type: str
    keys: list[Any] = field(default_factory=list)
    columns: dict[str, list[Any]] = field(default_factory=dict)
    locs: list[Loc] = field(default_factory=list)
    index: dict[Any, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    def record(self, pos: int) -> dict[str, Any]:
        """The given properties of one record."""
        return {f: col[pos] for f, col in self.columns.items() if col[pos] is not None}

    def add_column(self, name: str) -> list[Any]:
        if name not in self.columns:
            self.columns[name] = [None] * len(self.keys)
        return self.columns[name]

    def extend(self, keys: list[Any], locs: list[Loc]) -> None:
        """Add records that give no properties."""
        self.index.update(zip(keys, range(len(self.keys), len(self.keys) + len(keys)), strict=True))
        for column in self.columns.values():
            column.extend([None] * len(keys))
        self.keys.extend(keys)
        self.locs.extend(locs)

    def append(self, key: Any, loc: Loc, props: dict[str, Any]) -> None:
        self.index[key] = len(self.keys)
        for name in props:
            self.add_column(name)
        for name, col in self.columns.items():
            col.append(props.get(name))
        self.keys.append(key)
        self.locs.append(loc)


@dataclass
class Collected:
    """The validated input: node and relationship tables, and every problem found so far."""

    files: list[str] = field(default_factory=list)
    sheets: list[Sheet] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    """Per sheet: field → the header it was given under."""
    nodes: dict[str, Table] = field(default_factory=dict)
    rels: dict[str, Table] = field(default_factory=dict)
    node_label: dict[str, str] = field(default_factory=dict)
    """Every node id in the input → its label."""
    problems: Problems = field(default_factory=Problems)
    """The first ``MAX_PROBLEMS`` problems, and the count of the others."""

    def __post_init__(self) -> None:
        if not isinstance(self.problems, Problems):
            self.problems = Problems(self.problems)

    # -- locations ---------------------------------------------------------------------
    def where(self, loc: Loc, name: str) -> tuple[str, int | str, str]:
        sheet_no, row = loc
        return self.sheets[sheet_no].source, row, self.headers[sheet_no].get(name, name)

    def problem(self, loc: Loc, name: str, reason: str) -> None:
        self.problems.append(Problem(*self.where(loc, name), reason))

    def describe(self, loc: Loc) -> str:
        sheet_no, row = loc
        return f"{self.sheets[sheet_no].source}:{row}"

    def node_loc(self, node_id: str) -> Loc:
        table = self.nodes[self.node_label[node_id]]
        return table.locs[table.index[node_id]]

    # -- adding sheets -----------------------------------------------------------------
    def add_sheet(self, sheet: Sheet) -> int:
        """Validate one sheet and merge its records; returns the number of records it held."""
        sheet_no = len(self.sheets)
        self.sheets.append(sheet)
        columns = self._map_headers(sheet, sheet_no)
        if not sheet.rows:
            return 0
        for (kind, type_name), rows in self._group_by_type(sheet, sheet_no, columns).items():
            self._add_group(sheet, sheet_no, columns, kind, type_name, rows)
        return len(sheet.rows)

    def _map_headers(self, sheet: Sheet, sheet_no: int) -> dict[str, int]:
        columns: dict[str, int] = {}
        header_of: dict[str, str] = {}
        self.headers.append(header_of)
        for col, header in enumerate(sheet.headers):
            name = field_for_header(header) if isinstance(header, str) else None
            if name is None:
                row, more = self._first_use(sheet, col)
                if row is not None:
                    extra = f" (and {more} more record(s))" if more else ""
                    self.problems.append(Problem(sheet.source, row, header, f"unknown column {header!r}: not a "
                                                 f"field of any node or relationship type{extra}"))
            elif name in columns:
                self.problems.append(Problem(sheet.source, sheet.header_row, header,
                                             f"{header!r} and {header_of[name]!r} both mean the field {name!r}"))
            else:
                columns[name] = col
                header_of[name] = header
        return columns

    @staticmethod
    def _first_use(sheet: Sheet, col: int) -> tuple[int | str | None, int]:
        """Where an unknown column is first used: the header row of a table, the first record
        holding it in JSON/YAML (plus how many more do)."""
        if sheet.text_cells:
            return sheet.header_row, 0
        used = [i for i, v in enumerate(sheet.columns[col]) if v is not None]
        return (sheet.rows[used[0]], len(used) - 1) if used else (None, 0)

    def _group_by_type(self, sheet: Sheet, sheet_no: int, columns: dict[str, int]) -> dict[tuple[str, str], list[int]]:
        default = resolve_type(sheet.default_type) if sheet.default_type else None
        type_col = sheet.columns[columns[TYPE]] if TYPE in columns else None
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        if type_col is None and default is None:
            named = f", and the name {sheet.default_type!r} is not a type" if sheet.default_type else ""
            self.problems.append(Problem(sheet.source, sheet.header_row, TYPE,
                                         f"no 'type' (类型) column{named}: say what each record is"))
            return groups
        header = self.headers[sheet_no].get(TYPE, TYPE)
        by_value: dict[Any, list[int]] = {}
        values = type_col if type_col is not None else [None] * len(sheet.rows)
        # Records of a type usually come in runs: group run by run.
        starts = [0, *[i for i in range(1, len(values)) if values[i] != values[i - 1]], len(values)]
        for start, stop in zip(starts, starts[1:], strict=False):
            try:
                by_value.setdefault(values[start], []).extend(range(start, stop))
            except TypeError:  # a JSON list or mapping
                self.problems += [Problem(sheet.source, sheet.rows[i], header, f"the type must be text, not "
                                          f"{preview(values[i])}") for i in range(start, stop)]
        for value, rows in by_value.items():
            if value is None or value == "":
                kind_name, reason = default, "no type given"
            elif not isinstance(value, str):
                kind_name, reason = None, f"the type must be text, not {preview(value)}"
            else:
                kind_name = resolve_type(unneutralise(value) if sheet.text_cells else value)
                reason = (f"unknown type {preview(value)}: use a node label (Enterprise, 企业…) or a relationship type "
                          "(MEMBER_OF, 属于集群…)")
            if kind_name is not None and sheet.expect and kind_name[0] != sheet.expect:
                kind_word, where = ("node", "nodes") if sheet.expect == "node" else ("relationship", "relationships")
                kind_name, reason = None, f"{kind_name[1]} is not a {kind_word} type, but the record is in the " \
                                          f"{where!r} list"
            if kind_name is None:
                self.problems += [Problem(sheet.source, sheet.rows[i], header, reason) for i in rows]
            else:
                groups[kind_name] += rows
        for rows in groups.values():
            rows.sort()
        return groups

    def _add_group(self, sheet: Sheet, sheet_no: int, columns: dict[str, int], kind: str, type_name: str,
                   rows: list[int]) -> None:
        allowed = fields_of(kind, type_name)
        parsed: dict[str, list[Any]] = {}
        for name, col in columns.items():
            if name == TYPE:
                continue
            values = _gather(sheet.columns[col], rows)
            if name in (START, END) and kind == "rel":
                prop = _ID_PROP
            elif name not in allowed:
                reason = (f"a node record has no {name!r}; is its type right?" if name in (START, END)
                          else f"{type_name} has no property {name!r}")
                for j, value in enumerate(values):
                    if value is not None and value != "":
                        self.problems.append(Problem(sheet.source, sheet.rows[rows[j]],
                                                     self.headers[sheet_no][name], reason))
                continue
            else:
                prop = allowed[name]
            parsed[name] = self._parse_column(sheet, sheet_no, rows, values, name, prop, kind, type_name)
        self._merge(sheet, sheet_no, kind, type_name, rows, parsed)

    # -- cells -------------------------------------------------------------------------
    def _parse_column(self, sheet: Sheet, sheet_no: int, rows: list[int], values: list[Any], name: str,
                      prop: Prop, kind: str, type_name: str) -> list[Any]:
        """The column's values typed and validated; ``None`` where not given, ``BAD`` where rejected."""
        if sheet.text_cells:
            out = _quick_text_column(values, prop.type)
            slow = [j for j, v in enumerate(out) if v is _SLOW] if _SLOW in out else []
        else:
            out = list(values)
            slow = [j for j, v in enumerate(out) if type(v) is Invalid or
                    (prop.type is PropType.FLOAT and type(v) is int and abs(v) > FLOAT_EXACT_INT)]
        failed: dict[int, str] = {}
        for j in slow:
            value = values[j]
            try:
                if isinstance(value, Invalid):
                    raise CellError(value.reason)
                if not sheet.text_cells:
                    raise CellError(f"{value} cannot be stored exactly as a number (more than 2^53)")
                out[j] = _text_cell(value, prop.type)
            except CellError as exc:
                failed[j] = str(exc)
        if failed:
            positions = [j for j, v in enumerate(out) if v is not None and j not in failed]
        elif None in out:
            positions = [j for j, v in enumerate(out) if v is not None]
        else:
            positions = list(range(len(out)))
        candidates = out if len(positions) == len(out) else [out[j] for j in positions]
        adapter = column_adapter(kind, type_name, name)
        try:
            checked = adapter.validate_python(candidates)
        except ValidationError as exc:
            errors: dict[int, str] = {}
            for err in exc.errors():
                errors.setdefault(err["loc"][0], _reason(err, name, prop, candidates[err["loc"][0]]))
            failed.update((positions[k], reason) for k, reason in errors.items())
            keep = [k for k in range(len(candidates)) if k not in errors]
            checked = adapter.validate_python([candidates[k] for k in keep])
            positions = [positions[k] for k in keep]
        if len(positions) == len(out):
            out = checked
        else:
            for j, value in zip(positions, checked, strict=True):
                out[j] = value
        header = self.headers[sheet_no][name]
        for j in sorted(failed):
            self.problems.append(Problem(sheet.source, sheet.rows[rows[j]], header, failed[j]))
            out[j] = BAD
        return out

    # -- records -----------------------------------------------------------------------
    def _merge(self, sheet: Sheet, sheet_no: int, kind: str, type_name: str, rows: list[int],
               parsed: dict[str, list[Any]]) -> None:
        """Add a group's records to its table; a record given again is merged into the first."""
        tables = self.nodes if kind == "node" else self.rels
        table = tables.setdefault(type_name, Table(kind, type_name))
        key_fields = KEY_FIELDS[kind]
        for name in key_fields:
            if name not in parsed:
                self.problems.append(Problem(sheet.source, sheet.header_row, name,
                                             f"{type_name} records need the column {name!r}"))
                return
            for j in [j for j, v in enumerate(parsed[name]) if v is None] if None in parsed[name] else []:
                self.problem((sheet_no, sheet.rows[rows[j]]), name, f"empty {name}: every {type_name} record needs one")
        parts = [parsed[n] for n in key_fields]
        keys = parts[0] if kind == "node" else list(zip(parts[0], parts[1], strict=True))
        if all(None not in p and BAD not in p for p in parts):
            usable: Iterable[int] = range(len(rows))
        else:
            usable = [j for j in range(len(rows)) if all(p[j] is not None and p[j] is not BAD for p in parts)]
        props = {n: v for n, v in parsed.items() if n not in (START, END)}
        index, base = table.index, len(table.keys)
        new: list[int] = []
        again: list[int] = []
        if isinstance(usable, range) and self._all_new(table, kind, type_name, keys):
            new = list(usable)
        elif kind == "node":
            node_label = self.node_label
            for j in usable:
                key = keys[j]
                label = node_label.get(key)
                if label is None:
                    node_label[key] = type_name
                    index[key] = base + len(new)
                    new.append(j)
                elif label == type_name:
                    again.append(j)
                else:
                    where = self.describe(self.node_loc(key))
                    self.problem((sheet_no, sheet.rows[rows[j]]), "id", f"the id {key!r} is already used by {a(label)} "
                                                                        f"at {where}; ids are unique across all types")
        else:
            for j in usable:
                key = keys[j]
                if key in index:
                    again.append(j)
                else:
                    index[key] = base + len(new)
                    new.append(j)
        every = len(new) == len(keys)
        for name in props:
            table.add_column(name)
        for name, column in table.columns.items():
            values = props.get(name)
            if values is None:
                column.extend([None] * len(new))
            else:
                column.extend(values if every else [values[j] for j in new])
        table.keys.extend(keys if every else [keys[j] for j in new])
        table.locs.extend([(sheet_no, sheet.rows[rows[j]]) for j in new])
        for j in again:
            given = {n: column[j] for n, column in props.items() if column[j] is not None}
            self._merge_duplicate(table, index[keys[j]], (sheet_no, sheet.rows[rows[j]]), given)

    def _all_new(self, table: Table, kind: str, type_name: str, keys: list[Any]) -> bool:
        """Register ``keys`` at once when none repeats and none is known yet (the common case)."""
        base = len(table.keys)
        fresh = dict(zip(keys, range(base, base + len(keys)), strict=True))
        known = self.node_label if kind == "node" else table.index
        if len(fresh) != len(keys) or not known.keys().isdisjoint(fresh):
            return False
        table.index.update(fresh)
        if kind == "node":
            self.node_label.update(dict.fromkeys(keys, type_name))
        return True

    def _merge_duplicate(self, table: Table, pos: int, loc: Loc, values: dict[str, Any]) -> None:
        """A record given again: fill in what the first one did not give; disagreement is a problem."""
        for name, value in values.items():
            column = table.add_column(name)
            current = column[pos]
            if current is None or current is BAD:
                column[pos] = value
            elif value is not BAD and current != value:
                what = f"id {table.keys[pos]!r}" if table.kind == "node" else \
                    f"{table.type} {table.keys[pos][0]!r}→{table.keys[pos][1]!r}"
                self.problem(loc, name, f"{what} is also given at {self.describe(table.locs[pos])} with "
                                        f"{name} = {preview(current)}, here {preview(value)}")


def _gather(column: list[Any], rows: list[int]) -> list[Any]:
    """``[column[i] for i in rows]``, at C speed."""
    if rows and rows[-1] - rows[0] + 1 == len(rows):  # sorted, distinct, contiguous
        return column[rows[0]:rows[-1] + 1]
    if len(rows) == 1:
        return [column[rows[0]]]
    return list(itemgetter(*rows)(column)) if rows else []


_SLOW = object()
"""Marks a text cell the quick column rules leave to ``_text_cell``."""
_BOOL_TEXT = {w: value for words, value in ((TRUE_WORDS, True), (FALSE_WORDS, False))
              for word in words for w in (word, word.upper(), word.title())}
_SHORT_DECIMAL = re.compile(r"[+-]?[0-9]{1,15}(\.[0-9]*)?").fullmatch
_SHORT_DECIMALS = re.compile(r"[+-]?[0-9]{1,15}(\.[0-9]*)?(\n[+-]?[0-9]{1,15}(\.[0-9]*)?)*").fullmatch
_SHORT_INTEGER = re.compile(r"[+-]?[0-9]{1,18}").fullmatch


def _plain_text(values: list[Any]) -> str | None:
    """The cells joined by line breaks when every cell is one line of non-empty text with no
    protecting quote (the common case, checked at C speed); else ``None``."""
    try:
        text = "\n".join(values)
    except TypeError:  # numbers or dates in a worksheet
        return None
    plain = values and "" not in values and values[0][0] != "'" and "\n'" not in text
    return text if plain and text.count("\n") == len(values) - 1 else None


def _quick_text_column(values: list[Any], prop_type: PropType) -> list[Any]:
    """The common cells of a text column parsed in one pass (empty → ``None``); anything unusual —
    a protecting quote, a non-text Excel value, a long number, a list with several items —
    becomes ``_SLOW`` for ``_text_cell`` to decide."""
    if prop_type is PropType.STRING:
        if _plain_text(values) is not None:
            return list(values)
        return [None if v is None or v == "" else v if type(v) is str and v[0] != "'" else _SLOW for v in values]
    if prop_type is PropType.BOOLEAN:
        if set(values) <= _BOOL_TEXT.keys():
            return list(map(_BOOL_TEXT.__getitem__, values))
        return [None if v is None or v == "" else _BOOL_TEXT.get(v, _SLOW) if type(v) is str else _SLOW
                for v in values]
    if prop_type is PropType.FLOAT:
        text = _plain_text(values)
        if text is not None and _SHORT_DECIMALS(text):
            return list(map(float, values))
        return [None if v is None or v == "" else float(v) if type(v) is str and _SHORT_DECIMAL(v) else _SLOW
                for v in values]
    if prop_type is PropType.INTEGER:
        return [None if v is None or v == "" else int(v) if type(v) is str and _SHORT_INTEGER(v) else _SLOW
                for v in values]
    return [None if v is None or v == "" else [v] if type(v) is str and v[0] not in "['" and "|" not in v
            and v.strip() == v else _SLOW for v in values]


def _text_cell(value: Any, prop_type: PropType) -> Any:
    """A cell of a CSV file or worksheet as a typed value."""
    if isinstance(value, str):
        return parse_cell(unneutralise(value), prop_type)
    # Excel stores numbers, booleans and dates as such.
    if isinstance(value, dt.datetime | dt.date | dt.time):
        raise CellError(f"a date/time cell ({value}) where {EXPECTED[prop_type]} is expected: format the cell as text")
    if isinstance(value, bool):
        if prop_type is PropType.BOOLEAN:
            return value
    elif isinstance(value, int):
        if prop_type in (PropType.INTEGER, PropType.FLOAT):
            return value
    elif isinstance(value, float):
        if prop_type is PropType.FLOAT:
            return value
    raise CellError(f"a {type(value).__name__} cell ({value!r}) where {EXPECTED[prop_type]} is expected "
                    f"(format the cell as text if it is text)")


def id_reason(value: Any) -> str:
    """Why a value is not an id, in words a person can act on."""
    if not isinstance(value, str):
        return f"an id must be text, not {preview(value)}"
    wide = [c for c in value if unicodedata.east_asian_width(c) in ("F", "W")]
    hint = "lowercase ASCII letters, digits, '_', '.', '-', starting with a letter or digit, at most 128"
    if wide:
        return f"the id {preview(value)} has full-width or Chinese characters ({''.join(wide[:5])}); ids are {hint}"
    if value != value.strip() or any(c.isspace() for c in value):
        return f"the id {preview(value)} contains spaces or line breaks; ids are {hint}"
    if ID_PATTERN.match(value.lower()):
        return f"the id {preview(value)} has uppercase letters; ids are {hint}"
    return f"{preview(value)} is not an id: ids are {hint}"


EXPECTED = {PropType.STRING: "text", PropType.INTEGER: "an integer", PropType.FLOAT: "a number",
            PropType.BOOLEAN: "true or false", PropType.STRING_LIST: "a list of texts"}
_TYPE_ERRORS = ("string_type", "int_type", "float_type", "bool_type", "list_type", "int_from_float",
                "finite_number", "int_parsing", "float_parsing")


def _reason(err: dict[str, Any], name: str, prop: Prop, value: Any) -> str:
    kind = err["type"]
    if name in ("id", START, END) and kind in ("string_pattern_mismatch", "string_type"):
        return id_reason(value)
    bad = err.get("input", value)
    if kind in ("less_than_equal", "greater_than_equal") and prop.type is PropType.INTEGER:
        return f"{preview(bad)} does not fit in a 64-bit integer"
    if kind in _TYPE_ERRORS:
        item = " (an item of the list)" if len(err["loc"]) > 1 else ""
        return f"expected {EXPECTED[prop.type]}, got {type(bad).__name__} {preview(bad)}{item}"
    if kind == "string_too_long":
        return f"text of {len(bad):,} characters is longer than the limit of {MAX_TEXT_LENGTH:,} (it is not cut)"
    if kind == "string_pattern_mismatch":
        control = next((c for c in bad if ord(c) < 32 or ord(c) == 127), "?")
        return f"the text contains a control character (U+{ord(control):04X}); only tabs and line breaks are allowed"
    if kind == "literal_error":
        return f"{preview(bad)} is not one of: {err['ctx']['expected']}"
    where = f" (item {err['loc'][1] + 1})" if len(err["loc"]) > 1 else ""
    return f"{err['msg']}{where}, got {preview(bad)}"
