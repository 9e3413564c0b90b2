"""Text cells (CSV, and text in ``.xlsx``): how a cell's text becomes a typed value, and how a
value is written back as a cell.

* integer: ``[+-]digits``; float: a decimal or scientific number (no NaN, no infinity);
  boolean: ``true``/``false`` (any case) or ``是``/``否``. Anything else is an error, never a guess.
* list of text: items separated by ``|`` with spaces around items trimmed (``新材料|新技术``).
  A cell that starts with ``[`` and ends with ``]`` is a JSON array of strings instead; the
  exporter writes that form whenever the ``|`` form would not read back exactly (an item with ``|``,
  an empty item, spaces at an item's ends). ``；``/``;`` are not separators: they occur inside text.
* an empty cell means "not given".
* formula neutralisation: a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is written with a leading ``'`` so that a spreadsheet shows it as text instead
  of running it (so is a cell that starts with ``'`` followed by one of those characters or by
  another ``'``). Readers remove exactly that one ``'``, so every value reads back unchanged.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from graph.ontology import PropType

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
LIST_SEPARATOR = "|"
TRUE_WORDS = frozenset({"true", "是"})
FALSE_WORDS = frozenset({"false", "否"})
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
FLOAT_EXACT_INT = 2**53
"""Integers beyond this cannot be stored exactly as a float property."""

_INTEGER = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


class CellError(ValueError):
    """The cell's text is not a value of the declared type; the message says why."""


# -- formula neutralisation ------------------------------------------------------------
def neutralise(text: str) -> str:
    """The text to write into a CSV/XLSX cell so that no spreadsheet runs it as a formula."""
    if text.startswith(FORMULA_START) or (text.startswith(QUOTE) and text[1:2] in (*FORMULA_START, QUOTE)):
        return QUOTE + text
    return text


def unneutralise(text: str) -> str:
    """Inverse of ``neutralise``: drop the one protecting ``'``."""
    if text.startswith(QUOTE) and text[1:2] in (*FORMULA_START, QUOTE) and len(text) > 1:
        return text[1:]
    return text


# -- lists -----------------------------------------------------------------------------
def parse_list(text: str) -> list[str]:
    if text.startswith("[") and text.endswith("]"):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CellError(f"starts with '[' but is not a JSON array of texts ({exc.msg})") from None
        if not all(isinstance(i, str) for i in items):
            raise CellError("a JSON array in a list cell may hold only texts")
        return items
    items = [item.strip() for item in text.split(LIST_SEPARATOR)]
    if "" in items:
        raise CellError(f"empty item in the list {text!r} (items are separated by '{LIST_SEPARATOR}')")
    return items


def format_list(items: list[str]) -> str:
    """The cell text for a list: ``a|b`` when that reads back exactly, else a JSON array."""
    text = LIST_SEPARATOR.join(items)
    try:
        if items and parse_list(text) == items:
            return text
    except CellError:
        pass
    return json.dumps(items, ensure_ascii=False)


# -- scalars ---------------------------------------------------------------------------
def _integer(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise CellError(f"{text!r} is not an integer")
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise CellError(f"{text} does not fit in a 64-bit integer")
    return value


def _float(text: str) -> float:
    if not _FLOAT.fullmatch(text):
        raise CellError(f"{text!r} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise CellError(f"{text} is too large for a number")
    if _INTEGER.fullmatch(text) and abs(int(text)) > FLOAT_EXACT_INT:
        raise CellError(f"{text} cannot be stored exactly as a number (more than 2^53)")
    return value


def _boolean(text: str) -> bool:
    word = text.casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"{text!r} is not a boolean (use true/false or 是/否)")


PARSERS: dict[PropType, Callable[[str], Any]] = {
    PropType.STRING: lambda text: text,
    PropType.INTEGER: _integer,
    PropType.FLOAT: _float,
    PropType.BOOLEAN: _boolean,
    PropType.STRING_LIST: parse_list,
}


def parse_cell(text: str, prop_type: PropType) -> Any:
    """The typed value of a non-empty text cell (after ``unneutralise``)."""
    return PARSERS[prop_type](text)


def format_cell(value: Any) -> str:
    """The CSV cell text for a property value (numbers and booleans as their plain text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return neutralise(format_list([str(v) for v in value]))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))
