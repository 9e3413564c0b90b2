"""Bounds on user-supplied Cypher and its parameters, checked before anything reaches an engine.

Measured on the embedded FalkorDB (its parser runs before, and outside, the query time limit):

- parsing time doubles with every level of nesting: brackets ``( [ {``, ``CASE … END`` and every
  prefix ``NOT``, ``-`` or ``+`` count one level each. One expression nested 12 deep takes about
  15 ms, 16 deep 0.25 s, 20 deep 2.3 s, 21 deep more than 4 s. Expressions side by side add up:
  700 copies of a 12-deep one took 8.7 s;
- a chain of about 44,000 binary operators (``1+1+…``, ``true AND true AND …``) kills the server
  (and Neo4j 5 needs 1 s to parse 2,000 of them, 19 s for 10,000);
- planning grows faster than the query: 400 ``OPTIONAL MATCH`` clauses took 4.5 s, 600 more than 15 s,
  2,000 comma-separated node patterns 3.6 s, none of it stopped by the time limit;
- parameter values are read by a separate, linear parser; lists nested 100,000 deep kill the server,
  and a million values take 0.6 s.

Each token costs the parser about ``2 ** nesting`` units of roughly 1 µs (0.3–1.7 µs measured).
``MAX_NESTING`` bounds one expression (14 deep: about 60 ms), ``MAX_PARSE_WORK`` all of them together
(at most about 0.3 s). ``MAX_OPERATOR_CHAIN``, ``MAX_CLAUSES`` and ``MAX_BRACKETS`` keep the other
shapes to about 0.1–0.3 s. The shipped queries stay far below every limit (nesting 4, parse work 700,
operator chain 9, clauses 8, brackets 23 at most).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from app.cypher_text import Kind, RejectedCypher, Token, is_keyword

MAX_QUERY_CHARS = 20_000
MAX_NESTING = 14
MAX_PARSE_WORK = 200_000
MAX_OPERATOR_CHAIN = 500
MAX_CLAUSES = 100
MAX_BRACKETS = 500
MAX_PARAM_DEPTH = 8
MAX_PARAM_VALUES = 50_000
MAX_PARAM_BYTES = 1_000_000
INT64 = (-(2**63), 2**63 - 1)
PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""C0 control characters other than tab, line feed and carriage return."""


class LimitExceeded(RejectedCypher):
    """A query or its parameters above one of the bounds; ``code`` names which kind."""

    def __init__(self, code: str, limit: str, maximum: int, found: int, message: str) -> None:
        super().__init__(message, {"limit": limit, "maximum": maximum, "found": found})
        self.code = code


class ParamError(RejectedCypher):
    """Parameter values that do not fit; ``problems`` is a list of {param, message}."""

    status = 422
    code = "invalid_parameter"

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['param']}: {p['message']}" for p in problems), problems)
        self.problems = problems


# -- the query text ------------------------------------------------------------------------------
def check_length(cypher: str) -> None:
    if len(cypher) > MAX_QUERY_CHARS:
        raise LimitExceeded("query_too_large", "MAX_QUERY_CHARS", MAX_QUERY_CHARS, len(cypher),
                            f"The query is {len(cypher):,} characters long, more than the {MAX_QUERY_CHARS:,} "
                            "allowed; pass data as parameters instead of writing it into the query.")


_BINARY_MARKS = frozenset({"+", "-", "*", "/", "%", "^", "=", "<>", "!=", "<", ">", "<=", ">=", "=~", "||"})
_BINARY_WORDS = ("AND", "OR", "XOR", "IN", "CONTAINS", "STARTS", "ENDS", "IS")
_NOT_ENDS = ("AND", "OR", "XOR")
"""A prefix NOT applies up to the next of these (or the end of the expression)."""
_EXPRESSION_ENDS = ("RETURN", "WITH", "WHERE", "ORDER", "BY", "SKIP", "LIMIT", "MATCH", "OPTIONAL", "UNWIND",
                    "UNION", "CALL", "YIELD", "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "FOREACH",
                    "AS", "WHEN", "THEN", "ELSE", "ON", "DISTINCT", "ASC", "DESC", "ASCENDING", "DESCENDING")
_OPERAND_ENDS = frozenset({")", "]", "}"})
_OPENERS = {"(": ")", "[": "]", "{": "}"}


@dataclass
class _Level:
    closer: str
    prefixes: int = 0
    """Prefix operators (NOT, unary - and +) still open at this level."""
    signs: int = 0
    """The unary - and + among them: a binary operator ends them."""
    operators: int = 0
    """Binary operators in the current expression of this level."""


@dataclass(frozen=True)
class Shape:
    nesting: int
    parse_work: int
    operator_chain: int
    clauses: int
    brackets: int


_CLAUSE_WORDS = ("MATCH", "UNWIND", "WITH", "RETURN", "CALL", "UNION", "CREATE", "MERGE", "SET", "DELETE",
                 "REMOVE", "FOREACH", "LOAD")


def measure(tokens: list[Token]) -> Shape:
    """The deepest nesting, the parser's work (the sum of ``2 ** nesting`` over the tokens), the longest
    chain of binary operators, the clauses and the brackets of a query."""
    levels = [_Level("")]
    depth = nesting = work = chain = 0
    clauses = sum(is_keyword(tokens, i, *_CLAUSE_WORDS) and not _after_starts(tokens, i) for i in range(len(tokens)))
    brackets = sum(token.is_punct(*_OPENERS) for token in tokens)
    for i, token in enumerate(tokens):
        level = levels[-1]
        if token.is_punct(*_OPENERS) or is_keyword(tokens, i, "CASE"):
            levels.append(_Level(_OPENERS.get(token.value, "END")))
            depth += 1
        elif token.is_punct(*_OPERAND_ENDS) or (is_keyword(tokens, i, "END") and level.closer == "END"):
            closer = token.value if token.kind is Kind.PUNCT else "END"
            while len(levels) > 1:
                closed = levels.pop()
                depth -= 1 + closed.prefixes
                if closed.closer == closer:
                    break
        elif _is_prefix(tokens, i):
            level.prefixes += 1
            level.signs += token.kind is Kind.PUNCT
            depth += 1
        elif token.is_punct(*_BINARY_MARKS) or is_keyword(tokens, i, *_BINARY_WORDS):
            level.operators += 1
            chain = max(chain, level.operators)
            ended = level.prefixes if is_keyword(tokens, i, *_NOT_ENDS) else level.signs
            level.prefixes -= ended
            level.signs = 0
            depth -= ended
        elif token.is_punct(",", ";", "|") or (is_keyword(tokens, i, *_EXPRESSION_ENDS)
                                               and not _after_starts(tokens, i)):
            depth -= level.prefixes
            level.prefixes = level.signs = level.operators = 0
        nesting = max(nesting, depth)
        work += 1 << min(depth, 62)
    return Shape(nesting, work, chain, clauses, brackets)


def _is_prefix(tokens: list[Token], i: int) -> bool:
    """A prefix NOT (not the one of ``IS NOT NULL``), or a - or + where an operand is expected."""
    before = tokens[i - 1] if i else None
    if is_keyword(tokens, i, "NOT"):
        return before is None or not before.is_word("IS")
    if not tokens[i].is_punct("-", "+"):
        return False
    if before is None:
        return True
    if before.kind is Kind.PUNCT:
        return before.value not in _OPERAND_ENDS
    return before.is_word(*_EXPRESSION_ENDS, *_BINARY_WORDS, "NOT")


def _after_starts(tokens: list[Token], i: int) -> bool:
    """``WITH`` in ``STARTS WITH`` / ``ENDS WITH`` is an operator, not a clause."""
    return tokens[i].is_word("WITH") and i > 0 and tokens[i - 1].is_word("STARTS", "ENDS")


def check_shape(tokens: list[Token]) -> Shape:
    shape = measure(tokens)
    if shape.nesting > MAX_NESTING:
        raise LimitExceeded("query_too_deep", "MAX_NESTING", MAX_NESTING, shape.nesting,
                            f"The query nests {shape.nesting} levels deep, more than the {MAX_NESTING} allowed "
                            "(brackets, CASE and prefix NOT/-/+ each count one level); split the expression "
                            "with WITH clauses or pass the nested value as a parameter.")
    if shape.parse_work > MAX_PARSE_WORK:
        raise LimitExceeded("query_too_complex", "MAX_PARSE_WORK", MAX_PARSE_WORK, shape.parse_work,
                            f"The query would cost the parser {shape.parse_work:,} units, more than the "
                            f"{MAX_PARSE_WORK:,} allowed (each token costs 2 to the power of its nesting); "
                            "nest less, or pass nested values as parameters.")
    if shape.operator_chain > MAX_OPERATOR_CHAIN:
        raise LimitExceeded("query_too_complex", "MAX_OPERATOR_CHAIN", MAX_OPERATOR_CHAIN, shape.operator_chain,
                            f"One expression chains {shape.operator_chain:,} operators, more than the "
                            f"{MAX_OPERATOR_CHAIN:,} allowed; use a list parameter with IN or UNWIND instead.")
    if shape.clauses > MAX_CLAUSES:
        raise LimitExceeded("query_too_complex", "MAX_CLAUSES", MAX_CLAUSES, shape.clauses,
                            f"The query has {shape.clauses} clauses (MATCH, WITH, UNWIND, RETURN, CALL …), more "
                            f"than the {MAX_CLAUSES} allowed; split it into several queries.")
    if shape.brackets > MAX_BRACKETS:
        raise LimitExceeded("query_too_complex", "MAX_BRACKETS", MAX_BRACKETS, shape.brackets,
                            f"The query opens {shape.brackets} brackets, more than the {MAX_BRACKETS} allowed; "
                            "match fewer patterns at once, or pass values as parameters.")
    return shape


# -- parameter values ----------------------------------------------------------------------------
@dataclass
class _Tally:
    values: int = 0
    bytes: int = 0

    def add(self, size: int) -> None:
        self.values += 1
        self.bytes += size
        if self.values > MAX_PARAM_VALUES:
            raise LimitExceeded("params_too_large", "MAX_PARAM_VALUES", MAX_PARAM_VALUES, self.values,
                                f"The parameters hold more than {MAX_PARAM_VALUES:,} values in all (every list, "
                                "map and item counts, at any depth); pass fewer values or run the query in parts.")
        if self.bytes > MAX_PARAM_BYTES:
            raise LimitExceeded("params_too_large", "MAX_PARAM_BYTES", MAX_PARAM_BYTES, self.bytes,
                                f"The parameters are more than {MAX_PARAM_BYTES:,} bytes in all (UTF-8 text and "
                                "keys, 8 bytes per number); pass less data or run the query in parts.")


def check_json_value(value: Any, where: str = "value", depth: int = 0, tally: _Tally | None = None) -> None:
    """Accept only values every backend takes as a Cypher parameter unchanged; ``ValueError`` says why
    not, ``LimitExceeded`` when all values together are too many or too large."""
    tally = tally if tally is not None else _Tally()
    if depth > MAX_PARAM_DEPTH:
        raise ValueError(f"{where} is nested deeper than {MAX_PARAM_DEPTH} levels")
    if value is None or isinstance(value, bool):
        tally.add(8)
    elif isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise ValueError(f"{where} is outside the 64-bit integer range")
        tally.add(8)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is not a finite number")
        tally.add(8)
    elif isinstance(value, str):
        check_text(value, where)
        tally.add(len(value.encode("utf-8", "surrogatepass")))
    elif isinstance(value, list):
        tally.add(8)
        for i, item in enumerate(value):
            check_json_value(item, f"{where}[{i}]", depth + 1, tally)
    elif isinstance(value, dict):
        tally.add(8)
        for key, item in value.items():
            if not isinstance(key, str) or not key or "`" in key:
                raise ValueError(f"{where} has a key that is empty or contains a backtick")
            check_text(key, f"a key of {where}")
            tally.add(len(key.encode("utf-8", "surrogatepass")))
            check_json_value(item, f"{where}.{key}", depth + 1, tally)
    else:
        raise ValueError(f"{where} has an unsupported type {type(value).__name__}")


def check_text(value: str, where: str) -> None:
    """Text may hold tab, line feed and carriage return, but no other C0 control character, and no
    lone surrogate (half of a UTF-16 pair, which no engine can store)."""
    if found := CONTROL_CHARACTER.search(value):
        raise ValueError(f"{where} contains the control character U+{ord(found[0]):04X}; only tab, line feed "
                         "and carriage return are allowed")
    if found := LONE_SURROGATE.search(value):
        raise ValueError(f"{where} contains U+{ord(found[0]):04X}, half of a UTF-16 surrogate pair; send the "
                         "whole character")


def check_params(params: dict[str, Any]) -> None:
    """Validate parameter names and values; ``ParamError`` lists every bad one, ``LimitExceeded`` is
    raised when all of them together are too many or too large."""
    problems = []
    tally = _Tally()
    for name, value in params.items():
        if not PARAM_NAME.fullmatch(name):
            problems.append({"param": name, "message": "name must be letters, digits and _ (not starting "
                                                       "with a digit), at most 64 characters"})
            continue
        try:
            check_json_value(value, name, tally=tally)
        except LimitExceeded:
            raise
        except ValueError as exc:
            problems.append({"param": name, "message": str(exc)})
    if problems:
        raise ParamError(problems)
