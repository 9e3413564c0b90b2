"""What a load did (or, with ``dry_run``, would do): created / updated / unchanged / deleted per type."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from loaders.problems import Problem

OUTCOMES = ("created", "updated", "unchanged", "deleted")


def _counts() -> dict[str, int]:
    return dict.fromkeys(OUTCOMES, 0)


@dataclass
class LoadReport:
    dry_run: bool
    files: list[str]
    nodes: dict[str, dict[str, int]] = field(default_factory=dict)
    """Label → outcome → count."""
    relationships: dict[str, dict[str, int]] = field(default_factory=dict)
    """Relationship type → outcome → count (``deleted``: derived edges whose ``liuxin``/``sources`` entry went away)."""
    method: str = ""
    """How the store was written: ``bulk`` (new graph), ``create`` (empty store), ``merge`` (incremental), or
    ``none`` (dry run, or nothing to change)."""
    seconds: float = 0.0
    errors: list[Problem] = field(default_factory=list)
    """Always empty for a load that happened: a rejected input raises ``LoadRejected`` instead."""

    def count(self, kind: str, type_name: str, outcome: str, n: int = 1) -> None:
        table = self.nodes if kind == "node" else self.relationships
        table.setdefault(type_name, _counts())[outcome] += n

    def total(self, kind: str, outcome: str) -> int:
        table = self.nodes if kind == "node" else self.relationships
        return sum(c[outcome] for c in table.values())

    @property
    def changed(self) -> bool:
        return any(self.total(kind, o) for kind in ("node", "rel") for o in ("created", "updated", "deleted"))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["nodes"] = dict(sorted(self.nodes.items()))
        data["relationships"] = dict(sorted(self.relationships.items()))
        data["totals"] = {kind: {o: self.total(k, o) for o in OUTCOMES}
                          for kind, k in (("nodes", "node"), ("relationships", "rel"))}
        data["seconds"] = round(self.seconds, 3)
        return data
