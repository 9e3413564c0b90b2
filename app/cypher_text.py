"""Cypher text as tokens: string literals, names, numbers, parameters and punctuation.

Comments and whitespace are dropped. Names are compared by their unescaped value: a backticked
name loses its backticks (a doubled backtick stands for one). Text that two engines could read
differently is refused with ``CypherTextError`` instead of guessed at:

- a unicode escape (``\\u0041``) outside a string literal: Neo4j decodes them anywhere in the text,
  even in keywords (``M\\u0041TCH`` runs) and in comments, where ``\\u000a`` ends a ``//`` comment;
  FalkorDB does not decode them at all;
- a unicode escape inside a string literal that stands for a quote, a backslash or a backtick;
- a line comment holding a line break other than ``\\n`` (Neo4j ends it at a carriage return,
  FalkorDB does not);
- two string literals with nothing between them (``'it''s'``, one string to an engine that reads a
  doubled quote as an escaped one);
- a number ending in a dot, and characters Cypher has no use for outside string literals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    STRING = "string"
    NAME = "name"
    """An unquoted identifier or keyword."""
    QUOTED_NAME = "quoted name"
    """A backticked identifier; never a keyword."""
    NUMBER = "number"
    PARAMETER = "parameter"
    PUNCT = "punctuation"


@dataclass(frozen=True)
class Token:
    kind: Kind
    value: str
    """Unescaped: a string's content, a name without backticks, a parameter's name, the punctuation."""
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        """An unquoted name equal (ignoring case) to one of ``words``."""
        return self.kind is Kind.NAME and self.value.upper() in words

    def is_punct(self, *marks: str) -> bool:
        return self.kind is Kind.PUNCT and self.value in marks


class RejectedCypher(ValueError):
    """Cypher (or its parameters) refused before it reaches an engine; ``status`` and ``code`` are the
    API's answer, ``details`` says which limit or rule and the value found."""

    status = 400
    code = "rejected_cypher"

    def __init__(self, message: str, details: object = None) -> None:
        super().__init__(message)
        self.details = details


class CypherTextError(RejectedCypher):
    """Cypher text that cannot be split into tokens safely; ``line`` and ``column`` count from 1."""

    code = "cypher_syntax_error"

    def __init__(self, message: str, text: str, offset: int) -> None:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        super().__init__(f"{message} (line {line}, column {column})", {"line": line, "column": column})
        self.line, self.column = line, column


# Some Cypher engines read U+180E as whitespace: here it separates words too, so that it can never
# join two words an engine reads apart.
_EXTRA_SPACE = "\u180e"
# Pattern arrows may be drawn with these; they count as the ASCII marks they stand for.
_DASHES = "\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_ARROW_HEADS = {**dict.fromkeys("\u27e8\u3008\ufe64\uff1c", "<"), **dict.fromkeys("\u27e9\u3009\ufe65\uff1e", ">")}
_TWO_CHAR_PUNCT = frozenset({"<=", ">=", "<>", "!=", "=~", "+=", "..", "::", "||"})
_PUNCT = frozenset("()[]{},.;:|$+-*/%^=<>!&?")
_NUMBER = re.compile(r"\d(?:\w|\.(?=\d)|(?<=[eE])[+-](?=\d))*")
_UNICODE_ESCAPE = re.compile(r"\\u+([0-9A-Fa-f]{4})", re.I)
_STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_QUOTE_LIKE = frozenset("'\"\\`")
_LINE_BREAKS_OTHER_THAN_LF = re.compile("[\r\u2028\u2029\x85\x0b\x0c]")


def _is_name_start(ch: str) -> bool:
    return ch.isidentifier()


def _is_name_part(ch: str) -> bool:
    return ("a" + ch).isidentifier()


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``; ``CypherTextError`` for unterminated literals and ambiguous text."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch in _EXTRA_SPACE:
            i += 1
        elif text.startswith("//", i):
            i = _line_comment_end(text, i)
        elif text.startswith("/*", i):
            i = _block_comment_end(text, i)
        elif _UNICODE_ESCAPE.match(text, i):
            raise CypherTextError("Unicode escapes are only accepted inside string literals; write the "
                                  "character itself", text, i)
        elif ch in "'\"":
            tokens.append(_string(text, i))
            i = tokens[-1].end
            if len(tokens) > 1 and tokens[-2].kind is Kind.STRING and tokens[-2].end == tokens[-1].start:
                raise CypherTextError("Two string literals without a space between them; escape a quote "
                                      "inside a string with a backslash (\\' or \\\")", text, tokens[-1].start)
        elif ch == "`":
            tokens.append(_backticked(text, i))
            i = tokens[-1].end
        elif ch == "$":
            token = _parameter(text, i)
            tokens.append(token)
            i = token.end
        elif _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_part(text[j]):
                j += 1
            tokens.append(Token(Kind.NAME, text[i:j], i, j))
            i = j
        elif "0" <= ch <= "9":
            j = _NUMBER.match(text, i).end()
            if text.startswith(".", j) and not text.startswith("..", j):
                raise CypherTextError("A number ends in a dot; write 1.0 rather than 1.", text, j)
            tokens.append(Token(Kind.NUMBER, text[i:j], i, j))
            i = j
        elif text[i:i + 2] in _TWO_CHAR_PUNCT:
            tokens.append(Token(Kind.PUNCT, text[i:i + 2], i, i + 2))
            i += 2
        elif ch in _PUNCT or ch in _DASHES or ch in _ARROW_HEADS:
            mark = "-" if ch in _DASHES else _ARROW_HEADS.get(ch, ch)
            tokens.append(Token(Kind.PUNCT, mark, i, i + 1))
            i += 1
        else:
            raise CypherTextError(f"Unexpected character {ch!r} (U+{ord(ch):04X}) outside a string literal; "
                                  "remove it or put it inside quotes", text, i)
    return tokens


def _line_comment_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    end = len(text) if end == -1 else end
    comment = text[start:end].removesuffix("\r")
    if bad := _LINE_BREAKS_OTHER_THAN_LF.search(comment):
        raise CypherTextError("A // comment holds a line break other than \\n; end the comment with a "
                              "plain line break", text, start + bad.start())
    _refuse_unicode_escape(text, start, end, "comments")
    return end


def _block_comment_end(text: str, start: int) -> int:
    end = text.find("*/", start + 2)
    if end == -1:
        raise CypherTextError("Unterminated /* comment: close it with */", text, start)
    _refuse_unicode_escape(text, start, end, "comments")
    return end + 2


def _refuse_unicode_escape(text: str, start: int, end: int, where: str) -> None:
    found = _UNICODE_ESCAPE.search(text, start, end)
    if found:
        raise CypherTextError(f"Unicode escapes are not accepted in {where}; write the character itself",
                              text, found.start())


def _string(text: str, start: int) -> Token:
    quote, out, i, n = text[start], [], start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == quote:
            return Token(Kind.STRING, "".join(out), start, i + 1)
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        escape = _UNICODE_ESCAPE.match(text, i)
        if escape:
            char = chr(int(escape[1], 16))
            if char in _QUOTE_LIKE:
                raise CypherTextError(f"The unicode escape {escape[0]} stands for {char!r}; write it as \\{char} "
                                      "instead", text, i)
            out.append(char)
            i = escape.end()
        elif i + 1 < n:
            out.append(_STRING_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            break
    raise CypherTextError(f"Unterminated string literal: close it with {quote}", text, start)


def _backticked(text: str, start: int) -> Token:
    out, i, n = [], start + 1, len(text)
    while i < n:
        end = text.find("`", i)
        if end == -1:
            break
        out.append(text[i:end])
        if text.startswith("``", end):
            out.append("`")
            i = end + 2
            continue
        _refuse_unicode_escape(text, start, end, "backticked names")
        return Token(Kind.QUOTED_NAME, "".join(out), start, end + 1)
    raise CypherTextError("Unterminated backticked name: close it with `", text, start)


def _parameter(text: str, start: int) -> Token:
    i = start + 1
    if text.startswith("`", i):
        name = _backticked(text, i)
        return Token(Kind.PARAMETER, name.value, start, name.end)
    j = i
    while j < len(text) and _is_name_part(text[j]):
        j += 1
    if j == i:
        return Token(Kind.PUNCT, "$", start, i)
    return Token(Kind.PARAMETER, text[i:j], start, j)


def parameter_names(tokens: list[Token]) -> set[str]:
    """The names of the ``$parameters`` among ``tokens``."""
    return {t.value for t in tokens if t.kind is Kind.PARAMETER}


def is_keyword(tokens: list[Token], i: int, *words: str) -> bool:
    """``tokens[i]`` is one of ``words`` used as a word of the language: unquoted, not a property name
    (after a dot) and not a map key (before a colon)."""
    if not tokens[i].is_word(*words):
        return False
    after_dot = i > 0 and tokens[i - 1].is_punct(".")
    before_colon = i + 1 < len(tokens) and tokens[i + 1].is_punct(":")
    return not after_dot and not before_colon
