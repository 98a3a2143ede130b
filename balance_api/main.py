"""balance_api: run with `uvicorn balance_api.main:app`."""

from balance_api import __version__
from balance_api.permissions import PERMISSIONS
from balance_api.routes import router
from balance_api.settings import BalanceSettings
from service_kit.app import create_service_app

app = create_service_app(
    name="balance_api", version=__version__, settings_cls=BalanceSettings, router=router, permissions=PERMISSIONS
)
