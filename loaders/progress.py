"""A progress bar with rows/s for long loads (on stderr), or nothing at all."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


class RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "rows")
        return Text(f"{speed:,.0f} {unit}/s" if speed else f"… {unit}/s", style="progress.data.speed")


class LoadProgress:
    """``with LoadProgress(enabled) as p: p.start("nodes", total); p.advance(n)``."""

    def __init__(self, enabled: bool) -> None:
        self._progress = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                                  RowsPerSecond(), TimeElapsedColumn(), console=Console(stderr=True),
                                  disable=not enabled)
        self._task: TaskID | None = None

    def __enter__(self) -> LoadProgress:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.stop()

    def start(self, description: str, total: int, unit: str = "rows") -> None:
        self._task = self._progress.add_task(description, total=total, unit=unit)

    def advance(self, rows: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, rows)
