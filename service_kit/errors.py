"""Domain errors raised inside a service and translated once, here, into one HTTP error shape."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service_kit.logging import request_id_var

class ServiceError(Exception):
    """A rule the caller broke, with a sentence a member could read."""

    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
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
    return error_response(422, _describe_validation(exc), "invalid_request", errors=errors)


async def _on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    response = error_response(exc.status_code, str(exc.detail), code)
    response.headers.update(exc.headers or {})
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the translations so no route builds an error body by hand."""
    app.add_exception_handler(ServiceError, _on_service_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
