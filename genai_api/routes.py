"""HTTP edge of text generation: validate the prompt, call the use case, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from genai_api import service
from genai_api.errors import (
    ContentBlocked,
    ProviderAuthFailed,
    ProviderBadResponse,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    ProviderUnconfigured,
)
from genai_api.provider import Provider
from genai_api.schemas import GenerateIn, GenerateOut
from genai_api.settings import GenaiSettings
from service_kit.auth import Permissions
from service_kit.deps import get_settings
from service_kit.openapi import refusals

router = APIRouter(tags=["generate"])
PERMISSIONS = Permissions({"generate": {"bot"}})  # who may call each route (default deny)


async def get_provider(request: Request) -> Provider | None:
    """None while unconfigured; the use case turns that into a 503 naming what to set."""
    return request.app.state.provider


SettingsDep = Annotated[GenaiSettings, Depends(get_settings)]
ProviderDep = Annotated[Provider | None, Depends(get_provider)]


@router.post(
    "/generate",
    responses=refusals(
        ContentBlocked,
        ProviderRateLimited,
        ProviderAuthFailed,
        ProviderUnavailable,
        ProviderRejected,
        ProviderBadResponse,
        ProviderUnconfigured,
    ),
)
async def generate(body: GenerateIn, provider: ProviderDep, settings: SettingsDep) -> GenerateOut:
    """Async, so a member waiting on a slow provider holds an event-loop wait instead of a worker thread."""
    return await service.generate(provider, settings, body)
