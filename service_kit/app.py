"""The app factory every service calls: one place wires settings, database, callers, health and errors."""

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from service_kit.auth import Credentials, Permissions, authorize
from service_kit.db import create_db_engine, database_check, get_db
from service_kit.deps import get_engine
from service_kit.errors import install_error_handlers
from service_kit.health import HealthCheck, build_health_router
from service_kit.logging import RequestIdMiddleware, configure_logging
from service_kit.openapi import document_refusals, install_exact_openapi
from service_kit.settings import DatabaseSettings, ServiceSettings, load_settings

logger = logging.getLogger("service_kit.app")


def _calls(dependant: Dependant) -> Iterator[Callable | None]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _refuse_database_routes_without_a_database(router: APIRouter) -> None:
    """A service without tables has no engine: a route asking for a session fails at import, not per request."""
    for route in router.routes:
        if isinstance(route, APIRoute) and {get_db, get_engine} & set(_calls(route.dependant)):
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
) -> FastAPI:
    """Build a service and its table of callers; settings are read at start, a database only for DatabaseSettings."""
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
        app.state.engine = create_db_engine(settings, name) if isinstance(settings, DatabaseSettings) else None
        if on_startup is not None:
            on_startup(app)
        logger.info("%s %s started", name, version)
        try:
            yield
        finally:
            if app.state.engine is not None:
                app.state.engine.dispose()

    app = FastAPI(title=name, version=version, lifespan=lifespan, redoc_url=None)
    app.state.permissions = permissions
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    document_refusals(router, permissions)
    health = build_health_router(name, version, checks)
    app.include_router(health)
    app.include_router(router, dependencies=[Depends(authorize)])
    app.state.route_methods = [
        (route.path_regex, route.methods) for route in [*health.routes, *router.routes] if isinstance(route, APIRoute)
    ]
    install_exact_openapi(app)
    return app
