"""client_api: run with `uvicorn client_api.main:app`; settings are read at start-up, never at import."""

from client_api import __version__
from client_api.routes import PERMISSIONS, router
from service_kit.app import create_service_app
from service_kit.settings import DatabaseSettings


class ClientSettings(DatabaseSettings):
    """client_api needs only the kit's settings for a service with tables (DATABASE_URL, BOT_API_TOKEN, pool)."""


app = create_service_app(
    name="client_api", version=__version__, settings_cls=ClientSettings, router=router, permissions=PERMISSIONS
)
