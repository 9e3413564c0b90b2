"""The project's own store exceptions. Driver exceptions never leave ``graph/``."""

from __future__ import annotations


class StoreError(Exception):
    """Base class; ``message`` says what happened and what to do about it."""

    code = "store_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class CypherSyntaxError(StoreError):
    code = "cypher_syntax_error"

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"Cypher syntax error{where}: {message}", line=line, column=column)
        self.line = line
        self.column = column


class QueryTimeout(StoreError):
    code = "query_timeout"

    def __init__(self, timeout_ms: int) -> None:
        super().__init__(
            f"The query ran longer than its time limit of {timeout_ms} ms and was stopped; "
            "narrow it (add a LIMIT or an anchored MATCH) or raise the timeout.",
            timeout_ms=timeout_ms,
        )
        self.timeout_ms = timeout_ms


class QueryMemoryExceeded(StoreError):
    """One query needed more memory than a query may use; the engine stopped it and kept running."""

    code = "query_memory_exceeded"

    def __init__(self, limit: str, detail: str = "") -> None:
        super().__init__(
            "The query needed more memory than one query may use and was stopped; the store is unharmed. "
            f"Narrow it (anchor the MATCH, add a LIMIT, collect less) or raise the limit ({limit})."
            + (f" ({detail})" if detail else ""),
        )


class ReadOnlyViolation(StoreError):
    code = "read_only_violation"

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "This query would write to the graph, but it was run read-only; nothing was changed. "
            "Use a write path (e.g. `ecomap cypher --write`) with the right role." + (f" ({detail})" if detail else ""),
        )


class ConstraintViolation(StoreError):
    code = "constraint_violation"


class WriteLocked(StoreError):
    """Another load holds the graph's write lock."""

    code = "write_locked"

    def __init__(self, owner: str, since: str, lease_s: float) -> None:
        super().__init__(
            f"Another load is writing to this graph ({owner}, since {since}); nothing was changed. Retry when "
            f"it has finished, or wait for it (`ecomap load --wait`). A load that crashed releases the lock "
            f"within {lease_s:g} s.", owner=owner, since=since)


class StoreUnavailable(StoreError):
    code = "store_unavailable"

    def __init__(self, message: str, tried: str) -> None:
        super().__init__(f"{message} (tried: {tried})", tried=tried)
        self.tried = tried


class QueryError(StoreError):
    """Any other error the engine reports for a query (unknown function, type error…)."""

    code = "query_error"
