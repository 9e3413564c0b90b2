"""Entities of a saved query between ids and names: the names a person reading a result needs
(``ids_to_name``, ``entity_names``), and an entity parameter typed as a name, an alias or part of a
name resolved to its id (``resolve_entities``), with a problem in both languages when the text names
no entity, several, or one of another type than declared.
"""

from __future__ import annotations

from typing import Any

from app.i18n import Lang, text
from app.query_header import SavedQuery
from app.query_param_fields import problem
from app.query_params import QueryParam
from graph.ontology import NODE_TYPE_BY_LABEL
from graph.store import GraphStore

ENTITY_NAMES_QUERY = "MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id AS id, n.name AS name, n.name_en AS name_en"
MAX_NAMED_IDS = 10_000


def entity_names(store: GraphStore, ids: set[str], timeout_ms: int | None = None) -> dict[str, tuple[str, str]]:
    """(name, English name) of the entities among ``ids`` (at most ``MAX_NAMED_IDS`` looked up)."""
    wanted = sorted(i for i in ids if isinstance(i, str))[:MAX_NAMED_IDS]
    if not wanted:
        return {}
    rows = store.read(ENTITY_NAMES_QUERY, {"ids": wanted}, timeout_ms=timeout_ms, row_cap=MAX_NAMED_IDS).rows
    return {str(i): (str(n or i), str(e or n or i)) for i, n, e in rows}


def ids_to_name(query: SavedQuery, columns: list[str], rows: list[list[Any]], params: dict[str, Any]) -> set[str]:
    """The entity ids whose names a person reading the result needs: ``ids`` columns and entity parameters."""
    wanted: set[str] = set()
    kinds = [query.column_kind(c) for c in columns]
    for row in rows:
        for kind, value in zip(kinds, row, strict=False):
            if kind == "ids" and isinstance(value, list):
                wanted.update(v for v in value if isinstance(v, str))
            elif kind == "entity" and isinstance(value, str):
                wanted.add(value)
    for name, param in query.parameters.items():
        value = params.get(name)
        if param.is_entity and value is not None:
            wanted.update(value if isinstance(value, list) else [value])
    return wanted


# -- an entity given by its name (the query form without its picker) ---------------------------------------
MAX_CANDIDATES = 5


def _type_words(param: QueryParam, lang: Lang) -> str:
    return param._entity_words(lang) if param.entity_types else text("query.type.entity_id", lang)


def _entry_words(entry: Any, lang: Lang) -> str:
    node_type = NODE_TYPE_BY_LABEL.get(entry.type or "")
    kind = (node_type.zh if lang == "zh" else node_type.en.lower()) if node_type else ""
    name = (entry.name_en or entry.name) if lang == "en" else entry.name
    extra = "，".join(x for x in (kind, entry.region, f"编号 {entry.id}") if x) if lang == "zh" else \
        ", ".join(x for x in (kind, entry.region, f"id {entry.id}") if x)
    return f"{name}（{extra}）" if lang == "zh" else f"{name} ({extra})"


def exact_matches(index: Any, name: str, types: tuple[str, ...], *,
                  matches: tuple[str, ...] = ("exact",)) -> list[Any]:
    """The entities whose name, English name or alias is exactly ``name`` (spaces and case aside), or
    matches it in one of the ways ``matches`` lists (``prefix``, ``substring``)."""
    seen, out = set(), []
    for hit in index.search(name, types=set(types) or None):
        if hit.match not in matches:
            break  # hits come best first: exact, prefix, substring, then pinyin
        if hit.entry.id not in seen:
            seen.add(hit.entry.id)
            out.append(hit.entry)
    return out


def resolve_entities(query: SavedQuery, given: dict[str, Any], index: Any
                     ) -> tuple[dict[str, Any], list[dict[str, str]], dict[str, Any]]:
    """Entity parameters given as an id, an exact name (or alias) or a part of a name only one entity of
    the declared types has, resolved against the search index
    (``app.search.SearchIndex``): the values with ids in place of names, a problem for each value that
    is no such entity, names several or is of another type than declared, and the entity chosen for
    each parameter (for the form to show its name)."""
    out, problems, chosen = dict(given), [], {}
    by_id = None
    for name, param in query.parameters.items():
        raw = given.get(name)
        if not param.is_entity or param.is_list or not isinstance(raw, str) or not raw.strip():
            continue
        raw = raw.strip()
        if by_id is None:
            by_id = {e.id: e for e in index.entries}
        words = {f"type_{lang}": _type_words(param, lang) for lang in ("zh", "en")}
        entry = by_id.get(raw)
        if entry is None:
            # An exact name or alias first; else part of a name, when only one entity has it.
            found = exact_matches(index, raw, param.entity_types) or \
                exact_matches(index, raw, param.entity_types, matches=("exact", "prefix", "substring"))
            if len(found) > 1:
                shown = found[:MAX_CANDIDATES]
                problems.append(problem(name, "query.entity.ambiguous", value=raw[:100], **words,
                                        candidates_zh="；".join(_entry_words(e, "zh") for e in shown),
                                        candidates_en="; ".join(_entry_words(e, "en") for e in shown)))
                continue
            if not found:
                problems.append(problem(name, "query.entity.not_found", value=raw[:100], **words))
                continue
            entry = found[0]
        elif param.entity_types and entry.type not in param.entity_types:
            actual = NODE_TYPE_BY_LABEL.get(entry.type or "")
            problems.append(problem(name, "query.entity.wrong_type", value=entry.name or raw, **words,
                                    actual_zh=actual.zh if actual else "?",
                                    actual_en=actual.en.lower() if actual else "?"))
            continue
        out[name] = entry.id
        chosen[name] = entry
    return out, problems, chosen
