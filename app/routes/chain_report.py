"""``/clusters/{id}/report``: the chain report of a cluster ("一图一清单") as a printable page, and
``/clusters/{id}/report.xlsx`` as an Excel workbook; both from the same tables (``app.chain_report``)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from app.auth import require
from app.chain_report import ChainReport, build_report, report_html, report_xlsx
from app.deps import services_of
from app.fairness import heavy
from app.pages.render import html_page, not_found_page
from app.query_xlsx import XLSX_MEDIA_TYPE
from app.routes.chain import unknown_cluster
from app.routes.pages import page_language
from app.settings import Role
from graph.analytics import UnknownCluster

router = APIRouter(include_in_schema=False, dependencies=[Depends(require(Role.VIEWER))])

ClusterId = Path(min_length=1, max_length=200)


def _report(request: Request, cluster_id: str) -> ChainReport | None:
    try:
        return build_report(services_of(request).analytics, cluster_id, base_url=str(request.base_url))
    except UnknownCluster:
        return None


@router.get("/clusters/{cluster_id}/report", response_class=HTMLResponse,
            dependencies=[Depends(page_language), heavy("analytics")])
def chain_report_page(request: Request, cluster_id: str = ClusterId) -> HTMLResponse:
    """The printable chain report: the chain as columns of links coloured by status, then its tables."""
    report = _report(request, cluster_id)
    if report is None:
        return not_found_page("page.not_found.cluster", id=cluster_id)
    return html_page(report_html(report))


@router.get("/clusters/{cluster_id}/report.xlsx", dependencies=[heavy("analytics")])
def chain_report_xlsx(request: Request, cluster_id: str = ClusterId) -> Response:
    """The chain report as a workbook; an unknown cluster is the API's 404 (with ``message_zh``)."""
    report = _report(request, cluster_id)
    if report is None:
        raise unknown_cluster(cluster_id)
    name = quote(f"{report.cluster['name']}-产业链报告.xlsx", safe="")
    return Response(report_xlsx(report, base_url=str(request.base_url)), media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": f"attachment; filename=\"chain-report.xlsx\"; "
                                                    f"filename*=UTF-8''{name}",
                             "X-Content-Type-Options": "nosniff"})
