"""coin_api: run with `uvicorn coin_api.main:app`."""

import logging
import threading

from fastapi import FastAPI

from coin_api import __version__
from coin_api.balance_client import BalanceClient
from coin_api.crediting import reconcile_pending
from coin_api.routes import PERMISSIONS, router
from coin_api.rules import DailyRules
from coin_api.settings import CoinSettings
from service_kit.app import create_service_app
from service_kit.client import InternalClient
from service_kit.logging import request_id_var

logger = logging.getLogger("coin_api.main")


def _reconcile_in_background(app: FastAPI) -> None:
    """Credits left pending by a crash or an outage are completed without waiting for the member to retry."""
    request_id_var.set("startup-reconcile")
    try:
        reconcile_pending(engine=app.state.engine, ledger=app.state.ledger)
    except Exception:
        logger.exception("start-up reconcile failed")


def _on_startup(app: FastAPI) -> None:
    """Wires the ledger client and the rules from settings, then reconciles without blocking start-up."""
    settings: CoinSettings = app.state.settings
    app.state.ledger = BalanceClient(
        InternalClient(settings.balance_api_url, settings.coin_api_token, settings.balance_api_timeout_s)
    )
    app.state.rules = DailyRules(
        amount=settings.daily_amount,
        cooldown_s=settings.daily_cooldown_seconds,
        streak_bonus=settings.daily_streak_bonus,
        streak_max_days=settings.daily_streak_max_days,
        grace_s=settings.daily_streak_grace_seconds,
    )
    threading.Thread(target=_reconcile_in_background, args=(app,), name="coin-reconcile", daemon=True).start()


app = create_service_app(
    name="coin_api",
    version=__version__,
    settings_cls=CoinSettings,
    router=router,
    permissions=PERMISSIONS,
    on_startup=_on_startup,
)
