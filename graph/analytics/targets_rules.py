"""The 招商 scoring rules: which candidates a gap or fragile link gets, the anchor sets around the
cluster, and the signals that score a candidate (``targets_rules.yaml`` or a file of the same
shape). Every label, relationship type and property is checked against the ontology here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.analytics.completeness_rules import CLUSTER_TYPE, STATUSES, Hop, RulesError, parse_path, read_rules_file

DEFAULT_TARGET_RULES_PATH = Path(__file__).with_name("targets_rules.yaml")
CANDIDATE_TYPE = "Enterprise"


@dataclass(frozen=True)
class Anchor:
    key: str
    role: str | None = None
    match: tuple[tuple[Hop, ...], ...] = ()
    local_only: bool = False


@dataclass(frozen=True)
class Signal:
    key: str
    label: str
    label_en: str
    weight: float
    cap: int
    anchor: str
    match: tuple[tuple[Hop, ...], ...]


@dataclass(frozen=True)
class TargetRules:
    statuses: tuple[str, ...]
    max_listed: int
    anchors: dict[str, Anchor]
    signals: tuple[Signal, ...]

    @property
    def max_score(self) -> float:
        return sum(s.weight * s.cap for s in self.signals)


def load_target_rules(path: str | Path | None = None, role_keys: list[str] | None = None) -> TargetRules:
    """Read and check a scoring rules file (default: the shipped ``targets_rules.yaml``).

    Examples
    --------
    >>> rules = load_target_rules()
    >>> [s.key for s in rules.signals][:2], rules.max_score
    (['leader_partner', 'local_partner'], 12.0)
    """
    path = Path(path) if path is not None else DEFAULT_TARGET_RULES_PATH
    return parse_target_rules(read_rules_file(path), str(path), role_keys)


def _number(value: Any, whole: bool = False) -> bool:
    kinds = int if whole else int | float
    return not isinstance(value, bool) and isinstance(value, kinds) and value >= 0


def parse_target_rules(data: Any, source: str = "rules", role_keys: list[str] | None = None) -> TargetRules:
    def fail(where: str, message: str) -> RulesError:
        return RulesError(f"{source}: {where}: {message}")

    if not isinstance(data, dict) or set(data) != {"candidates", "anchors", "signals"}:
        raise fail("top level", "expected a mapping with exactly 'candidates', 'anchors' and 'signals'")
    candidates = data["candidates"]
    if not isinstance(candidates, dict) or set(candidates) - {"statuses", "max_listed"}:
        raise fail("candidates", "expected a mapping with 'statuses' and 'max_listed'")
    statuses = candidates.get("statuses", ["gap", "fragile"])
    if not isinstance(statuses, list) or not statuses or set(statuses) - set(STATUSES):
        raise fail("candidates.statuses", f"expected a list of link statuses among {', '.join(STATUSES)}")
    listed = candidates.get("max_listed", 10)
    if not _number(listed, whole=True) or not 1 <= listed <= 1000:
        raise fail("candidates.max_listed", f"{listed!r} must be a whole number from 1 to 1000")

    anchors: dict[str, Anchor] = {}
    if not isinstance(data["anchors"], dict) or not data["anchors"]:
        raise fail("anchors", "expected a mapping of anchor name → {role} or {match, local_only}")
    for key, raw in data["anchors"].items():
        where = f"anchors.{key}"
        if not isinstance(raw, dict) or not ({"role"} == set(raw) or ("match" in raw and set(raw) <= {"match",
                                                                                                         "local_only"})):
            raise fail(where, "expected either {role: KEY} or {match: [paths], local_only: true/false}")
        if "role" in raw:
            if role_keys is not None and raw["role"] not in role_keys:
                raise fail(where, f"role {raw['role']!r} is not one of the 补链 roles ({', '.join(role_keys)})")
            anchors[key] = Anchor(key, role=str(raw["role"]))
            continue
        if not isinstance(raw["match"], list) or not raw["match"]:
            raise fail(where, "match must be a non-empty list of paths")
        paths = tuple(parse_path(p, (CLUSTER_TYPE,), f"{where}.match[{j}]", fail) for j, p in enumerate(raw["match"]))
        local_only = raw.get("local_only", False)
        if not isinstance(local_only, bool):
            raise fail(where, "local_only must be true or false")
        anchors[key] = Anchor(key, match=paths, local_only=local_only)

    signals: list[Signal] = []
    if not isinstance(data["signals"], list) or not data["signals"]:
        raise fail("signals", "expected a non-empty list of signals")
    for i, raw in enumerate(data["signals"]):
        where = f"signals[{i}]"
        keys = {"key", "label", "label_en", "weight", "cap", "anchor", "match"}
        if not isinstance(raw, dict) or set(raw) != keys:
            raise fail(where, f"a signal has exactly {', '.join(sorted(keys))}")
        where = f"signals[{i}] ({raw['key']})"
        if any(s.key == raw["key"] for s in signals):
            raise fail(where, "the key appears twice")
        if not _number(raw["weight"]):
            raise fail(where, f"weight {raw['weight']!r} must be a number ≥ 0")
        if not _number(raw["cap"], whole=True) or raw["cap"] < 1:
            raise fail(where, f"cap {raw['cap']!r} must be a whole number ≥ 1")
        if raw["anchor"] not in anchors:
            raise fail(where, f"anchor {raw['anchor']!r} is not one of {', '.join(sorted(anchors))}")
        if not all(isinstance(raw[k], str) and raw[k] for k in ("key", "label", "label_en")):
            raise fail(where, "key, label and label_en must be non-empty strings")
        if not isinstance(raw["match"], list) or not raw["match"]:
            raise fail(where, "match must be a non-empty list of paths")
        paths = tuple(parse_path(p, (CANDIDATE_TYPE,), f"{where}.match[{j}]", fail) for j, p in enumerate(raw["match"]))
        signals.append(Signal(raw["key"], raw["label"], raw["label_en"], float(raw["weight"]), raw["cap"],
                              raw["anchor"], paths))
    return TargetRules(tuple(statuses), listed, anchors, tuple(signals))
