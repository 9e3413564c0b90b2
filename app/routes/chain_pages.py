"""``/clusters/{id}/chain`` and ``/clusters/{id}/targets``: a cluster's industry chain drawn upstream →
downstream with a what-if panel, and the 招商 candidates for its gap and fragile links with the evidence
behind each score.

Both pages are rendered from the analytics' answers (the same as ``/api/clusters/{id}/chain`` and
``/targets``); the chain page's picture and what-if panel are drawn by ``js/chain.js`` and
``js/chain_whatif.js`` from the chain embedded as JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from app.auth import require
from app.deps import services_of
from app.pages.render import html_page, not_found_page, render
from app.pages.urls import citation_url, cluster_url, entity_url
from app.pages.views import script_json
from app.query_entities import entity_names
from app.routes.pages import page_language
from app.settings import Role
from graph.analytics import UnknownCluster
from graph.ontology import REL_TYPE_BY_NAME

router = APIRouter(include_in_schema=False, dependencies=[Depends(require(Role.VIEWER)), Depends(page_language)])

ClusterId = Path(min_length=1, max_length=200)
SHOWN = 20
"""Most entities of one kind listed (and drawn) per link; the rest are counted."""
CHAIN_SCRIPTS = ("js/core.js", "js/i18n.js", "js/chain.js", "js/chain_whatif.js")
TARGETS_SCRIPTS = ("js/core.js", "js/i18n.js")


def page_urls(cluster_id: str) -> dict[str, str]:
    """Where the pages of one cluster live."""
    base = cluster_url(cluster_id)
    return {"map": base, "chain": f"{base}/chain", "targets": f"{base}/targets", "report": f"{base}/report",
            "report_xlsx": f"{base}/report.xlsx"}


@router.get("/clusters/{cluster_id}/chain", response_class=HTMLResponse)
def chain_page(request: Request, cluster_id: str = ClusterId) -> HTMLResponse:
    """The chain as columns of links, their firms and support, the ordering basis and the what-if panel."""
    analytics = services_of(request).analytics
    try:
        chain = analytics.chain(cluster_id)
    except UnknownCluster:
        return not_found_page("page.not_found.cluster", id=cluster_id)
    links = {link["id"]: link for link in chain["links"]}
    text = render("chain.html", page="chain", scripts=CHAIN_SCRIPTS, chain=chain, links=links, shown=SHOWN,
                  urls=page_urls(cluster_id), entity_url=entity_url, citation_url=citation_url,
                  chain_json=Markup(script_json({**chain, "shown": SHOWN})))
    return html_page(text)


def step_names(targets: dict[str, Any]) -> set[str]:
    """Ids of every entity an evidence path passes through."""
    ids: set[str] = set()
    for link in targets["links"]:
        for candidate in link["candidates"]:
            for part in candidate["parts"]:
                for evidence in part["evidence"]:
                    for step in evidence["path"] + evidence["anchor_path"]:
                        ids.update((step["start"], step["end"]))
    return ids


def read_path(steps: list[dict[str, str]], start: str) -> list[dict[str, Any]]:
    """A path as read from ``start``: each step's relationship (both languages), whether it points the
    way of reading, and the entity it reaches.

    Examples
    --------
    >>> [(s["rel"], s["forward"], s["to"]) for s in read_path(
    ...     [{"rel": "MEMBER_OF", "start": "e", "end": "c"}, {"rel": "NEEDS", "start": "c", "end": "t"}], "e")]
    [('MEMBER_OF', True, 'c'), ('NEEDS', True, 't')]
    >>> [(s["forward"], s["to"]) for s in read_path([{"rel": "NEEDS", "start": "c", "end": "t"}], "t")]
    [(False, 'c')]
    """
    out, at = [], start
    for step in steps:
        forward = step["start"] == at
        to = step["end"] if forward else step["start"]
        rel = REL_TYPE_BY_NAME.get(step["rel"])
        out.append({"rel": step["rel"], "zh": rel.zh if rel else step["rel"], "en": rel.en if rel else step["rel"],
                    "forward": forward, "to": to})
        at = to
    return out


@router.get("/clusters/{cluster_id}/targets", response_class=HTMLResponse)
def targets_page(request: Request, cluster_id: str = ClusterId) -> HTMLResponse:
    """Per gap and fragile link, the ranked candidates with their score parts and evidence paths."""
    services = services_of(request)
    try:
        targets = services.analytics.targets(cluster_id)
    except UnknownCluster:
        return not_found_page("page.not_found.cluster", id=cluster_id)
    names = entity_names(services.store, step_names(targets))
    text = render("targets.html", page="targets", scripts=TARGETS_SCRIPTS, targets=targets, names=names,
                  read_path=read_path, urls=page_urls(cluster_id), entity_url=entity_url)
    return html_page(text)
