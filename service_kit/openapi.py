"""The contract a service publishes: every status each route can answer, the one error body and its codes."""

from collections.abc import Iterable
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from service_kit.auth import ForbiddenCaller, Permissions
from service_kit.db import uses_database
from service_kit.errors import (
    BodyTooLarge,
    DatabaseUnavailable,
    InternalError,
    InvalidRequest,
    ServiceError,
    Unauthorized,
)

Responses = dict[int | str, dict[str, Any]]
_BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})


class FieldError(BaseModel):
    """One refused field of an invalid_request, located as pydantic located it."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every 4xx and 5xx of every service; some refusals add fields of their own (next_claim_at, balance...)."""

    model_config = ConfigDict(extra="allow", title="Error")

    detail: str = Field(description="a short sentence a member could read")
    code: str = Field(description="what a caller branches on; each response lists the codes it can carry")
    request_id: str = Field(description="the X-Request-ID of the request, on every log line about it")
    errors: list[FieldError] | None = Field(default=None, description="invalid_request only: every refused field")


class HealthOut(BaseModel):
    """ok, or degraded (up, but a feature is unconfigured): 200; error (a dependency it needs is gone): 503."""

    status: Literal["ok", "degraded", "error"]
    service: str
    version: str
    checks: dict[str, str] = Field(description='each dependency: "ok", or a word for what is wrong')


def _codes(response: dict[str, Any]) -> list[str]:
    """The codes a response already lists, so a route's own refusals and the kit's share one status."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("properties", {}).get("code", {}).get("enum", [])


def refusals(*errors: type[ServiceError], responses: Responses | None = None) -> Responses:
    """A route's `responses=`: each status it may refuse with, the error body, and the codes under each."""
    merged: Responses = dict(responses or {})
    for error in errors:
        codes = sorted({*_codes(merged.get(error.status_code, {})), error.code})
        merged[error.status_code] = {
            "model": ErrorBody,
            "description": ("codes " if len(codes) > 1 else "code ") + ", ".join(f"`{code}`" for code in codes),
            "content": {"application/json": {"schema": {"properties": {"code": {"enum": codes}}}}},
        }
    return merged


HEALTH_RESPONSES: Responses = refusals(
    BodyTooLarge, responses={503: {"model": HealthOut, "description": "a dependency the service needs is gone"}}
)


def replayed(model: type[BaseModel]) -> Responses:
    """The 200 of an idempotent create: the first result again, with `Idempotent-Replayed: true`."""
    return {
        200: {
            "model": model,
            "description": "a replay of an earlier request with the same key: the first "
            "result again, with `Idempotent-Replayed: true`; nothing moved",
        }
    }


def _whole_numbers(node: Any) -> None:
    """Bounds back to integers: FastAPI's OpenAPI model stores them as floats, and floats lose 2^63's neighbours."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _BOUNDS and isinstance(value, float) and value.is_integer():
                node[key] = int(value)
            else:
                _whole_numbers(value)
    elif isinstance(node, list):
        for item in node:
            _whole_numbers(item)


def install_exact_openapi(app: FastAPI) -> None:
    """/openapi.json with exact integer bounds (a body's ids are bounded by exclusiveMaximum 2^63, exact as a float)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        _whole_numbers(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _reads_the_request(route: APIRoute) -> bool:
    return bool(get_flat_params(route.dependant)) or route.body_field is not None


def document_refusals(router: APIRouter, permissions: Permissions, *, has_database: bool) -> None:
    """Add what the kit itself may answer to every route: 401, 403 when a row excludes a caller, 413, 422, 500, and
    503 `database_unavailable` where the route uses the database."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        errors: Iterable[type[ServiceError]] = [
            Unauthorized,
            *([ForbiddenCaller] if permissions.may_refuse(route.name) else []),
            BodyTooLarge,
            *([InvalidRequest] if _reads_the_request(route) else []),
            InternalError,
            *([DatabaseUnavailable] if has_database and uses_database(route) else []),
        ]
        route.responses = dict(sorted(refusals(*errors, responses=route.responses).items(), key=lambda kv: str(kv[0])))
