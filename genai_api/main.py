"""genai_api: run with `uvicorn genai_api.main:app`."""

import logging

from fastapi import FastAPI

from genai_api import __version__
from genai_api.routes import PERMISSIONS, router
from genai_api.service import build_provider
from genai_api.settings import GenaiSettings
from service_kit.app import create_service_app

logger = logging.getLogger("genai_api.main")


def _on_startup(app: FastAPI) -> None:
    """Builds the provider client once; an unconfigured service still starts, degraded, and says why."""
    settings: GenaiSettings = app.state.settings
    app.state.provider = build_provider(settings)
    if app.state.provider is None:
        logger.warning("generate is disabled: %s", settings.provider_problem())
    else:
        logger.info("provider %s, default model %s", app.state.provider.name, app.state.provider.default_model)


def _provider_check(app: FastAPI) -> str:
    """Configured or not; health never calls the provider, which would cost a request every probe."""
    return "ok" if app.state.provider is not None else "unconfigured"


app = create_service_app(
    name="genai_api",
    version=__version__,
    settings_cls=GenaiSettings,
    router=router,
    permissions=PERMISSIONS,
    extra_checks={"provider": _provider_check},
    on_startup=_on_startup,
    max_body_bytes=128 * 1024,  # two 4000-character texts, each character up to 12 bytes as an escaped JSON pair
)
