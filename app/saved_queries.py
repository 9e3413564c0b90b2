"""Saved queries: one ``.cypher`` file each, a YAML header between ``---`` lines, then the Cypher.

::

    ---
    title: 集群的创新生态
    description: Everything around one cluster.
    returns: graph            # table | graph | both
    parameters:
      cluster: {type: entity_id, required: true, description: Cluster id}
      limit_per_type: {type: integer, default: 50, minimum: 1, maximum: 500}
    ---
    MATCH (c:Cluster {id: $cluster}) ...

Parameter types: ``string``, ``integer``, ``float``, ``boolean``, ``string_list``, ``entity_id`` (an id
slug), and the ontology's enumerations ``node_type``, ``relationship_type`` and ``liuxin``. Values are
always passed as Cypher parameters, never pasted into the text, and every run is read-only with a
time limit and a row cap. The shipped queries live in ``queries/``; queries saved through the API go to
``<data dir>/queries`` and cannot replace a shipped one.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.cypher_bounds import INT64, MAX_QUERY_CHARS, PARAM_NAME, ParamError, check_text
from app.cypher_gate import ForbiddenCypher as ForbiddenCypher  # re-exported: raised by check_query
from app.cypher_gate import check_query
from app.cypher_text import RejectedCypher, parameter_names
from app.row_limit import row_limited
from graph.model import Node, QueryResult, Relationship, graph_parts, to_json
from graph.model import Path as GraphPath
from graph.ontology import ID_PATTERN, NODE_TYPES, REL_TYPES, Liuxin
from graph.store import GraphStore

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "queries"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RESERVED_PARAMS = frozenset({"format", "limit"})
"""Names the run endpoints use themselves; a saved query cannot declare them."""

MAX_TITLE_CHARS = 200
MAX_DESCRIPTION_CHARS = 2000
MAX_PARAMETERS = 50
MAX_PARAM_DESCRIPTION_CHARS = 1000
MAX_CHOICES = 200
MAX_CHOICE_CHARS = 200
MAX_PATTERN_CHARS = 500
DEFAULT_MAX_LENGTH = 1000
LINE_BREAK = re.compile("[\n\r\x0b\x0c\x85\u2028\u2029]")

ENUMS: dict[str, tuple[str, ...]] = {
    "node_type": tuple(t.label for t in NODE_TYPES),
    "relationship_type": tuple(r.name for r in REL_TYPES),
    "liuxin": tuple(c.value for c in Liuxin),
}
ParamType = Literal["string", "integer", "float", "boolean", "string_list", "entity_id", "node_type",
                    "relationship_type", "liuxin"]
TEXT_TYPES = frozenset({"string", "string_list", "entity_id"})
NUMBER_TYPES = frozenset({"integer", "float"})


class QueryDefinitionError(ValueError):
    """A saved query's file or definition is not valid; ``problems`` lists every reason."""

    def __init__(self, where: str, problems: list[str]) -> None:
        super().__init__(f"{where}: " + "; ".join(problems))
        self.where = where
        self.problems = problems


# -- parameter declarations ------------------------------------------------------------------------
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str):
    """``pattern`` compiled by RE2, which matches in time linear in the text (no backtracking); so
    a pattern like ``(a+)+$`` cannot stall a request."""
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"pattern is not a valid regular expression: {reason} (RE2 syntax: no "
                         "backreferences or lookaround)") from None


_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


class ParamFields(BaseModel):
    """The fields of a parameter declaration, shared by ``QueryParam`` and the API's ``QueryParamIn``."""

    model_config = ConfigDict(extra="forbid")

    type: ParamType
    description: str = ""
    required: bool = False
    default: Any = None
    choices: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = Field(None, ge=1, le=10_000)
    pattern: str | None = None


class QueryParam(ParamFields):
    """A declared parameter of a saved query."""

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        if v is not None:
            if len(v) > MAX_PATTERN_CHARS:
                raise ValueError(f"pattern is longer than {MAX_PATTERN_CHARS} characters")
            compile_pattern(v)
        return v

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        if len(v) > MAX_PARAM_DESCRIPTION_CHARS:
            raise ValueError(f"description is longer than {MAX_PARAM_DESCRIPTION_CHARS} characters")
        check_text(v, "description")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> QueryParam:
        problems = []
        if (self.minimum is not None or self.maximum is not None) and self.type not in NUMBER_TYPES:
            problems.append("minimum and maximum apply to integer and float parameters only")
        for bound in ("minimum", "maximum"):
            value = getattr(self, bound)
            if value is not None and not (math.isfinite(value) and INT64[0] <= value <= INT64[1]):
                problems.append(f"{bound} must be a finite number within the 64-bit integer range")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            problems.append(f"minimum {self.minimum:g} is greater than maximum {self.maximum:g}")
        if (self.max_length is not None or self.pattern is not None) and self.type not in TEXT_TYPES:
            problems.append("max_length and pattern apply to string, string_list and entity_id parameters only")
        if self.choices is not None:
            problems.extend(self._choice_problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _choice_problems(self) -> list[str]:
        if not 1 <= len(self.choices) <= MAX_CHOICES:
            return [f"choices must list between 1 and {MAX_CHOICES} values"]
        problems = []
        for choice in self.choices:
            if isinstance(choice, str) and len(choice) > MAX_CHOICE_CHARS:
                problems.append(f"choice {choice[:20]!r}… is longer than {MAX_CHOICE_CHARS} characters")
                continue
            try:
                if self.type == "string_list":
                    if not isinstance(choice, str):
                        raise ValueError("expected a string")
                    self._check_text(choice)
                else:
                    self._convert(choice, from_text=False)
            except ValueError as exc:
                problems.append(f"choice {choice!r} does not fit the type {self.type}: {exc}")
            if self.type in ENUMS and choice not in ENUMS[self.type]:
                problems.append(f"choice {choice!r} is not a {self.type}")
        return problems

    @property
    def effective_choices(self) -> tuple[Any, ...]:
        return tuple(self.choices) if self.choices else ENUMS.get(self.type, ())

    def coerce(self, value: Any, *, from_text: bool) -> Any:
        """The value as the declared type; ``from_text`` for values typed as text (URL query, CLI)."""
        value = self._convert(value, from_text=from_text)
        choices = self.effective_choices
        if choices and any(item not in choices for item in (value if self.type == "string_list" else [value])):
            raise ValueError(f"must be one of: {', '.join(map(str, choices))}")
        return value

    def _convert(self, value: Any, *, from_text: bool) -> Any:
        t = self.type
        if t == "string_list":
            items = value
            if from_text and isinstance(value, str):
                stripped = value.strip()
                items = json.loads(stripped) if stripped.startswith("[") else \
                    [s.strip() for s in stripped.split(",") if s.strip()]
            if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
                raise ValueError("expected a list of strings (JSON list, or comma-separated text)")
            for s in items:
                self._check_text(s)
            return items
        if t == "integer":
            if from_text and isinstance(value, str):
                if not re.fullmatch(r"[+-]?\d{1,19}", value.strip()):
                    raise ValueError("expected an integer")
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("expected an integer")
            if not INT64[0] <= value <= INT64[1]:
                raise ValueError("outside the 64-bit integer range")
            self._check_range(value)
            return value
        if t == "float":
            if from_text and isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    raise ValueError("expected a number") from None
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError("expected a finite number")
            self._check_range(value)
            return float(value)
        if t == "boolean":
            if from_text and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            if not isinstance(value, bool):
                raise ValueError("expected true or false")
            return value
        if not isinstance(value, str):
            raise ValueError("expected a string")
        if t == "entity_id" and not ID_PATTERN.match(value):
            raise ValueError("expected an entity id (lowercase letters, digits, _ . -)")
        self._check_text(value)
        return value

    def _check_text(self, value: str) -> None:
        check_text(value, "the value")
        limit = self.max_length or DEFAULT_MAX_LENGTH
        if len(value) > limit:
            raise ValueError(f"longer than {limit} characters")
        if self.pattern and not compile_pattern(self.pattern).fullmatch(value):
            raise ValueError(f"does not match the pattern {self.pattern}")

    def _check_range(self, value: float) -> None:
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be at least {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be at most {self.maximum:g}")

    def sample(self) -> Any:
        """A valid value for a dry run."""
        if self.default is not None:
            return self.default
        if self.effective_choices:
            return self.effective_choices[0]
        return {"integer": int(self.minimum or 0), "float": float(self.minimum or 0.0), "boolean": False,
                "string_list": [], "entity_id": "x"}.get(self.type, "")


class SavedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    description: str = Field("", max_length=MAX_DESCRIPTION_CHARS)
    returns: Literal["table", "graph", "both"] = "table"
    parameters: dict[str, QueryParam] = Field(default_factory=dict, max_length=MAX_PARAMETERS)
    cypher: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    builtin: bool = True

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        if LINE_BREAK.search(v) or not v.strip():
            raise ValueError("title must be one line of text")
        check_text(v, "title")
        return v

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        check_text(v, "description")
        return v

    @field_validator("cypher")
    @classmethod
    def _cypher(cls, v: str) -> str:
        return v.strip()

    @model_validator(mode="after")
    def _consistent(self) -> SavedQuery:
        problems = []
        if not NAME_PATTERN.match(self.name):
            problems.append(f"name {self.name!r} must be lowercase letters, digits and _ (start with a letter)")
        try:
            used = parameter_names(check_query(self.cypher))
        except RejectedCypher as exc:
            problems.append(str(exc))
            used = set(self.parameters)
        for name, param in self.parameters.items():
            if not PARAM_NAME.fullmatch(name) or name in RESERVED_PARAMS:
                problems.append(f"parameter name {name!r} is not allowed")
            if name not in used:
                problems.append(f"parameter {name} is declared but the Cypher never uses ${name}")
            if param.default is not None:
                try:
                    param.coerce(param.default, from_text=False)
                except ValueError as exc:
                    problems.append(f"default of {name}: {exc}")
            if param.required and param.default is not None:
                problems.append(f"parameter {name} is required and has a default; give one or the other")
        for name in sorted(used - self.parameters.keys()):
            problems.append(f"the Cypher uses ${name} but the header does not declare it")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def bind(self, given: dict[str, Any], *, from_text: bool) -> dict[str, Any]:
        """Validated Cypher parameters from ``given`` plus defaults; raise ``ParamError``."""
        problems = [{"param": k, "message": "not a parameter of this query (it has: "
                     f"{', '.join(self.parameters) or 'none'})"} for k in given if k not in self.parameters]
        values: dict[str, Any] = {}
        for name, param in self.parameters.items():
            if name not in given or given[name] is None or (from_text and given[name] == ""
                                                            and param.type != "string"):
                if param.required:
                    problems.append({"param": name, "message": "is required"})
                values[name] = param.default
                continue
            try:
                values[name] = param.coerce(given[name], from_text=from_text)
            except (ValueError, json.JSONDecodeError) as exc:
                problems.append({"param": name, "message": str(exc)})
        if problems:
            raise ParamError(problems)
        return values

    def to_file_text(self) -> str:
        """The file: the header as YAML between two ``---`` lines, then the Cypher. Text with a line break
        or tab is written double-quoted with escapes, on one line, so it reads back exactly and never
        forms a ``---`` line of its own."""
        header = {"title": self.title, "description": self.description, "returns": self.returns,
                  "parameters": {k: p.model_dump(exclude_defaults=True) for k, p in self.parameters.items()}}
        return "---\n" + yaml.dump(header, Dumper=_HeaderDumper, allow_unicode=True, sort_keys=False,
                                   width=1_000_000) + "---\n" + self.cypher + "\n"


class _HeaderDumper(yaml.SafeDumper):
    """YAML folds line breaks of quoted and plain text (a NEL or LINE SEPARATOR would read back as a
    space); escaped in double quotes they survive."""


_ESCAPE_IN_HEADER = re.compile("[\t\n\r\x85\u2028\u2029\ufeff]")
_HeaderDumper.add_representer(
    str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text,
                                                      style='"' if _ESCAPE_IN_HEADER.search(text) else None))


def parse(text: str, name: str, *, builtin: bool, where: str = "") -> SavedQuery:
    """Parse a saved-query file's text; raise ``QueryDefinitionError`` with every problem.

    The header ends at the first line that is exactly ``---`` (trailing spaces aside); lines are split
    at ``\\n`` only, so other line breaks stay part of the text they are in.
    """
    where = where or name
    lines = text.lstrip("\ufeff").split("\n")
    ends = [i for i in range(1, len(lines)) if lines[i].rstrip() == "---"]
    if lines[0].rstrip() != "---" or not ends:
        raise QueryDefinitionError(where, ["the file must start with a YAML header between two '---' lines"])
    end = ends[0]
    try:
        header = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise QueryDefinitionError(where, [f"header is not valid YAML: {exc}"]) from None
    if not isinstance(header, dict):
        raise QueryDefinitionError(where, ["header must be a YAML mapping"])
    try:
        return SavedQuery(name=name, cypher="\n".join(lines[end + 1:]), builtin=builtin, **header)
    except ValidationError as exc:
        raise QueryDefinitionError(where, [_pydantic_problem(e) for e in exc.errors()]) from None
    except TypeError as exc:
        raise QueryDefinitionError(where, [str(exc)]) from None


def _pydantic_problem(error: dict) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    return f"{loc}: {error['msg']}" if loc else error["msg"].removeprefix("Value error, ")


# -- the library of saved queries -----------------------------------------------------------------
@dataclass
class _Cached:
    mtime_ns: int
    query: SavedQuery | None
    problem: QueryDefinitionError | None


class QueryLibrary:
    """The shipped queries plus the ones saved through the API, re-read when a file changes."""

    def __init__(self, builtin_dir: Path = BUILTIN_DIR, user_dir: Path | None = None) -> None:
        self.builtin_dir = builtin_dir
        self.user_dir = user_dir
        self._cache: dict[Path, _Cached] = {}
        self._lock = threading.Lock()

    def _files(self) -> list[tuple[Path, bool]]:
        found: dict[str, tuple[Path, bool]] = {}
        for directory, builtin in ((self.user_dir, False), (self.builtin_dir, True)):
            if directory is not None and directory.is_dir():
                for path in sorted(directory.glob("*.cypher")):
                    found[path.stem] = (path, builtin)  # a shipped query wins over a same-named user file
        return [found[name] for name in sorted(found)]

    def _read(self, path: Path, builtin: bool) -> _Cached:
        mtime = path.stat().st_mtime_ns
        cached = self._cache.get(path)
        if cached is None or cached.mtime_ns != mtime:
            try:
                query = parse(path.read_text(encoding="utf-8"), path.stem, builtin=builtin, where=str(path))
                cached = _Cached(mtime, query, None)
            except QueryDefinitionError as exc:
                cached = _Cached(mtime, None, exc)
            except UnicodeDecodeError as exc:
                cached = _Cached(mtime, None, QueryDefinitionError(str(path), [f"not UTF-8: {exc}"]))
            self._cache[path] = cached
        return cached

    def all(self) -> tuple[list[SavedQuery], list[QueryDefinitionError]]:
        """Every valid saved query by name, and the problems of the files that are not valid."""
        queries, problems = [], []
        with self._lock:
            for path, builtin in self._files():
                cached = self._read(path, builtin)
                if cached.query is not None:
                    queries.append(cached.query)
                else:
                    problems.append(cached.problem)
        return queries, problems

    def get(self, name: str) -> SavedQuery | None:
        """The query named ``name``; ``None`` if there is none; ``QueryDefinitionError`` if its file is broken."""
        if not NAME_PATTERN.match(name):
            return None
        for directory, builtin in ((self.builtin_dir, True), (self.user_dir, False)):
            if directory is None:
                continue
            path = directory / f"{name}.cypher"
            if path.is_file():
                with self._lock:
                    cached = self._read(path, builtin)
                if cached.problem is not None:
                    raise cached.problem
                return cached.query
        return None

    def save(self, query: SavedQuery) -> Path:
        """Write a new user query; ``FileExistsError`` if the name is taken."""
        if self.user_dir is None:
            raise RuntimeError("this library has no directory for saved queries")
        if (self.builtin_dir / f"{query.name}.cypher").exists():
            raise FileExistsError(query.name)
        self.user_dir.mkdir(parents=True, exist_ok=True)
        path = self.user_dir / f"{query.name}.cypher"
        with open(path, "x", encoding="utf-8") as fh:  # "x": never overwrite a concurrent save
            fh.write(query.to_file_text())
        return path


# -- running and rendering --------------------------------------------------------------------------
def run(store: GraphStore, query: SavedQuery, params: dict[str, Any], *, limit: int,
        timeout_ms: int | None = None) -> QueryResult:
    """Run a saved query read-only with already bound parameters, after the checks of ``check_query``
    (a ``RejectedCypher`` when the parameters are too large)."""
    tokens = check_query(query.cypher, params)
    return store.read(row_limited(query.cypher, tokens, limit + 1), params, timeout_ms=timeout_ms, row_cap=limit)


def graph_json(values: Any, truncated: bool = False) -> dict[str, Any]:
    """Graph JSON (nodes, relationships, truncated) of every node, relationship and path in ``values``."""
    nodes, rels = graph_parts(values)
    return {"nodes": [to_json(n) for n in nodes.values()], "relationships": [to_json(r) for r in rels.values()],
            "truncated": truncated}


def result_json(result: QueryResult) -> dict[str, Any]:
    return {"columns": result.columns, "rows": to_json(result.rows),
            "graph": graph_json(result.rows, result.truncated), "truncated": result.truncated}


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Node):
        text = value.id
    elif isinstance(value, Relationship):
        text = f"{value.start}-[:{value.type}]->{value.end}"
    elif isinstance(value, GraphPath):
        text = " -> ".join(n.id for n in value.nodes)
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(to_json(value), ensure_ascii=False)
    # A spreadsheet would run a cell starting with one of these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def result_csv(result: QueryResult) -> str:
    """The result as CSV, starting with a byte-order mark so that Excel reads the UTF-8 Chinese text."""
    out = io.StringIO("\ufeff")
    out.seek(1)
    writer = csv.writer(out)
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()
