"""``/clusters``: every industry cluster against every supporting role of the 补链 rules, on one page.

A planner reads off which clusters have a role, which a source records as lacking it, and which the
sources say nothing about; the report is the analytics' cached one (``GET /api/analytics/gaps``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from app.auth import require
from app.deps import services_of
from app.pages.render import html_page, render
from app.pages.urls import citation_url, cluster_url, entity_url
from app.routes.pages import page_language
from app.settings import Role

router = APIRouter(include_in_schema=False, dependencies=[Depends(require(Role.VIEWER)), Depends(page_language)])

MARKS = {"present": "✓", "recorded_absent": "✕", "not_recorded": "?"}
"""The mark shown before each status word, so the table can be scanned without reading."""
ENTITIES_SHOWN = 5
"""Most entities named in one cell; the cluster's own page lists them all."""


def by_role(report: list[dict[str, Any]], roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each role, the clusters of each status (in the report's order)."""
    rows = []
    for i, role in enumerate(roles):
        clusters: dict[str, list[dict[str, Any]]] = {status: [] for status in MARKS}
        for cluster in report:
            clusters[cluster["roles"][i]["status"]].append(cluster)
        rows.append({"role": role, "clusters": clusters})
    return rows


@router.get("/clusters", response_class=HTMLResponse)
def cluster_overview(request: Request) -> HTMLResponse:
    """The table of clusters × supporting roles, with the score and what it does and does not measure."""
    analytics = services_of(request).analytics
    report = analytics.gaps()
    roles = [{"role": r.role, "label": r.label, "label_en": r.label_en, "weight": r.weight}
             for r in analytics.rules.roles]
    text = render("clusters.html", page="clusters", clusters=report, roles=roles, statuses=list(MARKS), marks=MARKS,
                  by_role=by_role(report, roles), shown=ENTITIES_SHOWN, entity_url=entity_url,
                  cluster_url=cluster_url, citation_url=citation_url)
    return html_page(text)
