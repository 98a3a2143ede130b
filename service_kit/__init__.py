"""Shared service kit: settings, database, health, callers, errors and logging written once for every service."""

from service_kit.app import create_service_app
from service_kit.auth import CallerDep, Permissions
from service_kit.db import SessionDep
from service_kit.errors import ConflictError, NotFoundError, ServiceError, UnavailableError, UnprocessableError
from service_kit.settings import DatabaseSettings, ServiceSettings

__all__ = [
    "CallerDep",
    "ConflictError",
    "DatabaseSettings",
    "NotFoundError",
    "Permissions",
    "ServiceError",
    "ServiceSettings",
    "SessionDep",
    "UnavailableError",
    "UnprocessableError",
    "create_service_app",
]
