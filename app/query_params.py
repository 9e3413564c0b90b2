"""A declared parameter of a saved query (``QueryParam``): the checks of its declaration, and turning
a value given as text (URL query, form, CLI) or as JSON into the declared type, or a ``ValueProblem``
that says what to enter.

Patterns are compiled by RE2 so that no pattern can stall a request; ``DefinitionProblems`` carries
every problem a declaration's validators find.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

import re2
from pydantic import field_validator, model_validator

from app.cypher_bounds import CONTROL_CHARACTER, INT64, LONE_SURROGATE, check_text
from app.cypher_names import closest
from app.query_param_fields import ENUMS, MAX_LABEL_CHARS, NUMBER_TYPES, ParamFields, ValueProblem, one_line
from graph.ontology import ID_PATTERN, NODE_TYPE_BY_LABEL

MAX_PARAM_DESCRIPTION_CHARS = 1000
MAX_CHOICES = 200
MAX_CHOICE_CHARS = 200
MAX_PATTERN_CHARS = 500
DEFAULT_MAX_LENGTH = 1000
TEXT_TYPES = frozenset({"string", "string_list", "entity_id"})


class DefinitionProblems(ValueError):
    """Raised by the definition's validators: every (field, message) found, fields relative to the
    declaration being validated."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" if f else m for f, m in problems))
        self.problems = problems


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


_TRUE, _FALSE = {"true", "1", "yes", "on", "是"}, {"false", "0", "no", "off", "否"}


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

    @field_validator("description", "description_en")
    @classmethod
    def _description(cls, v: str) -> str:
        if len(v) > MAX_PARAM_DESCRIPTION_CHARS:
            raise ValueError(f"description is longer than {MAX_PARAM_DESCRIPTION_CHARS} characters")
        check_text(v, "description")
        return v

    @field_validator("label", "label_en")
    @classmethod
    def _label(cls, v: str) -> str:
        return one_line(v, "a label", MAX_LABEL_CHARS)

    @model_validator(mode="after")
    def _consistent(self) -> QueryParam:
        problems: list[tuple[str, str]] = []
        if (self.minimum is not None or self.maximum is not None) and self.type not in NUMBER_TYPES:
            problems.append(("minimum", "minimum and maximum apply to integer and float parameters only"))
        for bound in ("minimum", "maximum"):
            value = getattr(self, bound)
            if value is not None and not (math.isfinite(value) and INT64[0] <= value <= INT64[1]):
                problems.append((bound, f"{bound} must be a finite number within the 64-bit integer range"))
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            problems.append(("minimum", f"minimum {self.minimum:g} is greater than maximum {self.maximum:g}"))
        if (self.max_length is not None or self.pattern is not None) and self.type not in TEXT_TYPES:
            problems.append(("max_length", "max_length and pattern apply to string, string_list and entity_id "
                                           "parameters only"))
        if self.items is not None and self.type != "string_list":
            problems.append(("items", "items applies to string_list parameters only"))
        if self.entity_type is not None:
            problems.extend(self._entity_type_problems())
        if self.choices is not None:
            problems.extend(("choices", p) for p in self._choice_problems())
        if self.choice_labels is not None:
            if not self.choices:
                problems.append(("choice_labels", "choice_labels need choices to label (the ontology's "
                                                  "enumerations have their labels already)"))
            else:
                known = {str(c) for c in self.choices}
                problems.extend((f"choice_labels.{k}", f"is not one of the choices ({', '.join(sorted(known))})")
                                for k in self.choice_labels if k not in known)
        if problems:
            raise DefinitionProblems(problems)
        return self

    def _entity_type_problems(self) -> list[tuple[str, str]]:
        if not self.is_entity:
            return [("entity_type", "entity_type applies to entity_id parameters (and string_list with "
                                    "items: entity_id) only")]
        problems = []
        for label in self.entity_types:
            if label not in NODE_TYPE_BY_LABEL:
                near = closest(label, ENUMS["node_type"])
                advice = f"; did you mean {near}?" if near else f" (one of: {', '.join(ENUMS['node_type'])})"
                problems.append(("entity_type", f"{label!r} is not a node type{advice}"))
        return problems

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
                        raise ValueProblem.of("query.hint.text")
                    self._check_item(choice, with_choices=False)
                else:
                    self._convert(choice, from_text=False)
            except ValueProblem as exc:
                problems.append(f"choice {choice!r} does not fit the type {self.type}: {exc.en}")
                continue
            enum = self.type if self.type in ENUMS else self.items if self.items in ENUMS else None
            if enum and choice not in ENUMS[enum]:
                problems.append(f"choice {choice!r} is not a {enum}")
        return problems

    # -- converting a value ---------------------------------------------------------------------------
    def coerce(self, value: Any, *, from_text: bool, name: str = "value") -> Any:
        """The value as the declared type; ``from_text`` for values typed as text (URL query, form, CLI),
        where a list comes as repeated keys or one item per line. ``ValueProblem`` says what to enter."""
        if self.is_list:
            return self._coerce_list(value, from_text=from_text, name=name)
        if from_text and isinstance(value, list):
            if len(value) != 1:
                raise ValueProblem.of("query.reason.one_value")
            value = value[0]
        value = self._convert(value, from_text=from_text)
        choices = self.effective_choices
        if choices and value not in choices:
            raise self._hint_problem()
        return value

    def _coerce_list(self, value: Any, *, from_text: bool, name: str) -> list[str]:
        items = value
        if from_text:
            parts = [value] if isinstance(value, str) else value
            if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], str) \
                    and parts[0].strip().startswith("["):
                try:
                    items = json.loads(parts[0])
                except json.JSONDecodeError:
                    raise ValueProblem.of("query.reason.bad_json_list") from None
            elif isinstance(parts, list) and all(isinstance(p, str) for p in parts):
                items = [line.strip() for p in parts for line in p.split("\n") if line.strip()]
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            raise ValueProblem.of("query.reason.list_type", name=name)
        for item in items:
            try:
                self._check_item(item)
            except ValueProblem:
                if from_text and "," in item:
                    raise ValueProblem.of("query.reason.list_comma", value=item[:100], name=name) from None
                raise
        return items

    def _check_item(self, item: str, *, with_choices: bool = True) -> None:
        if self.items == "entity_id" and not ID_PATTERN.match(item):
            raise ValueProblem.of("query.reason.entity_id_format", value=item[:100])
        self._check_text(item)
        if with_choices and self.effective_choices and item not in self.effective_choices:
            raise self._hint_problem()

    def _convert(self, value: Any, *, from_text: bool) -> Any:
        t = self.type
        if t == "integer":
            if from_text and isinstance(value, str):
                if not re.fullmatch(r"[+-]?\d{1,19}", value.strip()):
                    raise self._hint_problem()
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or not INT64[0] <= value <= INT64[1]:
                raise self._hint_problem()
            self._check_range(value)
            return value
        if t == "float":
            if from_text and isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    raise self._hint_problem() from None
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise self._hint_problem()
            self._check_range(value)
            return float(value)
        if t == "boolean":
            if from_text and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            if not isinstance(value, bool):
                raise self._hint_problem()
            return value
        if not isinstance(value, str):
            raise self._hint_problem()
        if t == "entity_id" and not ID_PATTERN.match(value):
            raise ValueProblem.of("query.reason.entity_id_format", value=value[:100])
        self._check_text(value)
        return value

    def _check_text(self, value: str) -> None:
        if found := CONTROL_CHARACTER.search(value):
            raise ValueProblem.of("query.reason.control", code=f"{ord(found[0]):04X}")
        if found := LONE_SURROGATE.search(value):
            raise ValueProblem.of("query.reason.surrogate", code=f"{ord(found[0]):04X}")
        limit = self.max_length or DEFAULT_MAX_LENGTH
        if len(value) > limit:
            raise ValueProblem.of("query.reason.too_long", n=limit)
        if self.pattern and not compile_pattern(self.pattern).fullmatch(value):
            raise ValueProblem.of("query.reason.pattern", pattern=self.pattern)

    def _check_range(self, value: float) -> None:
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise self._hint_problem()

    def sample(self) -> Any:
        """A valid value for a dry run."""
        if self.default is not None:
            return self.default
        if self.effective_choices:
            first = self.effective_choices[0]
            return [first] if self.is_list else first
        return {"integer": int(self.minimum or 0), "float": float(self.minimum or 0.0), "boolean": False,
                "string_list": [], "entity_id": "x"}.get(self.type, "")
