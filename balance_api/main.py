"""balance_api: run with `uvicorn balance_api.main:app`."""

from fastapi import FastAPI

from balance_api import __version__
from balance_api.permissions import PERMISSIONS
from balance_api.routes import router
from balance_api.settings import BalanceSettings
from balance_api.sweeper import HoldSweeper
from service_kit.app import create_service_app
from service_kit.periodic import Periodic


def _start_sweeper(app: FastAPI) -> None:
    """Expired holds come back to their members without anyone asking, from start-up on."""
    settings: BalanceSettings = app.state.settings
    sweeper = HoldSweeper(app.state.engine, settings.hold_sweep_batch_size)
    app.state.hold_sweeper = Periodic(
        "hold-sweeper", sweeper, interval_s=settings.hold_sweep_interval_s, max_backoff_s=60
    ).start()


def _stop_sweeper(app: FastAPI) -> None:
    """Let the pass in progress finish its hold before the engine goes."""
    app.state.hold_sweeper.stop()


app = create_service_app(
    name="balance_api",
    version=__version__,
    settings_cls=BalanceSettings,
    router=router,
    permissions=PERMISSIONS,
    on_startup=_start_sweeper,
    on_shutdown=_stop_sweeper,
    max_body_bytes=2 * 1024 * 1024,  # a settlement pays up to 20,000 postings (~60 bytes each) in one transaction
)
