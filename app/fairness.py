"""Concurrency limits on heavy requests, so that light reads stay fast under load.

Heavy requests (ad-hoc Cypher, saved-query runs, exports, loads) can each keep a store worker busy for
seconds. Each one holds a slot while its route runs: at most ``ECOMAP_HEAVY_PER_KEY`` slots per key and
``ECOMAP_HEAVY_TOTAL`` in all. A request that finds no free slot waits up to ``ECOMAP_HEAVY_WAIT_S``
seconds, then gets 429 with ``Retry-After`` and a message naming the limit it hit. Light reads (entity
lookup, search, neighbours, health) take no slot, so the store workers the total leaves free are theirs.

Sizing ``ECOMAP_HEAVY_TOTAL``: the store's worker threads minus those kept for light reads. The embedded
FalkorDB runs one worker per core of this machine, hence the default of cores − 1 (1 on two cores). For
Neo4j or a remote FalkorDB use the cores of the store's host minus one, less if other programs share
that store. The limits hold per server process: with ``ecomap serve --workers N`` divide them by N.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable

from fastapi import Depends, Request, params

from app.auth import Principal, authenticate
from app.deps import services_of
from app.errors import ApiError
from app.settings import Settings

ANONYMOUS = "anonymous"


class NoFreeSlot(Exception):
    """No slot came free in time; ``limit`` is ``"per_key"`` or ``"total"``."""

    def __init__(self, limit: str) -> None:
        super().__init__(limit)
        self.limit = limit


class HeavySlots:
    """Counts the heavy requests running per key and in all. Thread-safe and independent of any one
    event loop: a request waiting for a slot is woken on its own loop when another request releases one."""

    def __init__(self, per_key: int, total: int) -> None:
        self.per_key, self.total = per_key, total
        self._lock = threading.Lock()
        self._by_key: Counter[str] = Counter()
        self._running = 0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def in_use(self, key: str | None = None) -> int:
        """Slots held by ``key``, or by everyone when ``key`` is None."""
        with self._lock:
            return self._running if key is None else self._by_key[key]

    def _full(self, key: str) -> str | None:
        if self._by_key[key] >= self.per_key:
            return "per_key"
        if self._running >= self.total:
            return "total"
        return None

    async def acquire(self, key: str, wait_s: float) -> None:
        """Take a slot for ``key``, waiting at most ``wait_s`` seconds; raise ``NoFreeSlot`` otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            with self._lock:
                limit = self._full(key)
                if limit is None:
                    self._by_key[key] += 1
                    self._running += 1
                    return
                waiter = (loop, loop.create_future())
                self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter[1], deadline - loop.time())
            except TimeoutError:
                raise NoFreeSlot(limit) from None
            finally:
                with self._lock:
                    if waiter in self._waiters:
                        self._waiters.remove(waiter)

    def release(self, key: str) -> None:
        """Give back a slot of ``key`` and wake every waiting request to try again."""
        with self._lock:
            self._by_key[key] -= 1
            if self._by_key[key] <= 0:
                del self._by_key[key]
            self._running -= 1
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_wake, future)
            except RuntimeError:
                pass  # that request's event loop is closed: nobody waits there any more


def slots_for(settings: Settings) -> HeavySlots:
    """The slots ``settings`` ask for (``ECOMAP_HEAVY_TOTAL=0``: this machine's cores minus one)."""
    total = settings.heavy_total or max(1, (os.cpu_count() or 2) - 1)
    return HeavySlots(settings.heavy_per_key, total)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _busy(limit: str, group: str, slots: HeavySlots, wait_s: float) -> ApiError:
    seconds = max(1, math.ceil(wait_s))
    if limit == "per_key":
        why = (f"your key already runs {slots.per_key} heavy request(s) (Cypher, saved-query runs, exports, "
               "loads), the most one key may run at once (ECOMAP_HEAVY_PER_KEY). Let one finish, then retry")
    else:
        why = (f"the server already runs {slots.total} heavy request(s), the most it runs at once so that "
               "lookups stay fast (ECOMAP_HEAVY_TOTAL). Retry")
    return ApiError(429, "too_many_heavy_requests",
                    f"This {group} request found no free slot in {wait_s:g} s: {why} in {seconds} s.",
                    {"limit": limit, "group": group, "retry_after": seconds},
                    headers={"Retry-After": str(seconds)})


def heavy(group: str, when: Callable[[Request], bool] | None = None) -> params.Depends:
    """Dependency marker for a heavy route: ``dependencies=[heavy("export")]``, or a parameter placed
    after the route's role check (``_slot: None = heavy("cypher")``) so that refused callers never wait.
    The slot is released when the route returns or fails, before the response is sent: a client slow
    to read its response holds no slot, and one that went away holds it only while its query still
    keeps the store busy. ``when(request)`` false: this request is light (a form shown, not run) and
    takes no slot."""

    async def hold_slot(request: Request, principal: Principal = Depends(authenticate)) -> AsyncIterator[None]:
        if when is not None and not when(request):
            yield
            return
        services = services_of(request)
        slots: HeavySlots = services.heavy_slots
        wait_s = services.settings.heavy_wait_s
        key = principal.key or ANONYMOUS
        try:
            await slots.acquire(key, wait_s)
        except NoFreeSlot as exc:
            raise _busy(exc.limit, group, slots, wait_s) from None
        try:
            yield
        finally:
            slots.release(key)

    return Depends(hold_slot, scope="function")
