"""Pydantic models of node and relationship records, generated from the ontology.

``NODE_MODELS["Enterprise"]`` validates one Enterprise record (``type``, ``id``, ``name`` and the
properties the ontology declares for it); ``REL_MODELS["MEMBER_OF"]`` one relationship record
(``type``, ``start``, ``end`` and its properties). They are strict: ``"1"`` is not an integer,
``1`` is not text, unknown fields are errors. The loader applies the same field types a column at
a time (``column_adapter``), which is much faster than one model per record on large inputs.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, TypeAdapter, create_model

from graph.ontology import ID_PATTERN, MAX_TEXT_LENGTH, NODE_TYPES, REL_TYPES, Prop, PropType, node_props, rel_props
from loaders.cells import INT64_MAX, INT64_MIN
from loaders.headers import END, START, TYPE

Id = Annotated[str, Strict(), Field(pattern=ID_PATTERN.pattern)]
CONTROL_FREE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Text may hold tabs and line breaks but no other control characters (no spreadsheet or store keeps them)."""
Text = Annotated[str, Strict(), Field(max_length=MAX_TEXT_LENGTH, pattern=CONTROL_FREE)]
Integer = Annotated[int, Strict(), Field(ge=INT64_MIN, le=INT64_MAX)]
Number = Annotated[float, Strict(), AllowInfNan(False)]
Boolean = Annotated[bool, Strict()]


def annotation(prop: Prop) -> Any:
    """The pydantic type of a property's values."""
    if prop.name == "id":
        return Id
    item: Any = Text
    if prop.choices:
        item = Literal[prop.choices]
    if prop.type is PropType.STRING_LIST:
        return Annotated[list[item], Strict()]
    return {PropType.STRING: item, PropType.INTEGER: Integer, PropType.FLOAT: Number,
            PropType.BOOLEAN: Boolean}[prop.type]


_CONFIG = ConfigDict(strict=True, extra="forbid")


def _model(name: str, type_names: tuple[str, ...], keys: dict[str, Any], props: tuple[Prop, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {TYPE: (Literal[type_names], ...), **keys}
    for prop in props:
        if prop.name not in fields:
            fields[prop.name] = (annotation(prop), ...) if prop.required else (annotation(prop) | None, None)
    return create_model(name, __config__=_CONFIG, **fields)


NODE_MODELS: dict[str, type[BaseModel]] = {
    t.label: _model(f"{t.label}Record", (t.label, t.zh), {}, node_props(t.label)) for t in NODE_TYPES
}
REL_MODELS: dict[str, type[BaseModel]] = {
    r.name: _model(f"{r.name.title().replace('_', '')}Record", (r.name, r.zh), {START: (Id, ...), END: (Id, ...)},
                   rel_props(r.name))
    for r in REL_TYPES
}


@cache
def column_adapter(kind: str, type_name: str, field: str) -> TypeAdapter:
    """Validates a list of values of one field (``None``s left out) with the models' field type."""
    model = (NODE_MODELS if kind == "node" else REL_MODELS)[type_name]
    info = model.model_fields[field]
    item = info.rebuild_annotation()
    if not info.is_required():
        item = item.__args__[0] if getattr(item, "__args__", None) and type(None) in item.__args__ else item
    return TypeAdapter(list[item])
