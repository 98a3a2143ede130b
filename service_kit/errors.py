"""Domain errors raised inside a service and translated once, here, into one HTTP error shape."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service_kit.logging import INTERNAL_ERROR_CODE, request_id_var


class ServiceError(Exception):
    """A rule the caller broke, with a sentence a member could read."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self, detail: str, *, code: str | None = None, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        self.headers = headers or {}
        self.extra = extra


class NotFoundError(ServiceError):
    status_code = 404
    code = "not_found"


class ConflictError(ServiceError):
    status_code = 409
    code = "conflict"


class UnprocessableError(ServiceError):
    status_code = 422
    code = "unprocessable"


class UnavailableError(ServiceError):
    status_code = 503
    code = "unavailable"


class IdempotencyKeyReused(ConflictError):
    """The key already stands for another request (another body, member or guild); the caller needs a new key."""

    code = "idempotency_key_reused"


class InsufficientFunds(ConflictError):
    """A member's balance does not cover a move: balance_api's refusal, passed on with `balance` and `needed`."""

    code = "insufficient_funds"


class Unauthorized(ServiceError):
    """No bearer credential, or one this service does not accept: a configuration to fix, not a retry."""

    status_code = 401
    code = "unauthorized"

    def __init__(self) -> None:
        super().__init__("missing or unknown API credential", headers={"WWW-Authenticate": "Bearer"})


class InvalidRequest(UnprocessableError):
    """The request does not match the operation's schema: the detail names the field(s), `errors` lists them."""

    code = "invalid_request"


class BodyTooLarge(ServiceError):
    """A body over the service's limit: refused before it is read in full, and before the credential is checked."""

    status_code = 413
    code = "body_too_large"


class DatabaseUnavailable(UnavailableError):
    """The database dropped or refused the connection, and a retry here could have done something twice."""

    code = "database_unavailable"


class InternalError(ServiceError):
    """A crash: the caller gets the request id to quote (answered by the request-id middleware)."""

    status_code = 500
    code = INTERNAL_ERROR_CODE


def error_response(status: int, detail: str, code: str, **extra: Any) -> JSONResponse:
    """The one error body every service answers with."""
    body = {"detail": detail, "code": code, "request_id": request_id_var.get(), **extra}
    return JSONResponse(body, status_code=status)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        if error["type"] == "json_invalid":
            parts.append(f"body: invalid JSON ({error.get('ctx', {}).get('error', error['msg'])})")
            continue
        location = ".".join(str(part) for part in error["loc"] if part != "body") or "body"
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)


async def _on_service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    response = error_response(exc.status_code, exc.detail, exc.code, **exc.extra)
    response.headers.update(exc.headers)
    return response


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return error_response(422, _describe_validation(exc), InvalidRequest.code, errors=errors)


def _methods_of(request: Request) -> str | None:
    """Every method the path answers to, across all its routes (Starlette names only the first route's)."""
    table = getattr(request.app.state, "route_methods", [])
    path = request.url.path
    methods = {method for pattern, route_methods in table if pattern.match(path) for method in route_methods}
    return ", ".join(sorted(methods)) or None


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI could not decode the body (not UTF-8, nested too deep): still a bad request
        detail = "body: could not be read as JSON"
        return error_response(
            422, detail, InvalidRequest.code, errors=[{"loc": ["body"], "msg": detail, "type": "json_invalid"}]
        )
    code = {404: "not_found", 405: "method_not_allowed", 413: BodyTooLarge.code}.get(exc.status_code, "http_error")
    response = error_response(exc.status_code, str(exc.detail), code)
    response.headers.update(exc.headers or {})
    if exc.status_code == 405 and (allowed := _methods_of(request)):
        response.headers["Allow"] = allowed
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the translations so no route builds an error body by hand."""
    app.add_exception_handler(ServiceError, _on_service_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
