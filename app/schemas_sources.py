"""Response models of ``/api/sources`` (the OpenAPI schema documents them), and their conversion from the
look-ups of ``app.sources``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.pages.urls import entity_url, source_url
from app.sources import Facts, Section, Source


class SectionOut(BaseModel):
    section: str = Field(description="The section as cited after '#': an index into the source's sections.")
    title: str | None = Field(description="The section's title; null for a cited section the source does not list.")
    listed: bool = Field(description="True when the source's sections list has this section.")
    nodes: int = Field(description="Nodes whose sources cite exactly this section.")
    relationships: int = Field(description="Relationships whose sources cite exactly this section (the derived "
                               "CLASSIFIED_AS and MENTIONED_IN are not counted).")
    page: str = Field(description="URL of the section's page.")
    api: str = Field(description="URL of the section's facts in this API.")


class WholeSourceCounts(BaseModel):
    nodes: int = Field(description="Nodes citing the bare source id, without a section.")
    relationships: int = Field(description="Relationships citing the bare source id, without a section.")


class SourceOut(BaseModel):
    id: str
    name: str | None
    name_en: str | None
    title: str | None
    publisher: str | None = Field(description="Null when not recorded.")
    date: str | None = Field(description="Null when not recorded (or the ontology has no such property).")
    author: str | None = Field(description="Null when not recorded (or the ontology has no such property).")
    description: str | None
    description_en: str | None
    sections: list[SectionOut] = Field(description="The listed sections in order, then any other cited ones.")
    whole_source: WholeSourceCounts
    page: str = Field(description="URL of the source's page.")


class SourcePage(BaseModel):
    items: list[SourceOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    total: int = Field(description="Number of sources over all pages.")


class NodeFactOut(BaseModel):
    id: str
    type: str | None
    name: str | None
    name_en: str | None
    note: str | None = Field(description="What the source states about the node, in Chinese where given.")
    note_en: str | None
    page: str = Field(description="URL of the entity's page.")


class RelFactOut(BaseModel):
    type: str
    start: str
    start_name: str | None
    start_name_en: str | None
    end: str
    end_name: str | None
    end_name_en: str | None
    note: str | None
    note_en: str | None
    role: str | None = Field(description="Capacity in which the relationship holds, when the source states one.")


class FactsOut(BaseModel):
    nodes: list[NodeFactOut]
    relationships: list[RelFactOut]
    truncated: bool = Field(description="True when more nodes or relationships cite it than `limit`.")


class SourceDetailOut(SourceOut):
    facts: FactsOut = Field(description="The facts citing the bare source id, without a section.")


class SourceRefOut(BaseModel):
    id: str
    name: str | None
    name_en: str | None
    title: str | None
    page: str


class SectionDetailOut(FactsOut):
    source: SourceRefOut
    section: str
    title: str | None
    listed: bool
    page: str


def section_json(source_id: str, s: Section) -> dict[str, Any]:
    return {"section": s.key, "title": s.title, "listed": s.listed, "nodes": s.nodes,
            "relationships": s.relationships, "page": source_url(source_id, s.key),
            "api": "/api" + source_url(source_id, s.key)}


def source_json(s: Source) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "name_en": s.name_en,
            **{name: s.fields.get(name) for name in ("title", "publisher", "date", "author", "description",
                                                     "description_en")},
            "sections": [section_json(s.id, x) for x in s.sections],
            "whole_source": {"nodes": s.whole_nodes, "relationships": s.whole_relationships},
            "page": source_url(s.id)}


def facts_json(f: Facts) -> dict[str, Any]:
    return {"nodes": [{**vars(n), "page": entity_url(n.id)} for n in f.nodes],
            "relationships": [vars(r) for r in f.relationships], "truncated": f.truncated}


def section_detail_json(s: Source, section: Section, f: Facts) -> dict[str, Any]:
    return {"source": {"id": s.id, "name": s.name, "name_en": s.name_en, "title": s.fields.get("title"),
                       "page": source_url(s.id)},
            "section": section.key, "title": section.title, "listed": section.listed,
            "page": source_url(s.id, section.key), **facts_json(f)}
