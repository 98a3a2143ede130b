"""GET /health: the one public route, telling whether this service and its database answer."""

from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text

HealthCheck = Callable[[FastAPI], str]
"""An extra check: returns "ok", or a short word for what is wrong ("unconfigured", "unreachable")."""

DEGRADED_STATES = frozenset({"unconfigured", "degraded"})


def _database_check(app: FastAPI) -> str:
    try:
        with app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means the database does not answer
        return "unreachable"


def build_health_router(service: str, version: str, extra_checks: dict[str, HealthCheck]) -> APIRouter:
    """Health answers 200 while the service can work, 503 when a dependency it needs is gone."""
    router = APIRouter()
    checks: dict[str, HealthCheck] = {"database": _database_check, **extra_checks}

    @router.get("/health", tags=["health"])
    async def health(request: Request) -> JSONResponse:
        results = {name: await run_in_threadpool(check, request.app) for name, check in checks.items()}
        failing = [state for state in results.values() if state != "ok"]
        if any(state not in DEGRADED_STATES for state in failing):
            status, code = "error", 503
        else:
            status, code = ("degraded" if failing else "ok"), 200
        body = {"status": status, "service": service, "version": version, "checks": results}
        return JSONResponse(body, status_code=code)

    return router
