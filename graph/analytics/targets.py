"""招商 targets: for every gap or fragile link of a cluster's chain, the enterprises outside the
province that operate in that link, ranked by an explainable score.

What scores and how much is data (``targets_rules.yaml``): each signal relates a candidate to an
anchor set around the cluster (its 链主, local firms, the technologies it needs, the regions the
province attracts industry from, its banks and funds). Every point a candidate gets comes with its
evidence: the relationships from the candidate to the anchor and from the cluster to the anchor.
"""

from __future__ import annotations

from typing import Any

from graph.analytics.chain import chain
from graph.analytics.completeness import completeness
from graph.analytics.completeness_rules import ROW_CAP, Rules, Step, load_rules
from graph.analytics.locality import Locality, localities
from graph.analytics.rule_paths import Reached, follow, merge
from graph.analytics.targets_rules import CANDIDATE_TYPE, Signal, TargetRules, load_target_rules
from graph.store import GraphStore


def _steps_json(steps: tuple[Step, ...]) -> list[dict[str, str]]:
    return [{"rel": rel, "start": start, "end": end} for rel, start, end in steps]


def _anchors(store: GraphStore, cluster_id: str, rules: Rules, target_rules: TargetRules,
             report: dict[str, Any]) -> dict[str, dict[str, tuple[Step, ...]]]:
    """anchor name → entity → the relationships from the cluster to it."""
    found: dict[str, dict[str, tuple[Step, ...]]] = {}
    wanted = {signal.anchor for signal in target_rules.signals}
    where = None
    for key in sorted(wanted):
        anchor = target_rules.anchors[key]
        if anchor.role is not None:
            role = next((r for r in report["roles"] if r["role"] == anchor.role), None)
            found[key] = {e["entity"]: tuple((s["rel"], s["start"], s["end"]) for s in e["path"])
                          for e in (role["evidence"] if role else [])}
            continue
        reached: Reached = {}
        for path in anchor.match:
            merge(reached, follow(store, path, [cluster_id]))
        entities = reached.get(cluster_id, {})
        if anchor.local_only and entities:
            where = where or Locality.read(store, rules.chain.home_regions)
            rows = store.read("MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id, n.region",
                              {"ids": sorted(entities)}, row_cap=ROW_CAP).rows
            kept = localities(store, where, dict(rows))
            entities = {e: steps for e, steps in entities.items() if kept.get(e, "unknown") != "outside"}
        found[key] = entities
    return found


def _signal_hits(store: GraphStore, signal: Signal, candidates: list[str],
                 anchors: dict[str, tuple[Step, ...]]) -> Reached:
    """candidate → anchor entity reached → the relationships from the candidate to it."""
    reached: Reached = {}
    if not candidates or not anchors:
        return reached
    for path in signal.match:
        merge(reached, follow(store, path, candidates, start_label=CANDIDATE_TYPE, ends=sorted(anchors)))
    return reached


def _names(store: GraphStore, ids: set[str]) -> dict[str, tuple[str, str, str | None]]:
    if not ids:
        return {}
    rows = store.read("MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id, n.name, n.name_en, n.region",
                      {"ids": sorted(ids)}, row_cap=ROW_CAP).rows
    return {node: (zh or node, en or zh or node, region) for node, zh, en, region in rows}


def no_candidates_note(link: dict[str, Any], transfer_regions: list[str]) -> dict[str, str]:
    """What data would give a link candidates, in both languages."""
    zh_regions = "、".join(transfer_regions) or "承接产业转移的地区"
    en_regions = ", ".join(transfer_regions) or "the regions the province attracts industry from"
    return {
        "zh": f"数据中没有省外从事“{link['name']}”环节的企业，所以没有候选。载入省外企业名单，记录每家企业从事的环节"
              f"（从事环节 OPERATES_IN）和所在地区（所在地区 region 或 位于 LOCATED_IN），尤其是{zh_regions}的企业，"
              "即可得到候选；再记录它们与本地企业的合作、使用的技术和金融机构，评分才有依据。",
        "en": f"The data holds no enterprise outside the province that operates in {link['name_en']}, so there are no "
              "candidates. Load lists of enterprises outside the province with the link each operates in "
              f"(OPERATES_IN) and its region (region or LOCATED_IN), above all from {en_regions}; recording their "
              "partnerships with local firms, their technologies and their banks gives the score its evidence.",
    }


def targets(store: GraphStore, cluster_id: str, rules: Rules | None = None,
            target_rules: TargetRules | None = None, view: dict[str, Any] | None = None,
            report: dict[str, Any] | None = None) -> dict[str, Any]:
    """The 招商 targets of one cluster.

    Returns
    -------
    dict
        ``{"cluster", "signals", "max_score", "links"}``. Each link (gap or fragile, in chain order):
        ``{"id", "name", "name_en", "status", "position", "candidates", "no_candidates"}``; each candidate
        ``{"id", "name", "name_en", "region", "score", "parts"}`` with, per signal, ``{"signal", "label",
        "label_en", "weight", "cap", "count", "points", "evidence"}``; each evidence item names the
        ``anchor`` and gives ``path`` (candidate → anchor) and ``anchor_path`` (cluster → anchor), as stored
        relationships. ``no_candidates`` (both languages) says which data would give candidates, when none.

    Raises
    ------
    UnknownCluster
    """
    rules = rules or load_rules()
    target_rules = target_rules or load_target_rules(role_keys=[r.role for r in rules.roles])
    report = report or completeness(store, rules, [cluster_id], related=False)[0]
    view = view or chain(store, cluster_id, rules, report)
    links = [link for link in view["links"] if link["status"] in target_rules.statuses]
    candidates = sorted({op["id"] for link in links for op in link["outside"]})
    anchors = _anchors(store, cluster_id, rules, target_rules, report)
    hits = {s.key: _signal_hits(store, s, candidates, anchors[s.anchor]) for s in target_rules.signals}
    mentioned = set(candidates) | {a for found in anchors.values() for a in found}
    names = _names(store, mentioned | {n for found in anchors.values() for steps in found.values()
                                       for step in steps for n in step[1:]})
    transfer = [names.get(r, (r, r, None))[0] for r in sorted(anchors.get("transfer_regions", {}))]

    def named(entity: str) -> dict[str, str]:
        zh, en, _ = names.get(entity, (entity, entity, None))
        return {"id": entity, "name": zh, "name_en": en}

    def scored(candidate: str) -> dict[str, Any]:
        parts = []
        for signal in target_rules.signals:
            reached = hits[signal.key].get(candidate, {})
            chosen = sorted(reached, key=lambda a: (len(reached[a]), a))[:signal.cap]
            parts.append({"signal": signal.key, "label": signal.label, "label_en": signal.label_en,
                          "weight": signal.weight, "cap": signal.cap, "count": len(chosen),
                          "points": signal.weight * len(chosen),
                          "evidence": [{"anchor": named(a), "path": _steps_json(reached[a]),
                                        "anchor_path": _steps_json(anchors[signal.anchor][a])} for a in chosen]})
        return {**named(candidate), "region": names.get(candidate, (None, None, None))[2],
                "score": sum(p["points"] for p in parts), "parts": parts}

    out = []
    for link in links:
        ranked = sorted((scored(op["id"]) for op in link["outside"]), key=lambda c: (-c["score"], c["id"]))
        out.append({key: link[key] for key in ("id", "name", "name_en", "status", "position", "column")}
                   | {"candidates": ranked[:target_rules.max_listed], "candidate_count": len(ranked),
                      "no_candidates": None if ranked else no_candidates_note(link, transfer)})
    return {"cluster": view["cluster"], "max_score": target_rules.max_score,
            "signals": [{"key": s.key, "label": s.label, "label_en": s.label_en, "weight": s.weight, "cap": s.cap,
                         "anchor": s.anchor} for s in target_rules.signals],
            "transfer_regions": [named(r) for r in sorted(anchors.get("transfer_regions", {}))],
            "links": out}

