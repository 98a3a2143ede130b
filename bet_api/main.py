"""bet_api: run with `uvicorn bet_api.main:app`."""

from functools import partial

from fastapi import FastAPI

from bet_api import __version__
from bet_api.reconcile import reconcile
from bet_api.routes import PERMISSIONS, router
from bet_api.settings import BetSettings
from service_kit.app import create_service_app
from service_kit.pending import open_ledger, start_reconciling, stop_ledger


def _on_startup(app: FastAPI) -> None:
    """Wires the ledger client (a second pool for settlements) and reconciles in the background, on and on."""
    settings: BetSettings = app.state.settings
    open_ledger(app, large_timeout_s=settings.balance_api_settle_timeout_s)
    start_reconciling(app, "bet-reconcile", partial(reconcile, wait_s=settings.stake_lock_wait_s))


app = create_service_app(
    name="bet_api",
    version=__version__,
    settings_cls=BetSettings,
    router=router,
    permissions=PERMISSIONS,
    on_startup=_on_startup,
    on_shutdown=stop_ledger,
)
