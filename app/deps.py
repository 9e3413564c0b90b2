"""FastAPI dependencies: the store and the settings, injected into routes.

They are ``async`` because they never block: FastAPI would otherwise run each in the thread pool."""

from __future__ import annotations

from fastapi import Request

from app.settings import Settings
from graph.store import GraphStore


async def get_store(request: Request) -> GraphStore:
    return request.app.state.store


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_query_library(request: Request):
    """The saved queries: the shipped ones plus those saved under ``<data dir>/queries``."""
    from app.saved_queries import QueryLibrary

    state = request.app.state
    if getattr(state, "query_library", None) is None:
        state.query_library = QueryLibrary(user_dir=state.settings.data_dir / "queries")
    return state.query_library
