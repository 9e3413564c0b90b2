"""One JSON error shape for every failure: ``{"error": {"code", "message", "details"}}``.

An exception no handler expects becomes a 500 ``internal_error`` whose only detail is a correlation id;
the stack trace goes to the log under the same id and never to the client. A person opening a page
gets the error page with the id instead.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import pair
from app.pages.render import PAGE_CSP, render
from graph.errors import (
    ConstraintViolation,
    CypherSyntaxError,
    QueryTimeout,
    ReadOnlyViolation,
    StoreError,
    StoreUnavailable,
    WriteLocked,
)


class ApiError(Exception):
    """Raised by routes for expected failures (unknown id, bad parameter…)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = headers


class ErrorJSONResponse(JSONResponse):
    """JSON that can always be sent: an error may quote a request's lone surrogate, which UTF-8 cannot
    encode; such a body is sent with every non-ASCII character escaped instead."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, separators=(",", ":")).encode()


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return ErrorJSONResponse({"error": {"code": code, "message": message, "details": details}},
                             status_code=status, headers=headers)


_STORE_STATUS: list[tuple[type[StoreError], int]] = [
    (CypherSyntaxError, 400),
    (ReadOnlyViolation, 403),
    (ConstraintViolation, 409),
    (WriteLocked, 409),
    (QueryTimeout, 504),
    (StoreUnavailable, 503),
]


logger = logging.getLogger(__name__)


def wants_page(request: Request) -> bool:
    """A person's browser asking for a page (not the API)."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


_PARAM_PROBLEMS = {"greater_than_equal": ("ge", "param.at_least"), "greater_than": ("gt", "param.more_than"),
                   "less_than_equal": ("le", "param.at_most"), "less_than": ("lt", "param.less_than"),
                   "string_too_long": ("max_length", "param.too_long"),
                   "string_too_short": ("min_length", "param.too_short"),
                   "literal_error": ("expected", "param.one_of"), "int_parsing": (None, "param.integer"),
                   "bool_parsing": (None, "param.boolean"), "missing": (None, "param.missing")}
"""Pydantic's error types, as the limit they carry and the catalogue message that says what to enter."""


def bad_parameters_page(errors: list[dict[str, Any]]) -> HTMLResponse:
    """The 422 page a person sees for a page address with a bad parameter: each one named, with what to enter."""
    lines: list[tuple[str, str]] = []
    for error in errors:
        name = str(error["loc"][-1]) if error.get("loc") else "?"
        limit_key, key = _PARAM_PROBLEMS.get(error.get("type", ""), (None, "param.invalid"))
        limit = (error.get("ctx") or {}).get(limit_key, "") if limit_key else ""
        lines.append(pair(key, name=name, limit=str(limit).replace("'", "")))
    message = ("；".join(zh for zh, _ in lines), "; ".join(en for _, en in lines))
    html = render("error.html", page="error", heading=pair("page.bad_param.heading"), message=message)
    return HTMLResponse(html, status_code=422, headers={"Content-Security-Policy": PAGE_CSP})


def internal_error_response(request: Request, correlation_id: str) -> Response:
    headers = {"X-Correlation-ID": correlation_id}
    if wants_page(request):
        html = render("error.html", page="error", heading=pair("error.internal.heading"),
                      message=pair("error.internal.message"), correlation_id=correlation_id)
        return HTMLResponse(html, status_code=500, headers={**headers, "Content-Security-Policy": PAGE_CSP})
    return error_response(500, "internal_error", "An unexpected error occurred on the server. Try again later; "
                          "if it keeps happening, report the correlation id to the administrator.",
                          {"correlation_id": correlation_id}, headers)


class CatchAll:
    """ASGI middleware: an unexpected exception is logged with its stack trace and a correlation id, and
    answered with ``internal_error_response`` (when no response has started yet)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_watched)
        except Exception:
            if started:
                raise  # the client has its status line already: the server logs this and drops the connection
            correlation_id = uuid.uuid4().hex
            logger.exception("Unexpected error (correlation id %s) on %s %s", correlation_id, scope["method"],
                             scope["path"])
            await internal_error_response(Request(scope), correlation_id)(scope, receive, send)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 408: "request_timeout", 413: "payload_too_large",
               431: "headers_too_large"}


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(CatchAll)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        if exc.status == 401 and request.method == "GET" and wants_page(request):
            # A person opening a page: send them to the sign-in form, then back here.
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        status = next((s for cls, s in _STORE_STATUS if isinstance(exc, cls)), 400)
        headers = {"Retry-After": "5"} if status == 503 or isinstance(exc, WriteLocked) else None
        return error_response(status, exc.code, exc.message, exc.details or None, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if wants_page(request):
            return bad_parameters_page(exc.errors())
        details = [{"location": list(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        fields = ", ".join(".".join(str(p) for p in d["location"]) for d in details)
        return error_response(422, "invalid_request", f"Invalid request parameters: {fields}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), None, getattr(exc, "headers", None))
