"""Refusing state-changing requests sent by pages of other sites.

SameSite=Strict keeps the session cookie from other *sites*, but a page on another port of the same
host is the same site, so its cross-origin form or fetch would carry an editor's cookie. Every request
other than GET, HEAD and OPTIONS must therefore come from this server's own origin (scheme, host and
port of the request's ``Host``): its ``Origin`` header, or its ``Referer`` when Origin is absent, must
match. A request with neither is let through only when it does not rely on the session cookie (an API
client sending its key in ``X-API-Key`` or ``Authorization``, or no key at all).

Behind a TLS-terminating proxy the server must see the scheme browsers use (uvicorn's proxy headers).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from app.errors import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "ecomap_api_key"
"""Cookie set by ``/login`` for browsers, which cannot send a header when following a link."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, default port filled in; None for anything else
    (``null``, another scheme, a malformed port)."""
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def _text(origin: tuple[str, str, int]) -> str:
    scheme, host, port = origin
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + ("" if port == _DEFAULT_PORTS[scheme] else f":{port}")


def _uses_session(request: Request) -> bool:
    headers = request.headers
    return SESSION_COOKIE in request.cookies and not (headers.get("x-api-key") or headers.get("authorization"))


async def same_origin(request: Request) -> None:
    """Dependency: refuse (403) a state-changing request that comes from another origin."""
    if request.method in SAFE_METHODS:
        return
    own = origin_of(str(request.base_url))
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is None:
        if _uses_session(request):
            raise ApiError(403, "cross_origin", "This request changes data with the sign-in cookie but has "
                           "neither an Origin nor a Referer header, so it cannot be told apart from a request "
                           "sent by another site's page. Send it from this server's pages, or from a script "
                           "with the key in the X-API-Key header.")
        return
    if own is None or origin_of(claimed) != own:
        shown = own and _text(own)
        raise ApiError(403, "cross_origin", f"This request changes data but comes from {claimed[:200]!r}, not "
                       f"from this server ({shown}); requests from other origins are refused. Send it from this "
                       "server's pages, or from a script with the key in the X-API-Key header and no Origin "
                       "header.", {"origin": claimed[:200], "expected": shown})
