"""Signing in from a browser: the API key is kept in an HttpOnly, SameSite=Strict cookie, so the pages
(and the API calls they make) work when ``ECOMAP_API_KEYS`` is set. Both forms refuse posts from other
origins, and an address that gave too many wrong keys is asked to wait (429)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import SESSION_COOKIE, failed_key_wait, lookup_role, record_failed_key
from app.deps import services_of
from app.i18n import pair
from app.origin import same_origin
from app.pages.render import PAGE_CSP, render
from app.routes.pages import page_language

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only a path on this server (never ``//host`` or a full URL) is followed after signing in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _login_page(next_path: str, error: tuple[str, str] | None = None, status: int = 200,
                headers: dict[str, str] | None = None) -> HTMLResponse:
    html = render("login.html", page="login", title="登录", next=_safe_next(next_path), error=error)
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": PAGE_CSP, **(headers or {})})


@router.get("/login", dependencies=[Depends(page_language)])
def login_form(next: str = Query("/", max_length=2000)) -> HTMLResponse:
    return _login_page(next)


@router.post("/login", dependencies=[Depends(same_origin)])
def login(request: Request, key: str = Form(..., max_length=500),
          next: str = Form("/", max_length=2000)) -> Response:
    if wait := failed_key_wait(request):
        return _login_page(next, pair("login.too_many", seconds=wait),
                           status=429, headers={"Retry-After": str(wait)})
    if lookup_role(services_of(request).settings, key) is None:
        record_failed_key(request)
        return _login_page(next, pair("login.bad_key"), status=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, key, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout", dependencies=[Depends(same_origin)])
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
