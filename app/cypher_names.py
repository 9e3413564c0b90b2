"""Node labels and relationship types a Cypher text names, checked against the ontology.

A misspelt label (``(:Enterprize)``) is not an error to an engine: the query runs and matches nothing,
and the analyst is left wondering why the answer is empty. ``unknown_names`` finds every label and
relationship type the text names that ``graph.ontology`` does not define, with the closest known one,
so that the rows can come back with a warning beside them.

The text is read as tokens (``app.cypher_text``): words inside string literals and comments are data,
a backticked name counts by its unescaped value, and a property key (``{kind: …}``, ``n.kind``) is not
a label. A colon marks a label or a relationship type unless the innermost open bracket is a map's
``{``; inside a relationship pattern (``-[r:TYPE]->``) the names are relationship types, anywhere
else node labels.

Examples
--------
>>> [w["suggestion"] for w in unknown_names("MATCH (e:Enterprize)-[:MEMBR_OF]->(c:Cluster) RETURN e")]
['Enterprise', 'MEMBER_OF']
>>> unknown_names("MATCH (n {kind: 'Enterprize'}) WHERE n:Entity RETURN n.Enterprize // :Nope")
[]
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from app.cypher_text import Kind, Token, tokenize
from graph.ontology import ENTITY_LABEL, NODE_TYPES, REL_TYPES

KNOWN_LABELS: tuple[str, ...] = (ENTITY_LABEL, *(t.label for t in NODE_TYPES))
KNOWN_REL_TYPES: tuple[str, ...] = tuple(r.name for r in REL_TYPES)

NameKind = Literal["label", "relationship_type"]

_BLOCK_WORDS = ("CALL", "EXISTS", "COUNT", "COLLECT")
"""Words after which ``{`` opens a subquery (whose patterns hold labels), not a map."""
_NAME_KINDS = (Kind.NAME, Kind.QUOTED_NAME)


def closest(name: str, known: tuple[str, ...]) -> str | None:
    """The known name nearest to ``name`` (case ignored), or ``None`` when none is close."""
    by_folded = {k.casefold(): k for k in known}
    if name.casefold() in by_folded:
        return by_folded[name.casefold()]
    found = difflib.get_close_matches(name.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[found[0]] if found else None


def named(tokens: list[Token]) -> list[tuple[NameKind, str]]:
    """Every (kind, name) the tokens use as a node label or a relationship type, in order."""
    found: list[tuple[NameKind, str]] = []
    stack: list[str] = []  # "(", "rel", "list", "map", "block"
    for i, token in enumerate(tokens):
        if token.kind is Kind.PUNCT and token.value in "([{":
            stack.append(_opened(tokens, i))
        elif token.kind is Kind.PUNCT and token.value in ")]}":
            if stack:
                stack.pop()
        elif token.is_punct(":") and (not stack or stack[-1] != "map"):
            kind: NameKind = "relationship_type" if stack and stack[-1] == "rel" else "label"
            found.extend((kind, name) for name in _names_after(tokens, i + 1))
    return found


def _opened(tokens: list[Token], i: int) -> str:
    """What the bracket at ``i`` opens."""
    mark = tokens[i].value
    before = tokens[i - 1] if i > 0 else None
    if mark == "(":
        return "("
    if mark == "[":
        return "rel" if before is not None and before.is_punct("-") else "list"
    if before is not None and (before.is_word(*_BLOCK_WORDS) or before.is_punct(")", "{")):
        return "block"  # CALL { … }, EXISTS { … }, CALL (x) { … }, and { … } directly inside a block
    return "map"


def _names_after(tokens: list[Token], i: int) -> list[str]:
    """The names of a label or type expression starting at ``i``: ``A``, ``A|B``, ``A&B``, ``!A``,
    ``A:B``, ``(A|B)``."""
    names = []
    while i < len(tokens):
        token = tokens[i]
        if token.kind in _NAME_KINDS:
            names.append(token.value)
        elif not token.is_punct("|", "&", "!", ":", "(", ")", "%"):
            break
        elif token.is_punct("(", ")") and not (i + 1 < len(tokens) and tokens[i + 1].kind in _NAME_KINDS
                                                and token.value == "("):
            break
        i += 1
        if token.kind in _NAME_KINDS and not (i < len(tokens) and tokens[i].is_punct("|", "&", ":")):
            break
    return names


def unknown_names(cypher: str | list[Token]) -> list[dict[str, Any]]:
    """One warning per label or relationship type the text names that the ontology does not define:
    ``{"kind", "name", "suggestion", "message"}`` (English; ``message_zh`` beside it)."""
    from app.i18n import text

    tokens = tokenize(cypher) if isinstance(cypher, str) else cypher
    warnings, seen = [], set()
    for kind, name in named(tokens):
        known = KNOWN_LABELS if kind == "label" else KNOWN_REL_TYPES
        if name in known or (kind, name) in seen:
            continue
        seen.add((kind, name))
        suggestion = closest(name, known)
        key = f"query.warning.{kind}" + ("" if suggestion else ".no_suggestion")
        values = {"name": name, "suggestion": suggestion or "", "known": ", ".join(known)}
        warnings.append({"kind": kind, "name": name, "suggestion": suggestion,
                         "message": text(key, "en", **values), "message_zh": text(key, "zh", **values)})
    return warnings
