"""The FastAPI application: routers from ``app.routes``, the store opened once per process."""

from __future__ import annotations

import importlib
import pkgutil
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_standalone_docs import StandaloneDocs

from app import routes
from app.boundary import SizeLimits, check_request
from app.errors import install_error_handlers
from app.pages.render import STATIC_DIR, STATIC_URL
from app.services import Services
from app.settings import Settings, load_settings
from graph.store import GraphStore


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the app. A given ``store`` is used as is (and left open); otherwise one is opened
    from ``settings`` at start-up and closed at shutdown."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if store is None:
            app.state.services = Services(settings, settings.open_store())
        try:
            yield
        finally:
            if store is None:
                app.state.services.store.close()

    # Swagger UI must not ask its online validator about the spec: no request leaves the server.
    app = FastAPI(title="创新生态云图 API", version="0.1.0", lifespan=lifespan,
                  swagger_ui_parameters={"validatorUrl": None}, dependencies=[Depends(check_request)],
                  description="Graph API of the 六新 innovation ecosystem: entities, neighbourhoods, paths, "
                  "cluster ecosystems, saved Cypher queries and exports.")
    if store is not None:
        app.state.services = Services(settings, store)
    StandaloneDocs(app=app)  # /docs and /redoc with their assets served by the app, not a CDN
    app.add_middleware(SizeLimits, max_head_bytes=settings.max_header_bytes, max_body_bytes=settings.max_body_bytes,
                       max_upload_bytes=settings.max_upload_bytes, body_timeout_s=settings.body_timeout_s)
    install_error_handlers(app)  # after every other middleware: its catch-all must be the outermost
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    for module in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        app.include_router(importlib.import_module(f"{routes.__name__}.{module.name}").router)
    return app
