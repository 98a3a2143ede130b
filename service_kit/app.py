"""The app factory every service calls: one place wires settings, database, callers, health and errors."""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from service_kit.auth import Credentials, Permissions, authorize
from service_kit.db import create_db_engine
from service_kit.errors import install_error_handlers
from service_kit.health import HealthCheck, build_health_router
from service_kit.logging import RequestIdMiddleware, configure_logging
from service_kit.settings import ServiceSettings, load_settings

logger = logging.getLogger("service_kit.app")


def create_service_app(
    *,
    name: str,
    version: str,
    settings_cls: type[ServiceSettings],
    router: APIRouter,
    permissions: Permissions,
    extra_checks: dict[str, HealthCheck] | None = None,
    on_startup: Callable[[FastAPI], None] | None = None,
) -> FastAPI:
    """Build a service and its one table of who may call each route; settings are read at start, never at import."""
    permissions.cover(router)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = load_settings(settings_cls)
        configure_logging(name, settings.log_level, settings.secret_values())
        app.state.credentials = Credentials.load(settings, permissions.callers)
        app.state.settings = settings
        app.state.engine = create_db_engine(settings, name)
        if on_startup is not None:
            on_startup(app)
        logger.info("%s %s started", name, version)
        try:
            yield
        finally:
            app.state.engine.dispose()

    app = FastAPI(title=name, version=version, lifespan=lifespan)
    app.state.permissions = permissions
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    app.include_router(build_health_router(name, version, extra_checks or {}))
    app.include_router(router, dependencies=[Depends(authorize)])
    return app
