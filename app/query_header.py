"""A saved query's header (``SavedQuery``): one ``.cypher`` file each, a YAML header between ``---``
lines, then the Cypher.

::

    ---
    title: 来源所述
    title_en: Everything a source states
    description: 列出一篇来源文献支撑的全部事实……
    description_en: Every fact a source document supports …
    returns: both             # table | graph | both
    parameters:
      source:
        type: entity_id
        entity_type: Source   # the picker offers only sources
        required: true
        label: 来源
        label_en: Source
        description: 要查看的来源文献。
        description_en: The source document to look at.
      section: {type: integer, minimum: 0, maximum: 1000, label: 章节, label_en: Section, …}
    columns:
      subject: {zh: 主体编号, en: Subject id, kind: id}
      subject_name: {zh: 主体, en: Subject, kind: name, of: subject}
      citations: {zh: 出处, en: Citations, kind: citations}
    ---
    MATCH (n:Entity) ...

Parameter types: ``string``, ``integer``, ``float``, ``boolean``, ``string_list`` (its ``items`` may be
``entity_id`` or an enumeration), ``entity_id`` (an id slug; ``entity_type`` names the node types it
expects), and the ontology's enumerations ``node_type``, ``relationship_type`` and ``liuxin``, whose
labels come from the ontology; a parameter's own ``choices`` take their labels from ``choice_labels``.
Column kinds say how a result column is shown: ``text``, ``id`` (an entity id, shown as such),
``entity`` / ``ids`` (an entity id / a list of them, shown by name), ``name`` (the name of the entity
in column ``of``), ``citations`` (``source#section``), ``node_type``,
``relationship_type``, ``liuxin``.

Values are always passed as Cypher parameters, never pasted into the text; ``bind`` checks them and
says every problem in Chinese and English. The header also writes itself back as a file
(``to_file_text``) and names the labels and relationship types its Cypher uses that the ontology does
not define (``warnings``). Reading files and the library of them are ``app.query_library``'s.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.cypher_bounds import MAX_QUERY_CHARS, PARAM_NAME, ParamError, check_text
from app.cypher_gate import check_query
from app.cypher_names import unknown_names
from app.cypher_text import RejectedCypher, parameter_names
from app.i18n import Lang
from app.query_param_fields import LINE_BREAK, Bilingual, ValueProblem, lower_first, problem
from app.query_params import DefinitionProblems, QueryParam

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RESERVED_PARAMS = frozenset({"format", "limit", "run", "lang"})
"""Names the run endpoints and the query page use themselves; a saved query cannot declare them."""

MAX_TITLE_CHARS = 200
MAX_DESCRIPTION_CHARS = 2000
MAX_PARAMETERS = 50
MAX_COLUMNS = 100
ColumnKind = Literal["text", "id", "entity", "ids", "name", "citations", "node_type", "relationship_type", "liuxin"]


class ColumnSpec(Bilingual):
    """A result column's header in both languages, and how its values are shown."""

    kind: ColumnKind = "text"
    of: str | None = Field(None, max_length=64, description="For kind name: the column holding the entity's id.")


class SavedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    title_en: str = Field("", max_length=MAX_TITLE_CHARS)
    description: str = Field("", max_length=MAX_DESCRIPTION_CHARS)
    description_en: str = Field("", max_length=MAX_DESCRIPTION_CHARS)
    returns: Literal["table", "graph", "both"] = "table"
    parameters: dict[str, QueryParam] = Field(default_factory=dict, max_length=MAX_PARAMETERS)
    columns: dict[str, ColumnSpec] = Field(default_factory=dict, max_length=MAX_COLUMNS)
    cypher: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    builtin: bool = True

    @field_validator("title", "title_en")
    @classmethod
    def _title(cls, v: str, info) -> str:
        if LINE_BREAK.search(v) or (info.field_name == "title" and not v.strip()):
            raise ValueError("title must be one line of text")
        check_text(v, "title")
        return v

    @field_validator("description", "description_en")
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
        problems: list[tuple[str, str]] = []
        if not NAME_PATTERN.match(self.name):
            problems.append(("name", "must be lowercase letters, digits and _, starting with a letter "
                                     "(at most 64 characters)"))
        try:
            used = parameter_names(check_query(self.cypher))
        except RejectedCypher as exc:
            problems.append(("cypher", str(exc)))
            used = set(self.parameters)
        for name, param in self.parameters.items():
            where = f"parameters.{name}"
            if not PARAM_NAME.fullmatch(name) or name in RESERVED_PARAMS:
                reserved = f"; {', '.join(sorted(RESERVED_PARAMS))} are taken" if name in RESERVED_PARAMS else ""
                problems.append((where, f"parameter name {name!r} is not allowed: use letters, digits and _, "
                                        f"starting with a letter{reserved}"))
            if name not in used:
                problems.append((where, f"parameter {name} is declared but the Cypher never uses ${name}"))
            if param.default is not None:
                try:
                    param.coerce(param.default, from_text=False, name=name)
                except ValueProblem as exc:
                    problems.append((f"{where}.default", f"the default of {name} does not fit: {exc.en}"))
            if param.required and param.default is not None:
                problems.append((where, f"parameter {name} is required and has a default; give one or the other"))
        for name in sorted(used - self.parameters.keys()):
            problems.append((f"parameters.{name}", f"the Cypher uses ${name} but the header does not declare it"))
        for name, column in self.columns.items():
            if column.kind == "name" and column.of not in self.columns:
                problems.append((f"columns.{name}.of", "a name column says which declared column holds the "
                                                       "entity's id (of: <column>)"))
            elif column.of is not None and column.kind != "name":
                problems.append((f"columns.{name}.of", "of applies to columns of kind name only"))
        if problems:
            raise DefinitionProblems(problems)
        return self

    # -- what the header says, in a language ------------------------------------------------------------
    def title_in(self, lang: Lang) -> str:
        return (self.title_en or self.title) if lang == "en" else self.title

    def description_in(self, lang: Lang) -> str:
        return (self.description_en or self.description) if lang == "en" else self.description

    def column_label(self, column: str, lang: Lang) -> str:
        spec = self.columns.get(column)
        return getattr(spec, lang) if spec else column

    def column_kind(self, column: str) -> str:
        spec = self.columns.get(column)
        return spec.kind if spec else "text"

    def warnings(self) -> list[dict[str, Any]]:
        """Labels and relationship types the Cypher names that the ontology does not define."""
        return cypher_warnings(self.cypher)

    # -- binding ---------------------------------------------------------------------------------------
    def bind(self, given: dict[str, Any], *, from_text: bool) -> dict[str, Any]:
        """Validated Cypher parameters from ``given`` plus defaults; raise ``ParamError`` whose problems
        are ``{"param", "message", "message_zh"}``, each saying what to enter."""
        problems = [problem(k, "query.reason.unknown_param", name=k, known=", ".join(self.parameters) or "—")
                    for k in given if k not in self.parameters]
        values: dict[str, Any] = {}
        for name, param in self.parameters.items():
            value = given.get(name)
            if value is None or (from_text and value in ("", []) and param.type != "string"):
                if param.required:
                    zh, en = param.hint("zh"), param.hint("en")
                    problems.append(problem(name, "query.reason.required", hint_zh=zh, hint_en=lower_first(en)))
                values[name] = param.default
                continue
            try:
                values[name] = param.coerce(value, from_text=from_text, name=name)
            except ValueProblem as exc:
                problems.append({"param": name, "message": exc.en, "message_zh": exc.zh})
        if problems:
            raise ParamError(problems)
        return values

    def to_file_text(self) -> str:
        """The file: the header as YAML between two ``---`` lines, then the Cypher. Text with a line break
        or tab is written double-quoted with escapes, on one line, so it reads back exactly and never
        forms a ``---`` line of its own."""
        header: dict[str, Any] = {"title": self.title}
        if self.title_en:
            header["title_en"] = self.title_en
        header["description"] = self.description
        if self.description_en:
            header["description_en"] = self.description_en
        header["returns"] = self.returns
        header["parameters"] = {k: p.model_dump(exclude_defaults=True) for k, p in self.parameters.items()}
        if self.columns:
            header["columns"] = {k: c.model_dump(exclude_defaults=True) for k, c in self.columns.items()}
        return "---\n" + yaml.dump(header, Dumper=_HeaderDumper, allow_unicode=True, sort_keys=False,
                                   width=1_000_000) + "---\n" + self.cypher + "\n"


@functools.lru_cache(maxsize=512)
def _cached_warnings(cypher: str) -> str:
    try:
        return json.dumps(unknown_names(cypher), ensure_ascii=False)
    except RejectedCypher:
        return "[]"


def cypher_warnings(cypher: str) -> list[dict[str, Any]]:
    """``app.cypher_names.unknown_names`` of a text, remembered per text (a saved query runs often)."""
    return json.loads(_cached_warnings(cypher))


class _HeaderDumper(yaml.SafeDumper):
    """YAML folds line breaks of quoted and plain text (a NEL or LINE SEPARATOR would read back as a
    space); escaped in double quotes they survive."""


_ESCAPE_IN_HEADER = re.compile("[\t\n\r\x85\u2028\u2029\ufeff]")
_HeaderDumper.add_representer(
    str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text,
                                                      style='"' if _ESCAPE_IN_HEADER.search(text) else None))
