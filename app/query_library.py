"""Where saved queries come from: a ``.cypher`` file's text (``parse``) or a definition sent to the API
(``build``) becomes a ``SavedQuery``, or a ``QueryDefinitionError`` that lists every problem in words a
person can act on; ``QueryLibrary`` holds the shipped queries and the saved ones, re-read when a file
changes, and saves new ones.

The shipped queries live in ``queries/``; queries saved through the API go to ``<data dir>/queries``
and cannot replace a shipped one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.cypher_names import closest
from app.query_header import NAME_PATTERN, ColumnSpec, SavedQuery
from app.query_param_fields import Bilingual, ParamFields
from app.query_params import DefinitionProblems

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "queries"


class QueryDefinitionError(ValueError):
    """A saved query's file or definition is not valid; ``problems`` lists every reason as text
    (``field: what is wrong``) and ``fields`` the same as ``{"field", "message"}``."""

    def __init__(self, where: str, problems: list[str], fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(f"{where}: " + "; ".join(problems))
        self.where = where
        self.problems = problems
        self.fields = fields if fields is not None else [{"field": "", "message": p} for p in problems]


# -- definition problems in words a person can act on -------------------------------------------------
_FIELDS = {
    "": ("name", "title", "title_en", "description", "description_en", "returns", "parameters", "columns", "cypher"),
    "parameter": tuple(f for f in ParamFields.model_fields),
    "column": tuple(ColumnSpec.model_fields),
    "label": tuple(Bilingual.model_fields),
}
_WHAT = {"name": "a name of lowercase letters, digits and _ starting with a letter",
         "title": "a one-line title", "cypher": "the Cypher text", "type": "a parameter type",
         "zh": "the Chinese text", "en": "the English text"}


def _level(loc: tuple) -> str:
    """Which kind of declaration a location is inside."""
    if len(loc) >= 3 and loc[0] == "parameters" and loc[2] == "choice_labels":
        return "label"
    if len(loc) >= 2 and loc[0] == "parameters":
        return "parameter"
    if len(loc) >= 2 and loc[0] == "columns":
        return "column"
    return ""


def _field_message(error: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) of one pydantic error, without the value given, links or Python type names."""
    loc = tuple(str(p) for p in error["loc"])
    field = ".".join(loc)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    last = loc[-1] if loc else ""
    if kind == "value_error" and isinstance(ctx.get("error"), DefinitionProblems):
        return [(".".join(p for p in (field, f) if p), m) for f, m in ctx["error"].problems]
    if kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error") or error["msg"]).removeprefix("Value error, ")
        return [(field, message)]
    if kind == "extra_forbidden":
        level = _level(loc[:-1] + ("x",)) if len(loc) > 1 else ""
        allowed = [f for f in _FIELDS[level] if f != "builtin"]
        near = closest(last, tuple(allowed))
        hint = f"; did you mean {near}?" if near and near != last else ""
        return [(field, f"is not a field you can set here{hint} (fields: {', '.join(allowed)})")]
    messages = {
        "missing": f"is required: enter {_WHAT.get(last, 'a value')}",
        "string_type": "must be text",
        "string_too_short": "must not be empty",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters",
        "string_pattern_mismatch": "must be lowercase letters, digits and _, starting with a letter",
        "literal_error": f"must be one of: {ctx.get('expected')}",
        "int_type": "must be a whole number", "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_type": "must be a number", "float_parsing": "must be a number",
        "finite_number": "must be a finite number",
        "bool_type": "must be true or false", "bool_parsing": "must be true or false",
        "dict_type": "must be a mapping of names to declarations (a JSON object)",
        "model_type": "must be a mapping of fields (a JSON object)",
        "model_attributes_type": "must be a mapping of fields (a JSON object)",
        "list_type": "must be a list",
        "too_long": f"may hold at most {ctx.get('max_length')} entries",
        "too_short": f"must hold at least {ctx.get('min_length')} entries",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "greater_than": f"must be more than {ctx.get('gt')}",
        "less_than": f"must be less than {ctx.get('lt')}",
    }
    if kind in messages:
        return [(field, messages[kind])]
    if kind.endswith("_type") and "str" in kind:
        return [(field, "must be text")]
    return [(field, "is not a valid value here")]


def definition_problems(exc: ValidationError) -> list[dict[str, str]]:
    """Every problem of an invalid definition as ``{"field", "message"}``, one per field (two problems
    of one field are said in one message)."""
    by_field: dict[str, list[str]] = {}
    for error in exc.errors():
        for field, message in _field_message(error):
            messages = by_field.setdefault(field, [])
            if message not in messages:
                messages.append(message)
    return [{"field": field, "message": "; ".join(messages)} for field, messages in by_field.items()]


def build(definition: Any, *, builtin: bool, where: str) -> SavedQuery:
    """A ``SavedQuery`` from a header (plus name and cypher); ``QueryDefinitionError`` lists every problem."""
    if not isinstance(definition, dict):
        raise QueryDefinitionError(where, ["the definition must be a mapping of fields (a JSON object)"])
    fields = dict(definition)
    if "builtin" in fields:
        problems = [{"field": "builtin", "message": "is not a field you can set: a saved query is never "
                                                     "one of the shipped ones"}]
        raise QueryDefinitionError(where, [f"{p['field']}: {p['message']}" for p in problems], problems)
    try:
        return SavedQuery(**{str(k): v for k, v in fields.items()}, builtin=builtin)
    except ValidationError as exc:
        problems = definition_problems(exc)
        raise QueryDefinitionError(where, [f"{p['field']}: {p['message']}" if p["field"] else p["message"]
                                           for p in problems], problems) from None


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
    for key in ("name", "cypher"):
        if key in header:
            raise QueryDefinitionError(where, [f"{key}: comes from the file (its name; the text after the "
                                               "header), not from the header"])
    return build({**header, "name": name, "cypher": "\n".join(lines[end + 1:])}, builtin=builtin, where=where)


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
