"""One writer at a time per graph: a lock held in the store itself, so that loads in other
processes and on other machines see it. The lock is a lease: its holder renews it while it writes,
and a holder that crashed loses it when the lease runs out."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graph.errors import StoreError, WriteLocked

if TYPE_CHECKING:
    from graph.store import GraphStore

LEASE_MS = 30_000
"""How long the lock outlives a holder that stopped renewing it (a crashed load)."""
_POLL_S = 0.5


@dataclass(frozen=True)
class LockHolder:
    owner: str
    since: float
    """When the holder took the lock, in seconds since the epoch."""

    @property
    def since_text(self) -> str:
        return dt.datetime.fromtimestamp(self.since).astimezone().isoformat(timespec="seconds")


@contextmanager
def holding_write_lock(store: GraphStore, owner: str, *, wait_s: float = 0.0,
                       on_wait: Callable[[LockHolder], None] | None = None) -> Iterator[None]:
    """Hold ``store``'s write lock for the block. When another writer holds it, wait up to ``wait_s``
    seconds (``on_wait(holder)`` is called once, to say so), then raise ``WriteLocked``."""
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait_s
    told = False
    while (holder := store.take_write_lock(token, owner, LEASE_MS)) is not None:
        if time.monotonic() >= deadline:
            raise WriteLocked(holder.owner, holder.since_text, LEASE_MS / 1000)
        if on_wait is not None and not told:
            on_wait(holder)
            told = True
        time.sleep(min(_POLL_S, max(0.0, deadline - time.monotonic())))
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(LEASE_MS / 3000):
            try:
                store.renew_write_lock(token, LEASE_MS)
            except StoreError:
                pass  # the store is restarting: the next renewal (or the write itself) finds out

    renewer = threading.Thread(target=renew, name="write-lock-renewal", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        try:
            store.release_write_lock(token)
        except StoreError:
            pass  # unreachable store: the lease runs out by itself
