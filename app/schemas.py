"""Request and response models of the JSON API (the OpenAPI schema is generated from these).

The graph shapes follow ``graph.model.to_json``: a node is ``{"kind": "node", "id", "labels", "type",
"properties"}``, a relationship ``{"kind": "relationship", "type", "start", "end", "properties"}``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from app.pages.views import MAX_LIMIT
from graph.ontology import NODE_TYPES, REL_TYPES, Liuxin

NodeTypeName = StrEnum("NodeTypeName", {t.label: t.label for t in NODE_TYPES})
"""Node type labels, derived from the ontology."""

RelTypeName = StrEnum("RelTypeName", {r.name: r.name for r in REL_TYPES})
"""Relationship type names, derived from the ontology."""

LiuxinName = Liuxin

MAX_FILTER_VALUES = 100
"""Most values a repeatable filter parameter (``types``, ``rel_types``, ``liuxin``…) may be given."""


def filter_values(description: str) -> Any:
    """A repeatable, optional query parameter of at most ``MAX_FILTER_VALUES`` values."""
    return Query(None, max_length=MAX_FILTER_VALUES, description=description)


class NodeOut(BaseModel):
    kind: Literal["node"] = "node"
    id: str
    labels: list[str]
    type: str | None
    properties: dict[str, Any]


class RelationshipOut(BaseModel):
    kind: Literal["relationship"] = "relationship"
    type: str
    start: str
    end: str
    properties: dict[str, Any]


class PathOut(BaseModel):
    kind: Literal["path"] = "path"
    nodes: list[NodeOut]
    relationships: list[RelationshipOut]


class GraphOut(BaseModel):
    nodes: list[NodeOut]
    relationships: list[RelationshipOut]
    truncated: bool = Field(description="True when a limit cut the result; more exists than is shown.")


class NeighborsOut(GraphOut):
    center: str


class EcosystemOut(GraphOut):
    cluster: NodeOut


class PathsOut(GraphOut):
    source: str = Field(description="Id the paths start from.")
    target: str = Field(description="Id the paths end at.")
    hops: int | None = Field(description="Length of the shortest paths; null when none within max_hops.")
    paths: list[PathOut]


class SearchItem(BaseModel):
    id: str
    type: str | None
    name: str | None
    name_en: str | None
    liuxin: list[str]
    region: str | None
    aliases: list[str]
    match: Literal["exact", "prefix", "substring", "pinyin", "initials", "filter"] = Field(
        description="How the entity matched: exact > prefix > substring (name, English name or alias) > "
        "pinyin (全拼) > initials; 'filter' when no search text was given.")


class SearchPage(BaseModel):
    items: list[SearchItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    total: int = Field(description="Number of matches over all pages.")


class DegreeOut(BaseModel):
    type: str
    direction: Literal["out", "in"]
    count: int


class ProvenanceOut(BaseModel):
    source_id: str
    title: str | None
    section: str | None
    section_title: str | None
    note: str | None


class EntityDetail(BaseModel):
    node: NodeOut
    degree: list[DegreeOut]
    provenance: list[ProvenanceOut]


class LiuxinCount(BaseModel):
    name: str
    id: str
    en: str
    nodes: int
    by_type: dict[str, int]


class StatsOut(BaseModel):
    nodes: int
    relationships: int
    by_type: dict[str, int]
    by_relationship_type: dict[str, int]
    liuxin: list[LiuxinCount]
    graph_version: int


class PropOut(BaseModel):
    name: str
    type: str
    zh: str
    description: str
    required: bool
    choices: list[str]


class NodeTypeOut(BaseModel):
    label: str
    zh: str
    en: str
    color: str
    shape: str
    properties: list[PropOut]


class RelTypeOut(BaseModel):
    name: str
    zh: str
    en: str
    starts: list[str]
    ends: list[str]
    properties: list[PropOut]


class LiuxinOut(BaseModel):
    name: str
    id: str
    en: str


class OntologyOut(BaseModel):
    node_types: list[NodeTypeOut]
    relationship_types: list[RelTypeOut]
    liuxin: list[LiuxinOut]


class QueryParamOut(BaseModel):
    name: str
    type: str
    description: str
    required: bool
    default: Any = None
    choices: list[Any]
    minimum: float | None
    maximum: float | None
    max_length: int | None
    pattern: str | None


class SavedQuerySummary(BaseModel):
    name: str
    title: str
    description: str
    returns: Literal["table", "graph", "both"]
    parameters: list[QueryParamOut]
    builtin: bool = Field(description="Shipped with the project (queries/) rather than saved through the API.")


class SavedQueryOut(SavedQuerySummary):
    cypher: str


class SavedQueryPage(BaseModel):
    items: list[SavedQuerySummary]
    next_cursor: str | None
    total: int


class QueryRunOut(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    graph: GraphOut
    truncated: bool = Field(description="True when the row limit cut the result.")


class QueryRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    params: dict[str, Any] = Field(default_factory=dict, description="Values for the query's declared parameters.")


class CypherIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=200_000, description="Read-only Cypher (at most 20,000 characters "
                       "are run; a longer text is refused with 400 query_too_large).")
    params: dict[str, Any] = Field(default_factory=dict, description="Cypher parameters ($name in the query).")
    timeout_ms: int | None = Field(None, ge=1, le=600_000,
                                   description="Time limit; capped at the server's ECOMAP_QUERY_TIMEOUT_MS.")
    limit: int = Field(1000, ge=1, le=10_000, description="Row cap.")


Properties = Annotated[dict[Annotated[str, Field(max_length=200)], JsonValue], Field(max_length=500)]
"""Properties of a posted node or relationship: JSON values under at most 500 names."""

MAX_VIEW_RELATIONSHIPS = 100_000
"""Most relationships a posted view may hold (its nodes are capped at the map's ``MAX_LIMIT``)."""


class _ViewPart(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)


class ViewNodeIn(_ViewPart):
    """A node of a posted view, as the API returns it (other fields are ignored)."""

    kind: Literal["node"] = "node"
    id: str = Field(min_length=1, max_length=200)
    labels: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=50)
    type: str | None = Field(None, max_length=100)
    properties: Properties = Field(default_factory=dict)


class ViewRelationshipIn(_ViewPart):
    """A relationship of a posted view, as the API returns it (other fields are ignored)."""

    kind: Literal["relationship"] = "relationship"
    type: str = Field(min_length=1, max_length=100)
    start: str = Field(min_length=1, max_length=200)
    end: str = Field(min_length=1, max_length=200)
    properties: Properties = Field(default_factory=dict)


class ViewGraphIn(_ViewPart):
    nodes: list[ViewNodeIn] = Field(max_length=MAX_LIMIT)
    relationships: list[ViewRelationshipIn] = Field(default_factory=list, max_length=MAX_VIEW_RELATIONSHIPS)
    truncated: bool = False


Position = Annotated[tuple[float, float], Field(description="x, y")]


class MapViewIn(_ViewPart):
    """The view a browser is showing (after its expansions and filters), to save as a standalone file.
    Fields a view may carry besides these (``api``, ``query``…) are ignored."""

    kind: Literal["home", "entity", "cluster", "query", "export"] = "export"
    title: str = Field("创新生态云图", max_length=500)
    title_en: str | None = Field(None, max_length=500)
    center: str | None = Field(None, max_length=200)
    depth: int | None = Field(None, ge=1, le=3)
    note: dict[Annotated[str, Field(max_length=100)], JsonValue] | None = Field(None, max_length=50)
    gaps: dict[Annotated[str, Field(max_length=100)], JsonValue] | None = Field(None, max_length=50,
                                                                               description="A 补链 report.")
    graph: ViewGraphIn
    positions: dict[Annotated[str, Field(max_length=200)], Position] | None = Field(None, max_length=MAX_LIMIT)


class LoadOut(BaseModel):
    dry_run: bool
    files: list[str]
    summary: dict[str, Any]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorOut(BaseModel):
    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer with (one JSON error shape)."""
    return {status: {"model": ErrorOut} for status in statuses}
