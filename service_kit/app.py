"""The app factory every service calls: one place wires settings, database, callers, health and errors."""

import functools
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp

from service_kit.auth import Credentials, Permissions, authorize
from service_kit.db import create_db_engine, database_check, uses_database
from service_kit.errors import install_error_handlers
from service_kit.health import HealthCheck, build_health_router
from service_kit.logging import configure_logging
from service_kit.middleware import DEFAULT_MAX_BODY_BYTES, ServiceEdge
from service_kit.openapi import document_refusals, install_exact_openapi
from service_kit.settings import DatabaseSettings, ServiceSettings, load_settings

logger = logging.getLogger("service_kit.app")


def _refuse_database_routes_without_a_database(router: APIRouter) -> None:
    """A service without tables has no engine: a route asking for a session fails at import, not per request."""
    for route in router.routes:
        if isinstance(route, APIRoute) and uses_database(route):
            raise ValueError(f"route {route.name} needs the database, but its settings are no DatabaseSettings")


def _run_then_release(endpoint: Callable[..., Any], values: dict[str, Any]) -> Any:
    """The endpoint, then its session's close: the ROLLBACK or return to the pool happens in this same thread."""
    try:
        return endpoint(**values)
    finally:
        for value in values.values():
            if isinstance(value, Session):
                value.close()


def _one_hand_off(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A sync endpoint as a coroutine making the request's only thread-pool hand-off; FastAPI then validates the
    answer on the event loop instead of in a second hand-off. Its signature is the endpoint's (functools.wraps)."""

    @functools.wraps(endpoint)
    async def in_the_thread_pool(**values: Any) -> Any:
        return await to_thread.run_sync(functools.partial(_run_then_release, endpoint, values))

    return in_the_thread_pool


def _hand_off_once(router: APIRouter) -> None:
    for route in router.routes:
        if isinstance(route, APIRoute) and not inspect.iscoroutinefunction(route.endpoint):
            route.endpoint = _one_hand_off(route.endpoint)


def _size_the_thread_pool(settings: ServiceSettings) -> None:
    """anyio's thread limiter bounds the requests in sync code at once; the pool must cover them and the
    background passes, or a request would wait for a connection while holding its thread."""
    to_thread.current_default_thread_limiter().total_tokens = settings.thread_pool_size
    if isinstance(settings, DatabaseSettings) and settings.db_pool_size < settings.thread_pool_size + 1:
        logger.warning(
            "DB_POOL_SIZE=%d is below THREAD_POOL_SIZE=%d + 1: requests may wait for a connection or open overflow"
            " ones (churn); see .env.example",
            settings.db_pool_size,
            settings.thread_pool_size,
        )


NO_TELEMETRY = {"tracing": False, "metrics": False, "logs": False}
"""The services export no OpenTelemetry; left on, FastAPI asks the global providers whether to trace, per request."""


class _ServiceApp(FastAPI):
    """FastAPI with the kit's stack around the router and nothing more: the kit's edge middleware, the exception
    handlers, FastAPI's per-request file stack. Starlette's ServerErrorMiddleware (the edge answers a crash itself),
    FastAPI's exception telemetry and its app-wide body limit (the edge's is per service) each cost a layer."""

    def build_middleware_stack(self) -> ASGIApp:
        if self.max_body_size is not None or {500, Exception} & self.exception_handlers.keys():
            return super().build_middleware_stack()  # something the lean stack does not serve: FastAPI's own
        app: ASGIApp = AsyncExitStackMiddleware(self.router)
        app = ExceptionMiddleware(app, handlers=dict(self.exception_handlers), debug=self.debug)
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app


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
        _size_the_thread_pool(settings)
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

    app = _ServiceApp(title=name, version=version, lifespan=lifespan, redoc_url=None, telemetry=NO_TELEMETRY)
    app.state.permissions = permissions
    app.add_middleware(ServiceEdge, default_limit=max_body_bytes, retry_blips=has_database)
    install_error_handlers(app)
    document_refusals(router, permissions, has_database=has_database)
    health = build_health_router(name, version, checks)
    app.include_router(health)
    _hand_off_once(router)
    app.include_router(router, dependencies=[Depends(authorize)])
    app.state.route_methods = [
        (route.path_regex, route.methods) for route in [*health.routes, *router.routes] if isinstance(route, APIRoute)
    ]
    install_exact_openapi(app)
    return app
