"""Route dependencies every service shares, put on app.state at start-up: async, since a def costs a thread hop."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from service_kit.settings import ServiceSettings


async def get_settings(request: Request) -> ServiceSettings:
    """The service's own settings object; each service annotates it with its subclass."""
    return request.app.state.settings


async def get_engine(request: Request) -> Engine:
    """For routes that manage their own connections (advisory locks), rather than one session per request."""
    return request.app.state.engine


EngineDep = Annotated[Engine, Depends(get_engine)]
