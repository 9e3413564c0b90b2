"""API keys, roles, per-key rate limits and the throttle of failed keys.

A key comes in the ``X-API-Key`` header, as ``Authorization: Bearer <key>``, or (for browsers, after
``/login``) in the ``ecomap_api_key`` cookie; ``ECOMAP_API_KEYS``
maps keys to roles (viewer < analyst < editor). With no keys configured the server is bound to
loopback (``ecomap serve`` refuses anything else) and viewer endpoints are open; endpoints that need
a stronger role then answer 401 until keys are configured.

Every authenticated route also refuses state-changing requests from other origins (``app.origin``),
and a client address that presented too many wrong keys is refused (429) for a while.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.deps import services_of
from app.errors import ApiError
from app.origin import SESSION_COOKIE, same_origin
from app.settings import Role, Settings

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (ECOMAP_API_KEYS).")
_bearer = HTTPBearer(auto_error=False, description="The API key as a bearer token.")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key (``None`` when anonymous), its role and the key's name (non-secret: what
    records the caller as author; ``None`` when anonymous)."""

    key: str | None
    role: Role
    name: str | None = None


def lookup_role(settings: Settings, presented: str) -> Role | None:
    # Compare every configured key in constant time so timing does not reveal a prefix.
    found = None
    for key, role in settings.api_keys.items():
        if hmac.compare_digest(key.encode(), presented.encode()):
            found = role
    return found


@dataclass
class FailureThrottle:
    """Wrong keys per client address: after ``limit`` failures within ``window_s`` seconds the address is
    refused, whatever key it sends, until the oldest of them is ``window_s`` old. Refusing its valid keys
    too is what makes guessing pointless; other addresses are never affected. ``max_clients`` bounds
    the addresses remembered."""

    limit: int = 10
    window_s: float = 60.0
    max_clients: int = 10_000
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, client: str) -> float:
        """Seconds ``client`` must still wait; 0 when it may try a key."""
        with self._lock:
            times = self._failures.get(client)
            if times is None or len(times) < self.limit:
                return 0.0
            return max(0.0, times[0] + self.window_s - time.monotonic())

    def record(self, client: str) -> None:
        """Count a wrong key from ``client``."""
        now = time.monotonic()
        with self._lock:
            if client not in self._failures and len(self._failures) >= self.max_clients:
                self._forget_before(now - self.window_s)
            self._failures.setdefault(client, deque(maxlen=self.limit)).append(now)

    def _forget_before(self, cutoff: float) -> None:
        for client in [c for c, times in self._failures.items() if times[-1] < cutoff]:
            del self._failures[client]
        while len(self._failures) >= self.max_clients:
            del self._failures[next(iter(self._failures))]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def failed_key_wait(request: Request) -> int:
    """Whole seconds the caller's address must wait before presenting a key again; 0 when it may."""
    wait = services_of(request).failed_keys.retry_after(client_address(request))
    return math.ceil(wait) if wait > 0 else 0


def record_failed_key(request: Request) -> None:
    services_of(request).failed_keys.record(client_address(request))


def too_many_failures(seconds: int) -> ApiError:
    return ApiError(429, "too_many_failed_keys", f"Too many wrong API keys from your address; retry in {seconds} s "
                    "with a key listed in ECOMAP_API_KEYS.", {"retry_after": seconds},
                    headers={"Retry-After": str(seconds)})


async def authenticate(request: Request, _origin: None = Depends(same_origin),
                       api_key: str | None = Depends(_api_key_header),
                       bearer: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    settings: Settings = services_of(request).settings
    presented = api_key or (bearer.credentials if bearer else None) or request.cookies.get(SESSION_COOKIE)
    if presented is None:
        if settings.api_keys:
            raise ApiError(401, "unauthorized", "This endpoint needs an API key: send it in the X-API-Key header "
                           "(or Authorization: Bearer <key>).", headers={"WWW-Authenticate": "Bearer"})
        return Principal(None, Role.VIEWER)
    if wait := failed_key_wait(request):
        raise too_many_failures(wait)
    role = lookup_role(settings, presented)
    if role is None:
        record_failed_key(request)
        raise ApiError(401, "unauthorized", "The API key is not valid. Check ECOMAP_API_KEYS on the server.",
                       headers={"WWW-Authenticate": "Bearer"})
    return Principal(presented, role, settings.api_key_names.get(presented))


def require(role: Role) -> Callable[..., Principal]:
    """Dependency: the caller must hold ``role`` or a stronger one."""

    async def dependency(request: Request, principal: Principal = Depends(authenticate)) -> Principal:
        if principal.role.rank >= role.rank:
            return principal
        if principal.key is None:
            hint = "" if services_of(request).settings.api_keys else (
                f" No keys are configured on this server: set ECOMAP_API_KEYS (e.g. 'longsecretkey:{role.value}').")
            raise ApiError(401, "unauthorized", f"This endpoint needs an API key with role {role.value}.{hint}",
                           headers={"WWW-Authenticate": "Bearer"})
        raise ApiError(403, "forbidden", f"This endpoint needs role {role.value}; your key has role "
                       f"{principal.role.value}.")

    return dependency


@dataclass
class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute on average, ``burst`` at once."""

    per_minute: float
    burst: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str) -> float:
        """Take one token for ``key``; return 0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate


DEFAULT_LIMITS = {"cypher": (60.0, 20), "load": (10.0, 5), "save": (20.0, 5)}
"""(requests per minute, burst) per key for the rate-limited endpoint groups."""


def rate_limiter(request: Request, group: str) -> RateLimiter:
    limiters = _limiters(request)
    if group not in limiters:
        per_minute, burst = DEFAULT_LIMITS[group]
        limiters[group] = RateLimiter(per_minute, burst)
    return limiters[group]


def _limiters(request: Request) -> dict[str, RateLimiter]:
    return services_of(request).rate_limiters


def rate_limited(group: str, role: Role) -> Callable[..., Principal]:
    """Dependency: ``require(role)`` plus the per-key rate limit of ``group``."""
    check_role = require(role)

    async def dependency(request: Request, principal: Principal = Depends(check_role)) -> Principal:
        wait = rate_limiter(request, group).take(principal.key or "anonymous")
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(429, "rate_limited", f"Too many requests to this endpoint for your key; retry in "
                           f"{seconds} s.", {"retry_after": seconds}, headers={"Retry-After": str(seconds)})
        return principal

    return dependency
