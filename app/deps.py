"""FastAPI dependencies: the application's services (``app.services``), injected into routes.

They are ``async`` because they never block: FastAPI would otherwise run each in the thread pool."""

from __future__ import annotations

from fastapi import Request

from app.services import Services
from app.settings import Settings
from graph.store import GraphStore


def services_of(request: Request) -> Services:
    return request.app.state.services


async def get_services(request: Request) -> Services:
    return services_of(request)


async def get_store(request: Request) -> GraphStore:
    return services_of(request).store


async def get_settings(request: Request) -> Settings:
    return services_of(request).settings


async def get_query_library(request: Request):
    """The saved queries: the shipped ones plus those saved under ``<data dir>/queries``."""
    return services_of(request).query_library
