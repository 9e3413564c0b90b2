"""``GET /api/analytics/…``: importance, communities, brokers and the 补链 report, computed by
``graph.analytics`` and cached per graph version."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from app.auth import require
from app.deps import services_of
from app.errors import ApiError
from app.schemas import NodeTypeName, error_responses
from app.settings import Role
from graph.analytics import Analytics, UnknownCluster
from graph.store import GraphStore

router = APIRouter(prefix="/api/analytics", tags=["analytics"], dependencies=[Depends(require(Role.VIEWER))],
                   responses=error_responses(401, 403, 404, 422, 503, 504))

async def get_analytics(request: Request) -> Analytics:
    """The app's ``Analytics`` of its store (one per process, so the cache is shared by requests)."""
    return services_of(request).analytics


# -- response models -------------------------------------------------------------------------
class RankedNode(BaseModel):
    id: str
    name: str | None
    type: str | None
    degree: int
    pagerank: float
    importance: float = Field(description="PageRank scaled so the top node of the whole graph has 1.")
    betweenness: float | None
    community: int | None


class ImportanceOut(BaseModel):
    version: int
    total: int = Field(description="Nodes of the requested type (all types when none is given).")
    betweenness: str = Field(description="'exact', or how it was sampled and its error bound.")
    items: list[RankedNode]


class CommunityOut(BaseModel):
    id: int
    size: int
    top: list[RankedNode] = Field(description="The community's most important members.")
    clusters: list[str] = Field(description="Declared clusters most of whose members fall in this community.")


class ClusterAlignment(BaseModel):
    cluster: str
    members: int
    community: int | None
    share: float
    spread: int


class CommunitiesOut(BaseModel):
    version: int
    method: str
    seed: int
    modularity: float
    count: int
    communities: list[CommunityOut]
    alignment: list[ClusterAlignment]
    nmi: float | None = Field(description="Normalised mutual information between declared clusters and "
                                          "communities (1: identical).")
    membership: dict[str, int | None] = Field(description="Community of each id asked for with `ids`.")


class Broker(BaseModel):
    id: str
    name: str | None
    type: str | None
    clusters: list[str]
    span: int
    betweenness: float | None


class Bridge(BaseModel):
    source: str
    target: str
    clusters: list[str]


class ClusterPair(BaseModel):
    clusters: list[str]
    edges: int
    brokers: int


class BrokersOut(BaseModel):
    version: int
    total: int
    brokers: list[Broker]
    bridges: list[Bridge]
    cluster_links: list[ClusterPair]


class GapsPathStep(BaseModel):
    rel: str = Field(description="Relationship type.")
    start: str = Field(description="Id of the node the relationship starts at.")
    end: str = Field(description="Id of the node it ends at.")


class GapsEvidence(BaseModel):
    entity: str
    name: str
    name_en: str
    scope: Literal["self", "parent"] = Field(description="self: the cluster holds the role; parent: a cluster it "
                                                         "belongs to (the rules' scope) does.")
    via_cluster: str | None = Field(description="The parent cluster holding the role (null for self).")
    path: list[GapsPathStep] = Field(description="The relationships from the cluster to the entity, in order.")


class GapsRelated(BaseModel):
    entity: str
    name: str
    name_en: str
    path: list[GapsPathStep] = Field(description="The shortest link from the cluster to the entity.")
    why_zh: str
    why_en: str


class RoleOut(BaseModel):
    role: str
    label: str
    label_en: str
    weight: float
    status: Literal["present", "recorded_absent", "not_recorded"] = Field(
        description="present: an entity fills the role; recorded_absent: a source states the cluster lacks it; "
                    "not_recorded: the sources say neither (the role may still exist).")
    present: bool = Field(description="status == 'present' (kept for older clients).")
    entities: list[str]
    count: int = Field(description="Entities filling the role (``entities`` may be cut at `limit`).")
    evidence: list[GapsEvidence] = Field(description="Why the role counts as present, one entry per entity "
                                                     "(cut at `limit` like ``entities``).")
    absent_sources: list[str] = Field(description="For recorded_absent: the citations of the cluster stating the lack.")
    related: list[GapsRelated] = Field(description="For not_recorded: entities of the role's kind linked to the "
                                                   "cluster in another way, which no source records in the role.")


class LinkOut(BaseModel):
    id: str
    name: str | None
    enterprises: list[str] = Field(description="Local enterprises operating in the link (those with no recorded "
                                   "region included).")
    count: int = Field(description="Local enterprises operating in the link (``enterprises`` may be cut at `limit`).")
    unknown_region: list[str] = Field(description="Those of ``enterprises`` whose region is not recorded.")
    outside: list[str] = Field(description="Enterprises from outside the home regions operating in the link.")
    status: str = Field(description="gap (no local enterprise), fragile (one) or ok.")


class ClusterGaps(BaseModel):
    id: str
    name: str | None
    name_en: str | None
    score: float = Field(description="Weight of the present roles over the weight of all roles (0 to 1): the "
                                     "share of the rules the sources record for the cluster, not a judgement of "
                                     "its strength.")
    present_weight: float
    total_weight: float
    roles: list[RoleOut]
    links: list[LinkOut]


class GapsOut(BaseModel):
    version: int
    clusters: list[ClusterGaps]


# -- helpers ---------------------------------------------------------------------------------
def _names(store: GraphStore, ids: list[str]) -> dict[str, str | None]:
    if not ids:
        return {}
    rows = store.read("MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id, n.name", {"ids": ids}).rows
    return {row[0]: row[1] for row in rows}


def _ranked(analytics: Analytics, ids: list[str]) -> list[RankedNode]:
    imp = analytics.importance()
    between = analytics.betweenness()["values"]
    membership = analytics.communities().membership
    P = analytics.projection()
    names = _names(analytics.store, ids)
    return [RankedNode(id=node, name=names.get(node), type=P.types[P.index[node]], degree=imp["degree"][node],
                       pagerank=imp["pagerank"][node], importance=imp["importance"][node],
                       betweenness=between.get(node), community=membership.get(node)) for node in ids]


def _betweenness_note(analytics: Analytics) -> str:
    bt = analytics.betweenness()
    if bt["k"] is None:
        return "exact"
    return f"sampled from {bt['k']} sources (seed {bt['seed']}), ±{bt['error']:.3f} per node at 95 % confidence"


# -- endpoints -------------------------------------------------------------------------------
@router.get("/importance", response_model=ImportanceOut)
def importance(
    type_: NodeTypeName | None = Query(None, alias="type", description="Only nodes of this type."),
    limit: int = Query(50, ge=1, le=1000),
    analytics: Analytics = Depends(get_analytics),
) -> ImportanceOut:
    """The most important nodes by PageRank, with their degree, betweenness and community."""
    P = analytics.projection()
    pr = analytics.importance()["pagerank"]
    wanted = type_.value if type_ is not None else None
    candidates = [node for node, t in zip(P.ids, P.types, strict=True) if wanted is None or t == wanted]
    top = sorted(candidates, key=lambda node: (-pr[node], node))[:limit]
    return ImportanceOut(version=analytics.version or 0, total=len(candidates),
                         betweenness=_betweenness_note(analytics), items=_ranked(analytics, top))


@router.get("/communities", response_model=CommunitiesOut)
def communities(
    limit: int = Query(20, ge=1, le=500, description="Most communities listed (largest first)."),
    top: int = Query(5, ge=0, le=50, description="Most important members shown per community."),
    ids: str | None = Query(None, max_length=100_000,
                            description="Comma-separated node ids whose community to return (at most 5000)."),
    analytics: Analytics = Depends(get_analytics),
) -> CommunitiesOut:
    """Communities found by modularity (fixed seed), and how they line up with the declared clusters."""
    asked = [i for i in (ids or "").split(",") if i]
    if len(asked) > 5000:
        raise ApiError(422, "invalid_request", f"ids lists {len(asked)} nodes; ask for at most 5000 at a time.")
    found = analytics.communities()
    pr = analytics.importance()["pagerank"]
    alignment = analytics.alignment()
    clusters_of: dict[int, list[str]] = {}
    for row in alignment["clusters"]:
        if row["community"] is not None and row["share"] > 0.5:
            clusters_of.setdefault(row["community"], []).append(row["cluster"])
    listed = []
    for number, members in enumerate(found.communities[:limit]):
        best = sorted(members, key=lambda node: (-pr[node], node))[:top]
        listed.append(CommunityOut(id=number, size=len(members), top=_ranked(analytics, best),
                                   clusters=clusters_of.get(number, [])))
    return CommunitiesOut(version=analytics.version or 0, method=found.method, seed=found.seed,
                          modularity=found.modularity, count=len(found), communities=listed,
                          alignment=[ClusterAlignment(**row) for row in alignment["clusters"]],
                          nmi=alignment["nmi"], membership={node: found.membership.get(node) for node in asked})


@router.get("/brokers", response_model=BrokersOut)
def brokers(
    limit: int = Query(50, ge=1, le=1000),
    analytics: Analytics = Depends(get_analytics),
) -> BrokersOut:
    """Nodes that connect declared clusters (by how many clusters they reach, then betweenness),
    the single relationships that hold two clusters together, and how each pair of clusters is linked."""
    found = analytics.brokers()
    shown = found[:limit]
    names = _names(analytics.store, [b["id"] for b in shown])
    P = analytics.projection()
    return BrokersOut(
        version=analytics.version or 0, total=len(found),
        brokers=[Broker(id=b["id"], name=names.get(b["id"]), type=P.types[P.index[b["id"]]], clusters=b["groups"],
                        span=b["span"], betweenness=b["betweenness"]) for b in shown],
        bridges=[Bridge(source=b["source"], target=b["target"], clusters=b["groups"])
                 for b in analytics.bridges()[:limit]],
        cluster_links=[ClusterPair(clusters=p["groups"], edges=p["edges"], brokers=p["brokers"])
                       for p in analytics.cluster_links()[:limit]])


@router.get("/gaps", response_model=GapsOut)
def gaps(
    cluster: str | None = Query(None, min_length=1, max_length=200, description="One cluster id (default: all)."),
    limit: int = Query(1000, ge=1, le=10_000, description="Most entity ids (and pieces of evidence) listed per "
                       "role, and enterprises per link."),
    analytics: Analytics = Depends(get_analytics),
) -> GapsOut:
    """The 补链 report: per cluster, each supporting role as present (with the evidence), recorded
    absent (a source states the lack) or not recorded (with related entities to check), a score,
    and every chain link with its enterprises: none is a gap, one is fragile."""
    try:
        report = analytics.gaps([cluster] if cluster is not None else None)
    except UnknownCluster:
        raise ApiError(404, "not_found", f"No cluster has the id {cluster!r}. List clusters with "
                       "/api/analytics/gaps or /api/entities?type=Cluster.", {"id": cluster}) from None
    return GapsOut(version=analytics.version or 0, clusters=[
        ClusterGaps(id=c["id"], name=c["name"], score=c["score"],
                    present_weight=c["present_weight"], total_weight=c["total_weight"], name_en=c["name_en"],
                    roles=[RoleOut(**{**r, "entities": r["entities"][:limit], "evidence": r["evidence"][:limit]},
                                   count=len(r["entities"])) for r in c["roles"]],
                    links=[LinkOut(**{**link, "enterprises": link["enterprises"][:limit],
                                      "unknown_region": link["unknown_region"][:limit],
                                      "outside": link["outside"][:limit]},
                                   count=len(link["enterprises"])) for link in c["links"]])
        for c in report])
