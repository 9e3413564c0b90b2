"""The application's services, built once per process and shared by every request: the store and
what is derived from it (saved queries, search index, analytics, view and stats caches), the
per-key rate limits, the heavy-request slots and the throttle of failed keys. Routes get them through
``app.deps``; the CLI builds the same object."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from app.settings import Settings
from graph.store import GraphStore


@dataclass(eq=False)
class Services:
    settings: Settings
    store: GraphStore
    rate_limiters: dict[str, Any] = field(default_factory=dict)
    stats_cache: dict[str, Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        from app.auth import FailureThrottle
        from app.fairness import slots_for
        from app.pages.views import ViewCache
        from app.search import IndexHolder
        from graph.analytics import Analytics

        self.query_library = query_library(self.settings)
        self.search = IndexHolder()
        self.analytics = Analytics(self.store)
        self.view_cache = ViewCache()
        self.heavy_slots = slots_for(self.settings)
        self.failed_keys = FailureThrottle()


def query_library(settings: Settings):
    """The saved queries: the shipped ones plus those saved under ``<data dir>/queries``."""
    from app.query_library import QueryLibrary

    return QueryLibrary(user_dir=settings.data_dir / "queries")
