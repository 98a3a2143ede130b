"""Callers and what they may do: each caller presents its own credential, each operation names who may call it."""

import hmac
from collections.abc import Iterable, Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from service_kit.errors import ServiceError, Unauthorized
from service_kit.settings import ServiceSettings, SettingsError

CALLER_TOKENS = {"bot": "bot_api_token", "coin_api": "coin_api_token", "bet_api": "bet_api_token"}
"""Each identity that calls a first-party service, and the setting (env variable, upper-cased) holding its token."""


class ForbiddenCaller(ServiceError):
    """An authenticated caller asked for an operation its table row does not grant."""

    status_code = 403
    code = "forbidden_caller"

    def __init__(self, caller: str, operation: str) -> None:
        super().__init__(f"{caller} may not {operation}")


class Permissions:
    """Operation (the route's function name) → the callers allowed; anything not in the table is refused to all."""

    def __init__(self, table: Mapping[str, Iterable[str]]) -> None:
        self.table = {operation: frozenset(callers) for operation, callers in table.items()}
        unknown = self.callers - CALLER_TOKENS.keys()
        if unknown:
            raise ValueError(f"unknown callers {sorted(unknown)}; known: {sorted(CALLER_TOKENS)}")

    @property
    def callers(self) -> frozenset[str]:
        """The callers whose credentials the service must hold: everyone named in some row."""
        return frozenset().union(*self.table.values())

    def may_refuse(self, operation: str) -> bool:
        """Whether a caller the service accepts may still be refused this operation (403 in its contract)."""
        return self.table.get(operation, frozenset()) != self.callers

    def check(self, caller: str, operation: str) -> None:
        if caller not in self.table.get(operation, ()):
            raise ForbiddenCaller(caller, operation)

    def cover(self, router: APIRouter) -> None:
        """Every route has a row and every row a route, so a new route or a typo fails at import, not in production."""
        routes = {route.name for route in router.routes if isinstance(route, APIRoute)}
        unlisted, stale = sorted(routes - self.table.keys()), sorted(self.table.keys() - routes)
        if unlisted or stale:
            raise ValueError(
                f"permission table and routes differ: routes without a row {unlisted}, rows without a route {stale}"
            )


class Credentials:
    """The accepted callers' tokens, read once at start-up."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tokens = {caller: token.encode() for caller, token in tokens.items()}

    @classmethod
    def load(cls, settings: ServiceSettings, callers: Iterable[str]) -> "Credentials":
        """Each accepted caller's token from its setting; a missing one, or one two callers share, stops start-up."""
        tokens, missing = {}, []
        for caller in sorted(callers):
            secret = getattr(settings, CALLER_TOKENS[caller])
            if secret is None:
                missing.append(f"{CALLER_TOKENS[caller].upper()}: required (the credential of {caller})")
            else:
                tokens[caller] = secret.get_secret_value()
        if missing:
            raise SettingsError(f"{type(settings).__name__} cannot start; set " + "; ".join(missing))
        present = {
            name: secret.get_secret_value()
            for name in CALLER_TOKENS.values()
            if (secret := getattr(settings, name)) is not None
        }
        shared = sorted(name.upper() for name, value in present.items() if list(present.values()).count(value) > 1)
        if shared:
            raise SettingsError(
                f"{type(settings).__name__} cannot start; {' and '.join(shared)} hold the same value:"
                " every caller needs its own credential"
            )
        return cls(tokens)

    def identify(self, presented: str) -> str | None:
        """The caller whose token was presented; every token is compared, in constant time, whatever matches."""
        found, presented_bytes = None, presented.encode()
        for caller, token in self._tokens.items():
            if hmac.compare_digest(presented_bytes, token):
                found = caller
        return found


class CallerCredential(HTTPBearer):
    """Reads `Authorization: Bearer <credential>`, names the caller and checks the route's row: the whole check is ONE
    dependency a request solves (three chained ones cost most of a dependency solve each), and, being HTTPBearer,
    it puts the scheme on every protected operation of the OpenAPI."""

    async def __call__(self, request: Request) -> str:  # type: ignore[override]
        """The caller, else 401; 403 when the route's row does not name it. Async: it never blocks."""
        bearer = await super().__call__(request)
        caller = request.app.state.credentials.identify(bearer.credentials) if bearer is not None else None
        if caller is None:
            raise Unauthorized()
        request.app.state.permissions.check(caller, request.scope["route"].name)
        return caller


authorize = CallerCredential(
    auto_error=False,
    scheme_name="callerCredential",
    description="the caller's own credential (docs/architecture.md, Callers and permissions)",
)
"""Every route of a service passes here (the kit adds it to the router); a route reading it gets the cached caller."""

CallerDep = Annotated[str, Depends(authorize)]
"""The authenticated caller, for a route whose rule depends on who calls (and on what it asks)."""
