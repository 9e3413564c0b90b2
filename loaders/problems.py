"""Problems found in an input, and the exception that rejects a load because of them.

Every problem names the file, the row and the column it was found at, so that a person can go
straight to the cell and fix it. Rows are line numbers for CSV, JSON Lines and YAML, Excel row
numbers for ``.xlsx`` and JSON array positions (``[3]``, ``nodes[3]``) for JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | str
    column: str | int
    reason: str

    def __str__(self) -> str:
        text = f"{self.file}:{self.row}:{self.column}: {self.reason}"
        return text.encode("utf-8", "backslashreplace").decode("utf-8")  # input may hold lone surrogates

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class LoadRejected(Exception):
    """The input was rejected; nothing was written. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"the input was rejected with {len(self.problems)} problem(s); nothing was loaded")

    def __str__(self) -> str:
        return "\n".join([self.args[0], *(str(p) for p in self.problems)])

    def to_json(self) -> dict[str, Any]:
        return {"ok": False, "problems": [p.to_json() for p in self.problems]}


def preview(value: Any, limit: int = 60) -> str:
    """A short ``repr`` of a value for a message (inputs may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def a(word: str) -> str:
    """``word`` with its indefinite article: "an Enterprise", "a Platform"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
