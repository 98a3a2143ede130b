"""The app factory every service calls: one place wires settings, database, callers, health and errors."""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from service_kit.auth import Credentials, Permissions, authorize
from service_kit.db import create_db_engine, database_check, uses_database
from service_kit.errors import install_error_handlers
from service_kit.health import HealthCheck, build_health_router
from service_kit.logging import RequestIdMiddleware, configure_logging
from service_kit.middleware import DEFAULT_MAX_BODY_BYTES, BodyLimitMiddleware, DatabaseBlipMiddleware
from service_kit.openapi import document_refusals, install_exact_openapi
from service_kit.settings import DatabaseSettings, ServiceSettings, load_settings

logger = logging.getLogger("service_kit.app")


def _refuse_database_routes_without_a_database(router: APIRouter) -> None:
    """A service without tables has no engine: a route asking for a session fails at import, not per request."""
    for route in router.routes:
        if isinstance(route, APIRoute) and uses_database(route):
            raise ValueError(f"route {route.name} needs the database, but its settings are no DatabaseSettings")


def create_service_app(
    *,
    name: str,
    version: str,
    settings_cls: type[ServiceSettings],
    router: APIRouter,
    permissions: Permissions,
    extra_checks: dict[str, HealthCheck] | None = None,
    on_startup: Callable[[FastAPI], None] | None = None,
    on_shutdown: Callable[[FastAPI], None] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """Build a service and its table of callers; settings are read at start, a database only for DatabaseSettings.

    max_body_bytes is the service's own limit on a request body (MAX_BODY_BYTES overrides it): larger → 413.
    """
    permissions.cover(router)
    has_database = issubclass(settings_cls, DatabaseSettings)
    if not has_database:
        _refuse_database_routes_without_a_database(router)
    checks = {**({"database": database_check} if has_database else {}), **(extra_checks or {})}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = load_settings(settings_cls)
        configure_logging(name, settings.log_level, settings.secret_values())
        app.state.credentials = Credentials.load(settings, permissions.callers)
        app.state.settings = settings
        app.state.max_body_bytes = settings.max_body_bytes or max_body_bytes
        app.state.engine = create_db_engine(settings, name) if isinstance(settings, DatabaseSettings) else None
        if on_startup is not None:
            on_startup(app)
        logger.info("%s %s started", name, version)
        try:
            yield
        finally:
            if on_shutdown is not None:  # before the engine goes: background work may still be finishing a query
                on_shutdown(app)
            if app.state.engine is not None:
                app.state.engine.dispose()

    app = FastAPI(title=name, version=version, lifespan=lifespan, redoc_url=None)
    app.state.permissions = permissions
    if has_database:  # innermost: it replays the body the outer ones let through
        app.add_middleware(DatabaseBlipMiddleware)
    app.add_middleware(BodyLimitMiddleware, default_limit=max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    document_refusals(router, permissions, has_database=has_database)
    health = build_health_router(name, version, checks)
    app.include_router(health)
    app.include_router(router, dependencies=[Depends(authorize)])
    app.state.route_methods = [
        (route.path_regex, route.methods) for route in [*health.routes, *router.routes] if isinstance(route, APIRoute)
    ]
    install_exact_openapi(app)
    return app
