"""The gate in front of the engines: what user-supplied Cypher may do, checked on its tokens.

Read-only mode in the engines stops writes. It does not stop what this gate refuses: ``LOAD CSV``
(the engine fetches a file or URL), administrative commands (listing or stopping other users'
queries, schema, users, databases, switching the database) and procedures outside
``READ_PROCEDURES``. The gate sits in front of read-only mode, never instead of it.
"""

from __future__ import annotations

from typing import Any

from app.cypher_bounds import check_length, check_params, check_shape
from app.cypher_text import Kind, RejectedCypher, Token, is_keyword, tokenize

READ_PROCEDURES = frozenset({"db.labels", "db.relationshiptypes", "db.propertykeys"})
"""The procedures a query may CALL (compared ignoring case): schema look-ups that read nothing else
and that every engine has."""

_COMMAND_WORDS = ("SHOW", "TERMINATE", "ALTER", "DROP", "GRANT", "REVOKE", "DENY", "USE", "RENAME", "ENABLE",
                  "DEALLOCATE", "REALLOCATE")
"""Words that start an administrative command when a name follows them (``SHOW TRANSACTIONS``)."""
_NOT_A_CALL = (",", ")", "]", "}", ";")
_CREATED_SCHEMA = ("INDEX", "CONSTRAINT", "DATABASE", "COMPOSITE", "ALIAS", "USER", "ROLE", "SERVER",
                   "RANGE", "TEXT", "POINT", "LOOKUP", "FULLTEXT", "VECTOR", "BTREE")


class ForbiddenCypher(RejectedCypher):
    """Cypher that is not run at all: LOAD CSV, administrative commands, procedures outside the list."""

    status = 403
    code = "forbidden_cypher"


def check_query(cypher: str, params: dict[str, Any] | None = None, *, writes: bool = False) -> list[Token]:
    """Every check user-supplied Cypher passes before it reaches an engine; returns its tokens.

    Raises a ``RejectedCypher``: ``LimitExceeded`` (too long, too deep, too complex, parameters too
    large), ``CypherTextError``, ``ForbiddenCypher`` or ``ParamError``. With ``writes`` (an editor's
    own ``ecomap cypher --write``) administrative commands and every procedure are allowed, and
    LOAD CSV only from a ``file:`` URL written in the query.
    """
    check_length(cypher)
    tokens = tokenize(cypher)
    check_shape(tokens)
    check_commands(tokens, writes=writes)
    check_params(params or {})
    return tokens


def check_commands(tokens: list[Token], *, writes: bool = False) -> None:
    """Refuse LOAD CSV, administrative commands and CALLs of procedures outside ``READ_PROCEDURES``."""
    for i in range(len(tokens)):
        if not _command_position(tokens, i):
            continue
        if is_keyword(tokens, i, "LOAD") and i + 1 < len(tokens) and tokens[i + 1].kind is Kind.NAME:
            _check_load_csv(tokens, i, writes)
        elif writes:
            continue
        elif command := _administrative(tokens, i):
            hint = "" if " " in command else (f" A variable named {tokens[i].value} must be written in backticks: "
                                              f"`{tokens[i].value}`.")
            raise ForbiddenCypher(f"Administrative commands ({command} …) are not allowed here; run them "
                                  f"on the database server with an administrator's tools.{hint}",
                                  {"command": command})
        elif is_keyword(tokens, i, "CALL"):
            _check_call(tokens, i)


def _command_position(tokens: list[Token], i: int) -> bool:
    """An unquoted word that is not a property (``n.show``), label (``:Show``), map key (``{use: 1}``)
    or alias (``AS show``)."""
    if tokens[i].kind is not Kind.NAME or not is_keyword(tokens, i, tokens[i].value.upper()):
        return False
    return i == 0 or not (tokens[i - 1].is_punct(":") or tokens[i - 1].is_word("AS"))


def _administrative(tokens: list[Token], i: int) -> str | None:
    word = tokens[i].value.upper()
    following = tokens[i + 1:i + 4]
    if word in _COMMAND_WORDS and following and following[0].kind in (Kind.NAME, Kind.QUOTED_NAME):
        return word
    if word in ("START", "STOP") and following and following[0].is_word("DATABASE"):
        return f"{word} DATABASE"
    if word == "CREATE":
        if len(following) >= 2 and following[0].is_word("OR") and following[1].is_word("REPLACE"):
            following = following[2:]
        if following and following[0].is_word(*_CREATED_SCHEMA):
            return f"CREATE {following[0].value.upper()}"
    return None


def _check_load_csv(tokens: list[Token], i: int, writes: bool) -> None:
    if not writes:
        raise ForbiddenCypher("LOAD CSV is not allowed here: it makes the database server read a file or URL. "
                              "Load files with `ecomap load` (or POST /api/load).", {"command": "LOAD CSV"})
    j = i + 1
    if j < len(tokens) and tokens[j].is_word("CSV"):
        j += 1
    if j + 1 < len(tokens) and tokens[j].is_word("WITH") and tokens[j + 1].is_word("HEADERS"):
        j += 2
    source = tokens[j + 1] if j + 1 < len(tokens) and tokens[j].is_word("FROM") else None
    if source is None or source.kind is not Kind.STRING or not source.value.lower().startswith("file:"):
        raise ForbiddenCypher("LOAD CSV may only read a local file, written in the query as a 'file:///…' "
                              "string; it never fetches from the network. Use `ecomap load` for files "
                              "of the project's formats.", {"command": "LOAD CSV"})


def _check_call(tokens: list[Token], i: int) -> None:
    allowed = f"allowed are {', '.join(sorted(READ_PROCEDURES))} and CALL {{ … }} subqueries"
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    if after is None or after.is_punct(*_NOT_A_CALL) or after.is_punct("{"):
        return  # a variable named call, or a subquery
    if after is not None and after.is_punct("("):
        close = _matching_close(tokens, i + 1)
        if close is not None and close + 1 < len(tokens) and tokens[close + 1].is_punct("{"):
            return  # CALL (x, y) { … }: a subquery importing variables
        raise ForbiddenCypher(f"CALL ( … ) must be followed by a {{ … }} subquery; {allowed}.")
    parts, j = [], i + 1
    while j < len(tokens) and tokens[j].kind in (Kind.NAME, Kind.QUOTED_NAME):
        if tokens[j].kind is Kind.QUOTED_NAME:
            raise ForbiddenCypher(f"Procedure names may not be written in backticks; {allowed}.",
                                  {"procedure": ".".join(parts + [tokens[j].value])})
        parts.append(tokens[j].value)
        if not (j + 1 < len(tokens) and tokens[j + 1].is_punct(".")):
            break
        j += 2
    name = ".".join(parts)
    if not parts:
        raise ForbiddenCypher(f"CALL must be followed by a procedure name or a {{ … }} subquery; {allowed}.")
    if name.lower() not in READ_PROCEDURES:
        raise ForbiddenCypher(f"Procedure {name} may not be called here; {allowed}.", {"procedure": name})


def _matching_close(tokens: list[Token], opening: int) -> int | None:
    depth = 0
    for j in range(opening, len(tokens)):
        if tokens[j].is_punct("(", "[", "{"):
            depth += 1
        elif tokens[j].is_punct(")", "]", "}"):
            depth -= 1
            if depth == 0:
                return j
    return None
