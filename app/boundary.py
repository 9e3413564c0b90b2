"""What every request must satisfy before a route sees it (an app-wide dependency): no query parameter
the route does not declare, no control character (C0 other than tab, newline and carriage return, or
DEL) or lone surrogate in a path, query or body value, and no JSON body nested deeper than
``MAX_BODY_DEPTH``. Before that, ``SizeLimits`` refuses requests whose headers or body are too long.

Two kinds of input are left to ``app.query_header`` and ``app.query_params``, which check them against a
query's declaration:
the extra URL query parameters of the routes that run a saved query from the URL
(``SAVED_QUERY_URL_ROUTES``), and the ``params`` of the bodies that carry Cypher parameters
(``CYPHER_PARAMS_ROUTES``).
"""

from __future__ import annotations

import asyncio
import email.message
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import ApiError, error_response

SAVED_QUERY_URL_ROUTES = frozenset({("GET", "/api/queries/{name}/run"), ("GET", "/queries/{name}")})
"""Routes whose undeclared URL query parameters are the saved query's own parameters."""

CYPHER_PARAMS_ROUTES = frozenset({("POST", "/api/cypher"), ("POST", "/api/queries/{name}/run")})
"""Routes whose body field ``params`` holds Cypher parameter values."""

UPLOAD_PATHS = frozenset({"/api/load"})
"""Paths whose bodies are file uploads: they may be ``max_upload_bytes`` long instead of ``max_body_bytes``."""

MAX_BODY_DEPTH = 32
"""Deepest nesting of arrays and objects a JSON body may have."""

_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
"""Control characters other than tab, newline and carriage return, and lone surrogates (not Unicode text)."""


class _Problems:
    """Problems found in one request, raised together as one 422 whose message names each field."""

    SHOWN = 5

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, location: list[str | int], message: str) -> None:
        self.items.append({"location": location, "message": message})

    def raise_if_any(self) -> None:
        if not self.items:
            return
        parts = [f"{'.'.join(str(p) for p in item['location'])}: {item['message']}" for item in self.items]
        more = f" (and {len(parts) - self.SHOWN} more)" if len(parts) > self.SHOWN else ""
        raise ApiError(422, "invalid_request", "Invalid request: " + "; ".join(parts[:self.SHOWN]) + more + ".",
                       self.items)


def _character_problem(text: str) -> str | None:
    found = _REFUSED.search(text)
    if found is None:
        return None
    where = f"U+{ord(found.group()):04X} at position {found.start()}"
    if found.group() >= "\ud800":
        return f"holds the lone surrogate {where}, which is not Unicode text; send valid UTF-8"
    return f"holds the control character {where}; remove it (only tab, newline and carriage return are allowed)"


async def check_request(request: Request) -> None:
    """Refuse undeclared query parameters, refused characters and deep bodies, naming every offending field."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    key = (request.method, route.path)
    declared = declared_query_params(route)
    free_query = key in SAVED_QUERY_URL_ROUTES
    unknown = _Problems()
    if not free_query:
        for name in request.query_params.keys():
            if name not in declared:
                takes = ", ".join(sorted(declared)) or "none"
                unknown.add(["query", name], f"unknown query parameter; this endpoint takes: {takes}")
    unknown.raise_if_any()

    problems = _Problems()
    for name, value in request.path_params.items():
        if isinstance(value, str) and (message := _character_problem(value)):
            problems.add(["path", name], message)
    for name, value in request.query_params.multi_items():
        if (name in declared or not free_query) and (message := _character_problem(value)):
            problems.add(["query", name], message)
    if route.body_field is not None:
        exempt = ("params",) if key in CYPHER_PARAMS_ROUTES else ()
        is_form = isinstance(route.body_field.field_info, params.Form)  # File is a Form too
        for location, message in await _request_body_problems(request, is_form, exempt):
            problems.add(["body", *location], message)
    problems.raise_if_any()


def declared_query_params(route: APIRoute) -> frozenset[str]:
    """Names of the query parameters a route and its dependencies declare."""
    names: set[str] = set()
    stack: list[Dependant] = [route.dependant]
    while stack:
        dependant = stack.pop()
        names.update(field.alias for field in dependant.query_params)
        stack.extend(dependant.dependencies)
    return frozenset(names)


async def _request_body_problems(request: Request, is_form: bool,
                                 exempt: tuple[str, ...]) -> Iterator[tuple[list[str | int], str]]:
    """Problems in the body as the route received it (already read and cached by the request): a form's
    text fields (not its files), or JSON. Any other body is the route's own validation's to refuse."""
    if is_form:
        form = await request.form()
        return iter([([name], message) for name, value in form.multi_items()
                     if isinstance(value, str) and (message := _character_problem(value))])
    header = email.message.Message()
    header["content-type"] = request.headers.get("content-type", "")
    subtype = header.get_content_subtype()
    is_json = header.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))
    if not is_json or not await request.body():
        return iter(())
    return _json_problems(await request.json(), exempt)


def _json_problems(body: Any, exempt: tuple[str, ...]) -> Iterator[tuple[list[str | int], str]]:
    """Refused characters in any key or string of a JSON body, and nesting beyond ``MAX_BODY_DEPTH``
    (iteratively: a deep body cannot exhaust the stack). Top-level fields in ``exempt`` are skipped."""
    stack: list[tuple[list[str | int], Any]] = [([], body)]
    while stack:
        location, value = stack.pop()
        if isinstance(value, str):
            if message := _character_problem(value):
                yield location, message
        elif isinstance(value, dict | list):
            if len(location) >= MAX_BODY_DEPTH:
                yield location, f"is nested deeper than {MAX_BODY_DEPTH} levels; flatten it"
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for k, v in items:
                if not location and k in exempt:
                    continue
                if isinstance(k, str) and (message := _character_problem(k)):
                    yield [*location, k], f"the key {message}"
                    continue
                stack.append(([*location, k], v))


class SizeLimits:
    """ASGI middleware: a request whose line and headers pass ``max_head_bytes`` is refused with a 431; a
    body longer than the limit of its path with a 413, before it is read when its Content-Length says so,
    else as soon as the bytes received pass the limit; a body that stops arriving for ``body_timeout_s``
    with a 408."""

    def __init__(self, app: ASGIApp, max_head_bytes: int, max_body_bytes: int, max_upload_bytes: int,
                 body_timeout_s: float) -> None:
        self.app = app
        self.max_head_bytes, self.max_body_bytes, self.max_upload_bytes = max_head_bytes, max_body_bytes, \
            max_upload_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") + \
            sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if head > self.max_head_bytes:
            await error_response(431, "headers_too_large", f"The request line and headers take {head} bytes, more "
                                 f"than the {self.max_head_bytes} this server accepts; send a shorter URL or "
                                 "fewer or shorter headers.")(scope, receive, send)
            return
        limit = self.max_upload_bytes if scope["path"] in UPLOAD_PATHS else self.max_body_bytes
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await error_response(413, "payload_too_large", _too_large(limit))(scope, receive, send)
            return
        received, complete = 0, False

        async def receive_limited() -> Message:
            nonlocal received, complete
            if complete:  # only a disconnect can come now, whenever the client leaves
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout_s)
            except TimeoutError:
                raise HTTPException(408, f"The request body stopped arriving: nothing came for "
                                         f"{self.body_timeout_s:g} s. Send it again in one go.") from None
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, _too_large(limit))
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, receive_limited, send)


def _too_large(limit: int) -> str:
    return f"The request body is larger than the {limit} bytes this endpoint accepts; send less data."
