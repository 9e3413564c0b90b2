"""What a saved query's parameter declaration says, in words a person reads.

Owns the parameter types and the ontology's enumerations with their Chinese and English labels, the
fields of a declaration (``ParamFields``) and what they say: the label, the type in words and the hint
for what to enter. A value's problem comes in both languages: ``ValueProblem`` for one value,
``problem`` for one parameter of a run. The checks of a declaration and the conversion of values are
``app.query_params.QueryParam``'s.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.cypher_bounds import check_text
from app.i18n import Lang, pair, text
from graph.ontology import LIUXIN_EN, NODE_TYPE_BY_LABEL, NODE_TYPES, REL_TYPES, Liuxin

MAX_LABEL_CHARS = 100
LINE_BREAK = re.compile("[\n\r\x0b\x0c\x85\u2028\u2029]")

ENUMS: dict[str, tuple[str, ...]] = {
    "node_type": tuple(t.label for t in NODE_TYPES),
    "relationship_type": tuple(r.name for r in REL_TYPES),
    "liuxin": tuple(c.value for c in Liuxin),
}
ENUM_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "node_type": {t.label: (t.zh, t.en) for t in NODE_TYPES},
    "relationship_type": {r.name: (r.zh, r.en) for r in REL_TYPES},
    "liuxin": {c.value: (c.value, LIUXIN_EN[c]) for c in Liuxin},
}
"""(Chinese, English) label of every value of the ontology's enumerations."""

ParamType = Literal["string", "integer", "float", "boolean", "string_list", "entity_id", "node_type",
                    "relationship_type", "liuxin"]
ItemType = Literal["string", "entity_id", "node_type", "relationship_type", "liuxin"]
NUMBER_TYPES = frozenset({"integer", "float"})


class ValueProblem(ValueError):
    """A value that does not fit its declaration: what to enter, in Chinese (``zh``) and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en

    @classmethod
    def of(cls, key: str, **values: Any) -> ValueProblem:
        return cls(*pair(key, **values))


def problem(param: str, key: str, **values: Any) -> dict[str, str]:
    """One parameter problem in both languages; a value ending in ``_zh`` / ``_en`` fills the
    placeholder without the suffix in that language only."""
    def filled(lang: str) -> dict[str, Any]:
        out = {k: v for k, v in values.items() if not k.endswith(("_zh", "_en"))}
        out.update({k[:-3]: v for k, v in values.items() if k.endswith(f"_{lang}")})
        return out

    return {"param": param, "message": text(key, "en", **filled("en")), "message_zh": text(key, "zh", **filled("zh"))}


def _number(x: float) -> str:
    """A bound as a person writes it: 1000, not 1e+03 or 1000.0."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s[:1].isupper() and not s[1:2].isupper() else s


def one_line(v: str, what: str, limit: int) -> str:
    if LINE_BREAK.search(v):
        raise ValueError(f"{what} must be one line of text")
    if len(v) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    check_text(v, what)
    return v


class Bilingual(BaseModel):
    """A label in both languages."""

    model_config = ConfigDict(extra="forbid")

    zh: str = Field(min_length=1, max_length=MAX_LABEL_CHARS)
    en: str = Field(min_length=1, max_length=MAX_LABEL_CHARS)

    @field_validator("zh", "en")
    @classmethod
    def _line(cls, v: str) -> str:
        return one_line(v, "a label", MAX_LABEL_CHARS)


class ParamFields(BaseModel):
    """The fields of a parameter declaration and what they say; ``QueryParam`` adds the checks."""

    model_config = ConfigDict(extra="forbid")

    type: ParamType
    label: str = Field("", max_length=MAX_LABEL_CHARS, description="Chinese name shown in the form.")
    label_en: str = Field("", max_length=MAX_LABEL_CHARS, description="English name shown in the form.")
    description: str = ""
    description_en: str = ""
    required: bool = False
    default: Any = None
    choices: list[Any] | None = None
    choice_labels: dict[str, Bilingual] | None = Field(None, description="Chinese and English label of each choice.")
    items: ItemType | None = Field(None, description="For string_list: what each item is.")
    entity_type: str | list[str] | None = Field(None, description="For entity ids: the node type(s) expected.")
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = Field(None, ge=1, le=10_000)
    pattern: str | None = None

    # -- what the declaration says ---------------------------------------------------------------------
    @property
    def is_list(self) -> bool:
        return self.type == "string_list"

    @property
    def is_entity(self) -> bool:
        return self.type == "entity_id" or (self.is_list and self.items == "entity_id")

    @property
    def entity_types(self) -> tuple[str, ...]:
        if self.entity_type is None:
            return ()
        return (self.entity_type,) if isinstance(self.entity_type, str) else tuple(self.entity_type)

    @property
    def enum(self) -> str | None:
        """The ontology enumeration the values (or list items) come from, if any."""
        kind = self.items if self.is_list else self.type
        return kind if kind in ENUMS else None

    @property
    def effective_choices(self) -> tuple[Any, ...]:
        return tuple(self.choices) if self.choices else ENUMS.get(self.enum or "", ())

    def choice_label(self, value: Any, lang: Lang) -> str:
        """A choice's label in ``lang``: from ``choice_labels``, the ontology, or the value itself."""
        if self.choice_labels and str(value) in self.choice_labels:
            return getattr(self.choice_labels[str(value)], lang)
        labels = ENUM_LABELS.get(self.enum or "", {})
        if value in labels:
            return labels[value][0 if lang == "zh" else 1]
        return str(value)

    def label_in(self, name: str, lang: Lang) -> str:
        return (self.label_en or self.label or name) if lang == "en" else (self.label or self.label_en or name)

    def description_in(self, lang: Lang) -> str:
        return (self.description_en or self.description) if lang == "en" else (self.description or self.description_en)

    def type_name(self, lang: Lang) -> str:
        """What the planner is asked for, in words: 来源文献, 整数, 六新分类 …"""
        if self.is_entity and self.entity_types:
            joined = self._entity_words(lang)
            return text("query.type.list_of", lang, what=joined) if self.is_list else joined
        if self.is_list:
            key = "entity_list" if self.is_entity else f"{self.enum}_list" if self.enum else "string_list"
        else:
            key = self.type
        return text(f"query.type.{key}", lang)

    def _entity_words(self, lang: Lang) -> str:
        """The expected node types in words: 来源文献, 金融机构或政府部门, bank or fund …"""
        names = [NODE_TYPE_BY_LABEL[t].zh if lang == "zh" else NODE_TYPE_BY_LABEL[t].en.lower()
                 for t in self.entity_types if t in NODE_TYPE_BY_LABEL]
        return ("或" if lang == "zh" else " or ").join(names)

    def hint(self, lang: Lang) -> str:
        """What to enter, as a sentence: 请输入 1 到 100 之间的整数, 请从列表中选择一个来源文献 …"""
        if self.type in NUMBER_TYPES:
            lo, hi = self.minimum, self.maximum
            kind = self.type
            if lo is not None and hi is not None:
                return text(f"query.hint.{kind}_range", lang, min=_number(lo), max=_number(hi))
            if lo is not None:
                return text(f"query.hint.{kind}_min", lang, min=_number(lo))
            if hi is not None:
                return text(f"query.hint.{kind}_max", lang, max=_number(hi))
            return text(f"query.hint.{kind}", lang)
        if self.type == "boolean":
            return text("query.hint.boolean", lang)
        if self.is_entity:
            what = self._entity_words(lang) if self.entity_types else text("query.type.entity_id", lang)
            return text("query.hint.entity_list" if self.is_list else "query.hint.entity", lang, type=what)
        if self.effective_choices:
            shown = "、" if lang == "zh" else ", "
            values = [self.choice_label(c, "zh") if lang == "zh" else str(c) for c in self.effective_choices]
            key = "query.hint.choices" if self.is_list else "query.hint.choice"
            return text(key, lang, choices=shown.join(values))
        if self.is_list:
            return text("query.hint.list", lang)
        if self.max_length:
            return text("query.hint.text_max", lang, n=self.max_length)
        return text("query.hint.text", lang)

    def _hint_problem(self) -> ValueProblem:
        zh, en = self.hint("zh"), self.hint("en")
        return ValueProblem(zh, lower_first(en))
