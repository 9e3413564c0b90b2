"""The row cap inside the query: a read whose result is cut at N rows asks the engine for at most
N + 1, so that neither the engine nor the API produces, sends or parses the rows it would drop.

Only a query whose last clause is a top-level ``RETURN`` is changed: ``LIMIT n`` is added, or a
literal ``LIMIT`` larger than the cap is lowered. Anything else (``UNION``, a ``LIMIT`` given as an
expression, a query ending in ``CALL …``) is left as written; the store still stops at the cap.
"""

from __future__ import annotations

from app.cypher_text import Kind, Token, is_keyword

_OPENERS, _CLOSERS = frozenset("([{"), frozenset(")]}")
_CLAUSES = ("MATCH", "OPTIONAL", "WITH", "UNWIND", "CALL", "UNION", "CREATE", "MERGE", "SET", "DELETE", "DETACH",
            "REMOVE", "FOREACH", "LOAD", "YIELD", "USE", "FINISH")


def _top_level(tokens: list[Token]) -> list[int]:
    """Positions of the tokens outside any bracket."""
    depth, found = 0, []
    for i, token in enumerate(tokens):
        if token.kind is Kind.PUNCT and token.value in _CLOSERS:
            depth -= 1
        if depth == 0:
            found.append(i)
        if token.kind is Kind.PUNCT and token.value in _OPENERS:
            depth += 1
    return found


def row_limited(cypher: str, tokens: list[Token], rows: int) -> str:
    """``cypher`` (whose ``tokens`` are given) asking for at most ``rows`` rows where its meaning
    allows, else unchanged."""
    top = _top_level(tokens)
    words = [i for i in top if is_keyword(tokens, i, "RETURN", *_CLAUSES)]
    if not words or not tokens[words[-1]].is_word("RETURN") or any(tokens[i].is_word("UNION") for i in words):
        return cypher
    tail = [i for i in top if i > words[-1]]
    while tail and tokens[tail[-1]].is_punct(";"):
        tail.pop()
    limits = [i for i in tail if is_keyword(tokens, i, "LIMIT")]
    if not limits:
        end = tokens[tail[-1]].end if tail else tokens[words[-1]].end
        return f"{cypher[:end]} LIMIT {rows}{cypher[end:]}"
    after = [i for i in tail if i > limits[-1]]
    if len(after) != 1 or tokens[after[0]].kind is not Kind.NUMBER or not tokens[after[0]].value.isdigit():
        return cypher
    number = tokens[after[0]]
    if int(number.value) <= rows:
        return cypher
    return f"{cypher[:number.start]}{rows}{cypher[number.end:]}"
