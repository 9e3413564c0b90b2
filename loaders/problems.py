"""Problems found in an input, and the exception that rejects a load because of them.

Every problem names the file, the row and the column it was found at, so that a person can go
straight to the cell and fix it. Rows are line numbers for CSV, JSON Lines and YAML, Excel row
numbers for ``.xlsx`` and JSON array positions (``[3]``, ``nodes[3]``) for JSON.

A broken file can hold a problem in every cell. The first ``MAX_PROBLEMS`` problems are kept and the
others counted, so that a report stays readable (and small) whatever the input: it says how many
problems there were and how many are not listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

MAX_PROBLEMS = 1_000
"""Problems kept per load; the rest are counted."""


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


class Problems(list):
    """A list of problems that keeps the first ``limit`` and counts the others in ``omitted``.

    Extending it with another ``Problems`` carries that list's omitted count over."""

    def __init__(self, problems: Iterable[Problem] = (), limit: int = MAX_PROBLEMS) -> None:
        super().__init__()
        self.limit = limit
        self.omitted = 0
        self.extend(problems)

    def append(self, problem: Problem) -> None:
        if len(self) < self.limit:
            super().append(problem)
        else:
            self.omitted += 1

    def extend(self, problems: Iterable[Problem]) -> None:
        room = self.limit - len(self)
        items = list(problems)
        super().extend(items[:room])
        self.omitted += max(0, len(items) - room) + getattr(problems, "omitted", 0)

    def __iadd__(self, problems: Iterable[Problem]) -> Problems:  # type: ignore[override]
        self.extend(problems)
        return self

    @property
    def total(self) -> int:
        return len(self) + self.omitted


class LoadRejected(Exception):
    """The input was rejected; nothing was written. ``problems`` lists the problems found (the
    first ``MAX_PROBLEMS``), ``omitted`` counts those left out and ``total`` all of them."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        kept = problems if isinstance(problems, Problems) else Problems(problems)
        self.problems = list(kept)
        self.omitted = kept.omitted
        super().__init__(f"the input was rejected with {self.total:,} problem(s); nothing was loaded")

    @property
    def total(self) -> int:
        return len(self.problems) + self.omitted

    def omitted_line(self) -> str | None:
        """The line that says how many problems are not listed, when some are not."""
        if not self.omitted:
            return None
        return f"… and {self.omitted:,} more problem(s), not listed: fix the ones above and load again to see them"

    def __str__(self) -> str:
        more = self.omitted_line()
        return "\n".join([self.args[0], *(str(p) for p in self.problems), *([more] if more else [])])

    def to_json(self) -> dict[str, Any]:
        return {"ok": False, "problems": [p.to_json() for p in self.problems], "total": self.total,
                "omitted": self.omitted}


def preview(value: Any, limit: int = 60) -> str:
    """A short ``repr`` of a value for a message (inputs may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def a(word: str) -> str:
    """``word`` with its indefinite article: "an Enterprise", "a Platform"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
