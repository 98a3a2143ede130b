"""coin_api: run with `uvicorn coin_api.main:app`."""

from fastapi import FastAPI

from coin_api import __version__
from coin_api.reconcile import reconcile_pending
from coin_api.routes import PERMISSIONS, router
from coin_api.rules import DailyRules
from coin_api.settings import CoinSettings
from service_kit.app import create_service_app
from service_kit.pending import open_ledger, start_reconciling, stop_ledger


def _on_startup(app: FastAPI) -> None:
    """Wires the ledger client and the rules from settings, then reconciles in the background, on and on."""
    settings: CoinSettings = app.state.settings
    open_ledger(app)
    app.state.rules = DailyRules(
        amount=settings.daily_amount,
        cooldown_s=settings.daily_cooldown_seconds,
        streak_bonus=settings.daily_streak_bonus,
        streak_max_days=settings.daily_streak_max_days,
        grace_s=settings.daily_streak_grace_seconds,
    )
    start_reconciling(app, "coin-reconcile", reconcile_pending)


app = create_service_app(
    name="coin_api",
    version=__version__,
    settings_cls=CoinSettings,
    router=router,
    permissions=PERMISSIONS,
    on_startup=_on_startup,
    on_shutdown=stop_ledger,
)
