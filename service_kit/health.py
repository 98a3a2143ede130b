"""GET /health: public, telling whether this service and what it depends on (its database, if any) answer."""

from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from service_kit.openapi import HEALTH_RESPONSES, HealthOut

HealthCheck = Callable[[FastAPI], str]
"""An extra check: returns "ok", or a short word for what is wrong ("unconfigured", "unreachable")."""

DEGRADED_STATES = frozenset({"unconfigured", "degraded"})


def build_health_router(service: str, version: str, checks: dict[str, HealthCheck]) -> APIRouter:
    """Health answers 200 while the service can work, 503 when a dependency it needs is gone."""
    router = APIRouter()

    @router.get("/health", tags=["health"], response_model=HealthOut, responses=HEALTH_RESPONSES)
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
