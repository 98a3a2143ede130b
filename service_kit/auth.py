"""Bearer-token auth between services: only holders of INTERNAL_API_TOKEN are answered."""

import hmac

from fastapi import HTTPException, Request


def require_internal_token(request: Request) -> None:
    """Refuse any caller whose Authorization header does not carry the internal token."""
    expected = request.app.state.settings.internal_api_token.get_secret_value()
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise HTTPException(
            status_code=401,
            detail="missing or invalid internal API token",
            headers={"WWW-Authenticate": "Bearer"},
        )
