"""Readers: files in every supported format become ``Sheet``s — a header row and columns of
cells, each record with the row number a person would look for.

Formats: CSV/TSV, Excel ``.xlsx`` (every worksheet, after ``loaders.xlsx_safety`` has checked the
archive and each sheet's extent; formulas and Excel error values are refused), JSON (a list of records or
``{"nodes": [...], "relationships": [...]}``), JSON Lines (one record per line) and YAML (the same
shapes as JSON; read with PyYAML's safe loader, guarded against alias bombs, recursion, deep nesting
and duplicate keys). Mapping headers to fields and checking values is ``loaders.validation``'s job.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from loaders.encoding import decode
from loaders.problems import Problem, Problems, preview

FORMATS = ("csv", "tsv", "xlsx", "json", "jsonl", "yaml")
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json", ".jsonl": "jsonl",
            ".ndjson": "jsonl", ".yaml": "yaml", ".yml": "yaml"}
SECTIONS = ("nodes", "relationships")
"""The keys of the mapping form of a JSON or YAML file."""

MAX_CELL_CHARS = 16 * 1024 * 1024
"""Largest CSV cell the reader accepts at all (longer text properties are rejected later, with their length)."""
MAX_HEADER_CHARS = 200
"""Longest column (field) name read; the ontology's names are a few words."""
MAX_YAML_VALUES = 2_000_000
"""A YAML document may not expand (through aliases) to more values than this."""
MAX_NESTING = 16
"""Records are at most a few levels deep; anything deeper is not a record file."""

csv.field_size_limit(MAX_CELL_CHARS)


@dataclass(frozen=True)
class Invalid:
    """A value the reader could not represent faithfully (JSON NaN, 1e999, a 5,000-digit number…)."""

    reason: str


@dataclass
class Sheet:
    """One table of records from a file: a CSV file, a worksheet, a JSON/YAML list of records."""

    source: str
    """How problems name the file: the path, with ``[sheet]`` for a worksheet."""
    headers: list[str]
    rows: list[int | str] = field(default_factory=list)
    """Where each record is, for messages: a line or row number, or a JSON position like ``nodes[3]``."""
    columns: list[list[Any]] = field(default_factory=list)
    """One list per header, aligned with ``rows``; ``None`` (and ``""`` in text cells) means "not given"."""
    text_cells: bool = True
    """Strings are cell text to parse by the declared type (CSV, .xlsx); else values are typed (JSON, YAML)."""
    default_type: str | None = None
    """A type name given by the file or sheet name, for tables without a ``type`` column."""
    header_row: int | str = 1
    expect: str | None = None
    """``"node"`` or ``"rel"`` for the ``nodes``/``relationships`` lists of the mapping form."""


def detect_format(path: Path, fmt: str | None) -> str | None:
    return fmt if fmt else SUFFIXES.get(path.suffix.lower())


def _checked_headers(headers: list[str], source: str, row: int | str, problems: list[Problem]) -> list[str] | None:
    """``headers``, or ``None`` with a problem when one is too long to be a column name."""
    long = [(col, len(h)) for col, h in enumerate(headers, 1) if len(h) > MAX_HEADER_CHARS]
    for col, length in long:
        problems.append(Problem(source, row, col, f"the header in column {col} is {length:,} characters long; "
                                                  f"column names are at most {MAX_HEADER_CHARS}: is this the header "
                                                  "row?"))
    return None if long else headers


def expand_paths(paths: Iterable[str | Path], fmt: str | None = None) -> tuple[list[Path], list[Problem]]:
    """Files to read: files as given, and every file with a supported suffix inside directories."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                problems.append(Problem(str(path), 1, 1, "the directory holds no data files "
                                                         f"({', '.join(sorted(SUFFIXES))})"))
            files.extend(found)
        elif not path.is_file():
            problems.append(Problem(str(path), 1, 1, "no such file"))
        elif detect_format(path, fmt) is None:
            problems.append(Problem(str(path), 1, 1, f"unknown file type {path.suffix!r}; use one of "
                                                     f"{', '.join(sorted(SUFFIXES))} or give --format"))
        else:
            files.append(path)
    return files, problems


def read_file(path: Path, *, fmt: str | None = None, encoding: str | None = None) -> tuple[list[Sheet], list[Problem]]:
    """Every sheet of one file, and the problems that kept parts of it from being read."""
    kind = detect_format(path, fmt)
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [Problem(name, 1, 1, f"cannot read the file: {exc.strerror or exc}")]
    if not data.strip():
        return [], [Problem(name, 1, 1, "the file is empty")]
    if kind == "xlsx":
        return _read_xlsx(data, name)
    text, _, problems = decode(data, name, encoding)
    if text is None:
        return [], problems
    if kind in ("csv", "tsv"):
        return _read_csv(text, name, "\t" if kind == "tsv" else ",", Path(name).stem)
    if kind == "json":
        return _read_json(text, name)
    if kind == "jsonl":
        return _read_jsonl(text, name)
    return _read_yaml(text, name)


# -- CSV -------------------------------------------------------------------------------
def _csv_rows(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """All rows and the line each starts on. Most files have one record per line and are read
    in one go; a record spanning lines (a quoted line break) makes a second, line-tracking pass."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = list(reader)
    if reader.line_num == len(rows):
        return rows, list(range(1, len(rows) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    lines, start = [], 1
    for _ in reader:
        lines.append(start)
        start = reader.line_num + 1
    return rows, lines


def _csv_error_line(text: str, delimiter: str) -> int:
    """The line where the record that broke the CSV parser starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error:
        pass
    return start


def _read_csv(text: str, name: str, delimiter: str, stem: str) -> tuple[list[Sheet], list[Problem]]:
    try:
        rows, lines = _csv_rows(text, delimiter)
    except csv.Error as exc:
        line = _csv_error_line(text, delimiter)
        return [], [Problem(name, line, 1, f"malformed CSV: {exc} (check the quotes in this row)")]
    first = next((i for i, cells in enumerate(rows) if any(cells)), None)
    if first is None:
        return [], [Problem(name, 1, 1, "the file is empty")]
    header_row = lines[first]
    problems = Problems()
    headers = _checked_headers(rows[first], name, header_row, problems)
    if headers is None:
        return [], problems
    width = len(headers)
    data, data_lines = rows[first + 1:], lines[first + 1:]
    if set(map(len, data)) - {width} or not all(map(any, data)):
        keep = []
        for cells, line in zip(data, data_lines, strict=True):
            if not any(cells):
                continue  # a blank line holds no data
            if len(cells) != width:
                column = width + 1 if len(cells) > width else len(cells) + 1
                problems.append(Problem(name, line, column, f"the row has {len(cells)} cells but the header has "
                                                            f"{width} columns"))
                continue
            keep.append((cells, line))
        data, data_lines = [c for c, _ in keep], [line for _, line in keep]
    columns = [list(c) for c in zip(*data, strict=True)] if data else [[] for _ in headers]
    return [Sheet(name, headers, list(data_lines), columns, True, stem, header_row)], problems


# -- Excel -----------------------------------------------------------------------------
_FORMULA, _ERROR = "f", "e"
"""openpyxl's data types of a formula cell and of an Excel error value (``#REF!``)."""


def _read_xlsx(data: bytes, name: str) -> tuple[list[Sheet], list[Problem]]:
    import openpyxl

    from loaders.xlsx_safety import check_archive, check_dimension

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            problems = check_archive(archive, name)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return [], [Problem(name, 1, 1, f"not a readable .xlsx workbook (damaged or truncated?): {exc}")]
    if problems:
        return [], problems
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        return [], [Problem(name, 1, 1, f"not a readable .xlsx workbook (damaged or truncated?): {exc}")]
    except Exception as exc:  # openpyxl raises many kinds of errors on a broken workbook
        return [], [Problem(name, 1, 1, f"not a readable .xlsx workbook: {type(exc).__name__}: {exc}")]
    sheets: list[Sheet] = []
    problems = Problems()
    try:
        too_large = [p for ws in workbook.worksheets if (p := check_dimension(ws, f"{name}[{ws.title}]"))]
        if too_large:
            return [], too_large
        for ws in workbook.worksheets:
            sheet = _read_worksheet(ws, f"{name}[{ws.title}]", problems)
            if sheet is not None:
                sheets.append(sheet)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        problems.append(Problem(name, 1, 1, f"the workbook is damaged or truncated: {exc}"))
    finally:
        workbook.close()
    return sheets, problems


def _read_worksheet(ws: Any, source: str, problems: list[Problem]) -> Sheet | None:
    from loaders.xlsx_safety import SheetBudget

    ws.reset_dimensions()  # rows as stored, not padded to the declared range (checked already)
    budget = SheetBudget()
    headers: list[str] | None = None
    header_row = 1
    records: list[list[Any]] = []
    rows: list[int | str] = []
    for number, cells in enumerate(ws.iter_rows(), 1):
        stop = budget.take(number, len(cells))
        if stop:
            problems.append(Problem(source, number, max(len(cells), 1), stop))
            return None
        values = _cell_values(cells)
        if all(v is None or v == "" for v in values):
            continue
        if headers is None:
            header_row = number
            headers = _xlsx_headers(values, source, number, problems)
            if headers is None:
                return None
            continue
        row = values[:len(headers)]
        row += [None] * (len(headers) - len(row))
        for extra, value in enumerate(values[len(headers):], len(headers) + 1):
            if value is not None and value != "":
                problems.append(Problem(source, number, extra, f"a value ({preview(value)}) in a column with "
                                                               "no header"))
        records.append(row)
        rows.append(number)
    if headers is None:
        return None  # an empty worksheet holds nothing to load
    columns = [list(c) for c in zip(*records, strict=True)] if records else [[] for _ in headers]
    return Sheet(source, headers, rows, columns, True, ws.title, header_row)


def _cell_values(cells: tuple[Any, ...]) -> list[Any]:
    """The values of a row's cells; a formula or an Excel error value becomes ``Invalid``.

    A formula is never evaluated and its cached result never used; text that merely starts with
    ``=`` is a text cell and stays text, as in a CSV file."""
    values = [cell.value for cell in cells]
    if {cell.data_type for cell in cells} & {_FORMULA, _ERROR}:
        for i, cell in enumerate(cells):
            if cell.data_type == _FORMULA:
                formula = getattr(cell.value, "text", None) or str(cell.value)
                values[i] = Invalid(f"the cell {cell.coordinate} holds a formula ({preview(formula, 40)}), which "
                                    "is never evaluated: store its value instead (copy, then paste values only)")
            elif cell.data_type == _ERROR:
                values[i] = Invalid(f"the cell {cell.coordinate} holds the Excel error {cell.value}: store a "
                                    "value instead")
    return values


def _xlsx_headers(values: list[Any], source: str, row: int, problems: list[Problem]) -> list[str] | None:
    while values and (values[-1] is None or values[-1] == ""):
        values.pop()
    headers = []
    for col, value in enumerate(values, 1):
        if isinstance(value, Invalid):
            problems.append(Problem(source, row, col, f"a header must be a column name: {value.reason}"))
            return None
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(source, row, col, f"the header row has no column name here ({preview(value)})"))
            return None
        headers.append(value)
    return _checked_headers(headers, source, row, problems)


# -- JSON and JSON Lines ---------------------------------------------------------------
class _Object(dict):
    """A JSON object that remembers keys it held more than once."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))
    return obj


def _constant(name: str) -> Invalid:
    return Invalid(f"{name} is not a number that can be stored (JSON has no NaN or Infinity)")


def _float(text: str) -> float | Invalid:
    value = float(text)
    return value if value not in (float("inf"), float("-inf")) else Invalid(f"{text} is too large for a number")


def _int(text: str) -> int | Invalid:
    if len(text.lstrip("-")) > 40:
        return Invalid(f"an integer with {len(text.lstrip('-'))} digits does not fit in 64 bits")
    return int(text)


def _json_loads(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_object, parse_constant=_constant, parse_float=_float,
                      parse_int=_int)


def _read_json(text: str, name: str) -> tuple[list[Sheet], list[Problem]]:
    try:
        data = _json_loads(text)
    except json.JSONDecodeError as exc:
        return [], [Problem(name, exc.lineno, exc.colno, f"malformed JSON: {exc.msg}")]
    except RecursionError:
        return [], [Problem(name, 1, 1, "the JSON is nested too deeply to be a record file")]
    return _records_document(data, name, None)


def _read_jsonl(text: str, name: str) -> tuple[list[Sheet], list[Problem]]:
    problems = Problems()
    records: list[tuple[int | str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((number, _json_loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(Problem(name, number, exc.colno, f"malformed JSON: {exc.msg}"))
        except RecursionError:
            problems.append(Problem(name, number, 1, "nested too deeply to be a record"))
    sheet, more = _records_sheet(records, name, header_row=1)
    problems += more
    return [sheet], problems


def _records_document(data: Any, name: str, lines: dict[str, list[int]] | None) -> tuple[list[Sheet], list[Problem]]:
    """A parsed JSON/YAML document: a list of records or the mapping of ``SECTIONS``.
    ``lines`` (YAML) gives each record's line number; JSON records are named by position."""
    if isinstance(data, list):
        rows = lines[""] if lines else [f"[{i}]" for i in range(len(data))]
        sheet, problems = _records_sheet(list(zip(rows, data, strict=True)), name, 1)
        return [sheet], problems
    if isinstance(data, dict):
        use = " and ".join(SECTIONS)
        problems = Problems(Problem(name, 1, _column(key), f"unknown top-level key {preview(key)}; use {use}")
                            for key in data if key not in SECTIONS)
        problems += [Problem(name, 1, _column(key), f"the key {preview(key)} appears more than once")
                     for key in getattr(data, "duplicates", ())]
        sheets = []
        for key in SECTIONS:
            if key not in data:
                continue
            if not isinstance(data[key], list):
                problems.append(Problem(name, 1, key, f"{key!r} must be a list of records"))
                continue
            rows = lines[key] if lines else [f"{key}[{i}]" for i in range(len(data[key]))]
            sheet, more = _records_sheet(list(zip(rows, data[key], strict=True)), name, key)
            sheet.expect = "node" if key == "nodes" else "rel"
            sheets.append(sheet)
            problems += more
        return sheets, problems
    return [], [Problem(name, 1, 1, "expected a list of records or a mapping with 'nodes' and 'relationships'")]


def _column(key: Any) -> str:
    """How a problem names the column of a record's key: the key itself, or a preview of a long one."""
    return key if isinstance(key, str) and len(key) <= MAX_HEADER_CHARS else preview(key)


def _records_sheet(records: list[tuple[int | str, Any]], name: str,
                   header_row: int | str) -> tuple[Sheet, list[Problem]]:
    """Records (mappings) into one sheet whose headers are all the keys seen, in first-seen order."""
    problems = Problems()
    index: dict[str, int] = {}
    columns: list[list[Any]] = []
    rows: list[int | str] = []
    for row, record in records:
        if not isinstance(record, dict):
            problems.append(Problem(name, row, 1, f"a record must be a mapping of field to value, not "
                                                  f"{type(record).__name__}"))
            continue
        for key in getattr(record, "duplicates", ()):
            problems.append(Problem(name, row, _column(key), f"the field {preview(key)} appears more than once in "
                                                             "the record"))
        n = len(rows)
        rows.append(row)
        for key, value in record.items():
            if not isinstance(key, str):
                problems.append(Problem(name, row, _column(key), f"field names must be text, not {preview(key)}"))
                continue
            if len(key) > MAX_HEADER_CHARS:
                problems.append(Problem(name, row, _column(key), f"a field name of {len(key):,} characters; field "
                                                                 f"names are at most {MAX_HEADER_CHARS}"))
                continue
            col = index.get(key)
            if col is None:
                col = index[key] = len(columns)
                columns.append([None] * n)
            columns[col].append(value)
        for column in columns:
            if len(column) == n:
                column.append(None)
    return Sheet(name, list(index), rows, columns, False, None, header_row), problems


# -- YAML ------------------------------------------------------------------------------
def _read_yaml(text: str, name: str) -> tuple[list[Sheet], list[Problem]]:
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            return [], [Problem(name, line, col, f"malformed YAML: {exc.problem or exc}")]
        except yaml.YAMLError as exc:
            return [], [Problem(name, 1, 1, f"malformed YAML: {exc}")]
        except RecursionError:
            return [], [Problem(name, 1, 1, "the YAML is nested too deeply to be a record file")]
        if node is None:
            return [], [Problem(name, 1, 1, "the file is empty")]
        problems = _check_yaml(node, name)
        if problems:
            return [], problems
        try:
            data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            return [], [Problem(name, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1,
                                f"invalid YAML value: {exc.problem or exc}")]
    finally:
        loader.dispose()
    return _records_document(data, name, _yaml_lines(node))


def _check_yaml(root: yaml.Node, name: str) -> list[Problem]:
    """Reject recursion, documents that expand through aliases beyond ``MAX_YAML_VALUES``,
    nesting deeper than ``MAX_NESTING`` and duplicate keys — before anything is constructed."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    problems = Problems()

    def where(node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _YamlRejected(*where(node), "a recursive alias (the value contains itself)")
        if depth > MAX_NESTING:
            raise _YamlRejected(*where(node), f"nested deeper than {MAX_NESTING} levels; not a record file")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child, depth + 1)
        elif isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    if k.value in seen:
                        problems.append(Problem(name, k.start_mark.line + 1, _column(k.value),
                                                f"the key {preview(k.value)} appears more than once in this mapping"))
                    seen.add(k.value)
                total += size(k, depth + 1) + size(v, depth + 1)
        active.discard(key)
        if total > MAX_YAML_VALUES:
            raise _YamlRejected(*where(node), f"aliases expand this value to more than {MAX_YAML_VALUES:,} values "
                                              "(an alias bomb?)")
        sizes[key] = total
        return total

    try:
        size(root, 0)
    except _YamlRejected as exc:
        return [Problem(name, exc.line, exc.column, exc.reason)]
    return problems


class _YamlRejected(Exception):
    def __init__(self, line: int, column: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.column, self.reason = line, column, reason


def _yaml_lines(root: yaml.Node) -> dict[str, list[int]]:
    """Line numbers of the records: key ``""`` for a top-level list, else per section."""

    def lines(node: yaml.Node) -> list[int]:
        return [item.start_mark.line + 1 for item in node.value] if isinstance(node, yaml.SequenceNode) else []

    if isinstance(root, yaml.SequenceNode):
        return {"": lines(root)}
    found: dict[str, list[int]] = {}
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if isinstance(k, yaml.ScalarNode):
                found[k.value] = lines(v)
    return found
