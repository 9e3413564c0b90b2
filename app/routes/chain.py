"""``/api/clusters/{id}/chain``, ``/targets`` and ``/whatif``: a cluster's industry chain in order, the
招商 candidates for its gap and fragile links, and what-if questions answered without writing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from app.auth import require
from app.deps import services_of
from app.errors import ApiError
from app.fairness import heavy
from app.schemas import error_responses
from app.settings import Role
from graph.analytics import Analytics, UnknownCluster
from graph.analytics.whatif import MAX_CHANGES, Addition, WhatIfError

router = APIRouter(prefix="/api/clusters", tags=["chain"], dependencies=[Depends(require(Role.VIEWER))],
                   responses=error_responses(401, 403, 404, 422, 503, 504))

ClusterId = Path(min_length=1, max_length=200, description="The cluster's id (e.g. cluster-rail-equipment).")


def analytics_of(request: Request) -> Analytics:
    return services_of(request).analytics


def unknown_cluster(cluster_id: str) -> ApiError:
    return ApiError(404, "not_found", f"No cluster has the id {cluster_id!r}. List clusters with "
                    "/api/entities?type=Cluster.", {"id": cluster_id,
                                                    "message_zh": f"没有编号为 {cluster_id} 的产业集群；"
                                                                  "可在 /clusters 查看全部集群。"})


def cluster_answer(analytics: Analytics, cluster_id: str, answer: str) -> dict[str, Any]:
    """``chain`` or ``targets`` of a cluster, with the graph version it belongs to."""
    try:
        result = getattr(analytics, answer)(cluster_id)
    except UnknownCluster:
        raise unknown_cluster(cluster_id) from None
    return {"version": analytics.version or 0, **result}


@router.get("/{cluster_id}/chain", dependencies=[heavy("analytics")])
def cluster_chain(cluster_id: str = ClusterId, analytics: Analytics = Depends(analytics_of)) -> dict[str, Any]:
    """The chain upstream → downstream: ``columns`` in order (from ``UPSTREAM_OF`` when it orders every
    link, ``basis: upstream_of``; else by each link's ``position`` in the declared order, ``basis:
    position``), and per link its local enterprises (``leader`` marks a 链主), the enterprises outside the
    home regions operating in it, its status (``gap``: no local enterprise, ``fragile``: one, ``ok``) and
    the platforms, finance and policies linked to it."""
    return cluster_answer(analytics, cluster_id, "chain")


@router.get("/{cluster_id}/targets", dependencies=[heavy("analytics")])
def cluster_targets(cluster_id: str = ClusterId, analytics: Analytics = Depends(analytics_of)) -> dict[str, Any]:
    """招商 candidates for every gap and fragile link: enterprises outside the home regions operating in
    the link, ranked by the score of the scoring rules, each with the parts of its score and the evidence
    (relationships from the candidate to an anchor, and from the cluster to that anchor). A link without
    candidates says which data would give it some (``no_candidates``, Chinese and English)."""
    return cluster_answer(analytics, cluster_id, "targets")


class AdditionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    link: str = Field(min_length=1, max_length=200,
                      description="The chain link the hypothetical enterprise operates in.")
    name: str = Field(min_length=1, max_length=200, description="Its name (shown in the answer).")
    leader: bool = Field(False, description="Whether it would be a 链主 of the cluster.")


class WhatIfIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    remove: list[str] = Field(default_factory=list, max_length=MAX_CHANGES,
                              description="Ids of entities to leave out (a 链主, a bank, a platform…).")
    add: list[AdditionIn] = Field(default_factory=list, max_length=MAX_CHANGES,
                                  description="Hypothetical enterprises to add to links.")


@router.post("/{cluster_id}/whatif", dependencies=[heavy("analytics")])
def cluster_whatif(cluster_id: str = ClusterId, question: WhatIfIn = Body(...),
                   analytics: Analytics = Depends(analytics_of)) -> dict[str, Any]:
    """What the cluster would lose or gain: links that become gaps or fragile, roles lost or gained, the
    completeness score before and after, entities cut off from the cluster's ecosystem and entities that
    become single points of failure. Computed on a read of the graph; nothing is written."""
    additions = [Addition(a.link, a.name, a.leader) for a in question.add]
    try:
        result = analytics.whatif(cluster_id, question.remove, additions)
    except UnknownCluster:
        raise unknown_cluster(cluster_id) from None
    except WhatIfError as exc:
        raise ApiError(422, exc.code, exc.message_en, {**exc.details, "message_zh": exc.message_zh}) from None
    return {"version": analytics.version or 0, **result}
