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
import io
import json
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graph.model import Node, QueryResult, Relationship, graph_parts, to_json
from graph.model import Path as GraphPath
from graph.ontology import ID_PATTERN, NODE_TYPES, REL_TYPES, Liuxin
from graph.store import GraphStore

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "queries"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RESERVED_PARAMS = frozenset({"format", "limit"})
"""Names the run endpoints use themselves; a saved query cannot declare them."""

INT64 = (-(2**63), 2**63 - 1)
MAX_PARAM_DEPTH = 8
MAX_PARAM_ITEMS = 10_000
READ_PROCEDURES = frozenset({"db.labels", "db.relationshiptypes", "db.propertykeys"})
"""Procedures a query run through the API may CALL: schema look-ups that read nothing else and that
every engine has."""

ENUMS: dict[str, tuple[str, ...]] = {
    "node_type": tuple(t.label for t in NODE_TYPES),
    "relationship_type": tuple(r.name for r in REL_TYPES),
    "liuxin": tuple(c.value for c in Liuxin),
}
ParamType = Literal["string", "integer", "float", "boolean", "string_list", "entity_id", "node_type",
                    "relationship_type", "liuxin"]


class QueryDefinitionError(ValueError):
    """A saved query's file or definition is not valid; ``problems`` lists every reason."""

    def __init__(self, where: str, problems: list[str]) -> None:
        super().__init__(f"{where}: " + "; ".join(problems))
        self.where = where
        self.problems = problems


class ParamError(ValueError):
    """Parameter values that do not fit the declaration; ``problems`` is a list of {param, message}."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['param']}: {p['message']}" for p in problems))
        self.problems = problems


class ForbiddenCypher(ValueError):
    """Cypher the API does not run at all (LOAD CSV, procedures outside the read-only list)."""


# -- Cypher text ---------------------------------------------------------------------------------
def code_only(cypher: str) -> str:
    """``cypher`` with string literals, quoted identifiers and comments blanked out (same length)."""
    out: list[str] = []
    i, n = 0, len(cypher)
    while i < n:
        ch = cypher[i]
        if ch in "'\"`":
            j = i + 1
            while j < n and cypher[j] != ch:
                j += 2 if cypher[j] == "\\" and ch != "`" else 1
            out.append(" " * (min(j + 1, n) - i))
            i = j + 1
        elif cypher.startswith("//", i):
            j = cypher.find("\n", i)
            j = n if j == -1 else j
            out.append(" " * (j - i))
            i = j
        elif cypher.startswith("/*", i):
            j = cypher.find("*/", i + 2)
            j = n if j == -1 else j + 2
            out.append(" " * (j - i))
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out)


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_LOAD_CSV = re.compile(r"\bLOAD\s+CSV\b", re.I)
_CALL = re.compile(r"\bCALL\b\s*(?P<name>[A-Za-z_][A-Za-z0-9_.]*)?\s*(?P<next>.?)", re.I | re.S)
# Administrative commands: they list or stop other users' queries, change the schema, users or
# databases, or switch the database. A word after a dot, or before a colon, is a name, not a command.
_ADMIN = re.compile(r"(?<![.\w])(SHOW|TERMINATE|ALTER|DROP|GRANT|REVOKE|DENY)\b(?!\s*:)"
                    r"|(?<![.\w])USE\s+[A-Za-z_`]|(?<![.\w])(START|STOP)\s+DATABASE\b"
                    r"|(?<![.\w])CREATE\s+(OR\s+REPLACE\s+)?(INDEX|CONSTRAINT|DATABASE|COMPOSITE|ALIAS|USER|ROLE|"
                    r"SERVER|(RANGE|TEXT|POINT|LOOKUP|FULLTEXT|VECTOR)\s+INDEX)\b", re.I)


def parameter_names(cypher: str) -> set[str]:
    """The ``$names`` a Cypher text uses (outside strings and comments)."""
    return set(_PARAM.findall(code_only(cypher)))


def check_allowed(cypher: str) -> None:
    """Refuse what read-only mode alone does not stop: reading files or URLs, arbitrary procedures.

    Writes need no check here: every API query runs through ``GraphStore.read``, which the engine
    itself keeps read-only.
    """
    code = code_only(cypher)
    if _LOAD_CSV.search(code):
        raise ForbiddenCypher("LOAD CSV is not allowed through the API; load files with `ecomap load`.")
    if admin := _ADMIN.search(code):
        raise ForbiddenCypher(f"Administrative commands ({' '.join(admin.group(0).split()).upper()} …) are not "
                              "allowed through the API.")
    allowed = f"allowed: {', '.join(sorted(READ_PROCEDURES))} (and CALL {{ … }} subqueries)"
    for call in _CALL.finditer(code):
        name, after = call["name"], call["next"]
        if name is None:
            if after in ("{", "("):  # a subquery, with or without an importing scope
                continue
            raise ForbiddenCypher("Procedure names in quotes or backticks may not be called through the API; "
                                  f"{allowed}.")
        if name.lower() not in READ_PROCEDURES:
            raise ForbiddenCypher(f"Procedure {name} may not be called through the API; {allowed}.")


# -- parameter values ----------------------------------------------------------------------------
def check_json_value(value: Any, where: str = "value", depth: int = 0) -> None:
    """Accept only values every backend takes as a Cypher parameter unchanged."""
    if depth > MAX_PARAM_DEPTH:
        raise ValueError(f"{where} is nested deeper than {MAX_PARAM_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise ValueError(f"{where} is outside the 64-bit integer range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is not a finite number")
    elif isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where} contains a NUL character")
    elif isinstance(value, list):
        if len(value) > MAX_PARAM_ITEMS:
            raise ValueError(f"{where} has more than {MAX_PARAM_ITEMS} items")
        for i, item in enumerate(value):
            check_json_value(item, f"{where}[{i}]", depth + 1)
    elif isinstance(value, dict):
        if len(value) > MAX_PARAM_ITEMS:
            raise ValueError(f"{where} has more than {MAX_PARAM_ITEMS} keys")
        for key, item in value.items():
            if not isinstance(key, str) or not key or "`" in key or "\x00" in key:
                raise ValueError(f"{where} has a key that is empty or contains a backtick or NUL")
            check_json_value(item, f"{where}.{key}", depth + 1)
    else:
        raise ValueError(f"{where} has an unsupported type {type(value).__name__}")


def check_params(params: dict[str, Any]) -> None:
    """Validate ad-hoc parameters (names and values); raise ``ParamError``."""
    problems = []
    for name, value in params.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", name):
            problems.append({"param": name, "message": "name must be letters, digits and _ (not starting "
                                                       "with a digit), at most 64 characters"})
            continue
        try:
            check_json_value(value, name)
        except ValueError as exc:
            problems.append({"param": name, "message": str(exc)})
    if problems:
        raise ParamError(problems)


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
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return v

    @property
    def effective_choices(self) -> tuple[Any, ...]:
        return tuple(self.choices) if self.choices else ENUMS.get(self.type, ())

    def coerce(self, value: Any, *, from_text: bool) -> Any:
        """The value as the declared type; ``from_text`` for values typed as text (URL query, CLI)."""
        t = self.type
        if t in ("string_list",):
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
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        if len(value) > (self.max_length or 1000):
            raise ValueError(f"longer than {self.max_length or 1000} characters")
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ValueError(f"does not match the pattern {self.pattern}")
        choices = self.effective_choices
        if choices and value not in choices:
            raise ValueError(f"must be one of: {', '.join(map(str, choices))}")

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
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    returns: Literal["table", "graph", "both"] = "table"
    parameters: dict[str, QueryParam] = Field(default_factory=dict)
    cypher: str = Field(min_length=1, max_length=20_000)
    builtin: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> SavedQuery:
        problems = []
        if not NAME_PATTERN.match(self.name):
            problems.append(f"name {self.name!r} must be lowercase letters, digits and _ (start with a letter)")
        used = parameter_names(self.cypher)
        for name, param in self.parameters.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", name) or name in RESERVED_PARAMS:
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
        try:
            check_allowed(self.cypher)
        except ForbiddenCypher as exc:
            problems.append(str(exc))
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
        header = {"title": self.title, "description": self.description, "returns": self.returns,
                  "parameters": {k: p.model_dump(exclude_defaults=True) for k, p in self.parameters.items()}}
        return "---\n" + yaml.safe_dump(header, allow_unicode=True, sort_keys=False) + "---\n" + \
            self.cypher.strip() + "\n"


def parse(text: str, name: str, *, builtin: bool, where: str = "") -> SavedQuery:
    """Parse a saved-query file's text; raise ``QueryDefinitionError`` with every problem."""
    where = where or name
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---" or "---" not in (line.strip() for line in lines[1:]):
        raise QueryDefinitionError(where, ["the file must start with a YAML header between two '---' lines"])
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    try:
        header = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise QueryDefinitionError(where, [f"header is not valid YAML: {exc}"]) from None
    if not isinstance(header, dict):
        raise QueryDefinitionError(where, ["header must be a YAML mapping"])
    try:
        return SavedQuery(name=name, cypher="\n".join(lines[end + 1:]).strip(), builtin=builtin, **header)
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
    """Run a saved query read-only with already bound parameters."""
    return store.read(query.cypher, params, timeout_ms=timeout_ms, row_cap=limit)


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
