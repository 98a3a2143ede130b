"""bet_api: run with `uvicorn bet_api.main:app`."""

import logging
import threading

from fastapi import FastAPI

from bet_api import __version__
from bet_api.balance_client import BalanceClient
from bet_api.reconcile import reconcile
from bet_api.routes import PERMISSIONS, router
from bet_api.settings import BetSettings
from service_kit.app import create_service_app
from service_kit.client import InternalClient
from service_kit.logging import request_id_var

logger = logging.getLogger("bet_api.main")


def _reconcile_in_background(app: FastAPI) -> None:
    """Stakes and settlements left pending by a crash or an outage complete without waiting for a retry."""
    request_id_var.set("startup-reconcile")
    try:
        reconcile(engine=app.state.engine, ledger=app.state.ledger, wait_s=app.state.settings.stake_lock_wait_s)
    except Exception:
        logger.exception("start-up reconcile failed")


def _on_startup(app: FastAPI) -> None:
    """Wires the ledger clients from settings, then reconciles without blocking start-up."""
    settings: BetSettings = app.state.settings
    app.state.ledger = BalanceClient(
        InternalClient(settings.balance_api_url, settings.bet_api_token, settings.balance_api_timeout_s),
        InternalClient(settings.balance_api_url, settings.bet_api_token, settings.balance_api_settle_timeout_s),
    )
    threading.Thread(target=_reconcile_in_background, args=(app,), name="bet-reconcile", daemon=True).start()


app = create_service_app(
    name="bet_api",
    version=__version__,
    settings_cls=BetSettings,
    router=router,
    permissions=PERMISSIONS,
    on_startup=_on_startup,
)
