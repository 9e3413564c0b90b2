"""One JSON error shape for every failure: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.errors import (
    ConstraintViolation,
    CypherSyntaxError,
    QueryTimeout,
    ReadOnlyViolation,
    StoreError,
    StoreUnavailable,
)


class ApiError(Exception):
    """Raised by routes for expected failures (unknown id, bad parameter…)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = headers


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": details}},
                        status_code=status, headers=headers)


_STORE_STATUS: list[tuple[type[StoreError], int]] = [
    (CypherSyntaxError, 400),
    (ReadOnlyViolation, 403),
    (ConstraintViolation, 409),
    (QueryTimeout, 504),
    (StoreUnavailable, 503),
]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        if exc.status == 401 and request.method == "GET" and not request.url.path.startswith("/api/") \
                and "text/html" in request.headers.get("accept", ""):
            # A person opening a page: send them to the sign-in form, then back here.
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        status = next((s for cls, s in _STORE_STATUS if isinstance(exc, cls)), 400)
        headers = {"Retry-After": "5"} if status == 503 else None
        return error_response(status, exc.code, exc.message, exc.details or None, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"location": list(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        fields = ", ".join(".".join(str(p) for p in d["location"]) for d in details)
        return error_response(422, "invalid_request", f"Invalid request parameters: {fields}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), None, getattr(exc, "headers", None))
