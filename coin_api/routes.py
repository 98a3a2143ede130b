"""HTTP edge of the daily claim: parse, call one use case, shape the answer."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from coin_api import service
from coin_api.errors import ClaimInProgress, CreditPending, DailyAlreadyClaimed
from coin_api.reconcile import reconcile_pending
from coin_api.rules import DailyRules
from coin_api.schemas import ClaimOut, ClaimPageOut, DailyStatusOut, ReconcileOut
from coin_api.settings import CoinSettings
from service_kit.auth import Permissions
from service_kit.db import AutocommitSessionDep
from service_kit.deps import EngineDep, get_settings
from service_kit.errors import IdempotencyKeyReused
from service_kit.idempotency import mark_replayed
from service_kit.identity import UserNotFound
from service_kit.openapi import refusals, replayed
from service_kit.pending import LedgerDep, LedgerRejected
from service_kit.types import DIGITS_ONLY, IdempotencyKey, SnowflakePath

router = APIRouter(tags=["daily"])
ONLY_THE_BOT = {"bot"}
PERMISSIONS = Permissions(
    {  # who may call each route (default deny)
        "claim_daily": ONLY_THE_BOT,
        "daily_status": ONLY_THE_BOT,
        "daily_history": ONLY_THE_BOT,
        "reconcile": ONLY_THE_BOT,
    }
)
CLAIM_NUMBER_MAX = 2**31 - 1


async def get_rules(request: Request) -> DailyRules:
    """No I/O: async, so reading it costs no thread-pool hand-off."""
    return request.app.state.rules


SettingsDep = Annotated[CoinSettings, Depends(get_settings)]
RulesDep = Annotated[DailyRules, Depends(get_rules)]


@router.post(
    "/guilds/{guild_id}/members/{discord_id}/daily",
    status_code=201,
    responses=refusals(
        UserNotFound,
        DailyAlreadyClaimed,
        IdempotencyKeyReused,
        CreditPending,
        ClaimInProgress,
        LedgerRejected,
        responses=replayed(ClaimOut),
    ),
)
def claim_daily(
    guild_id: SnowflakePath,
    discord_id: SnowflakePath,
    key: IdempotencyKey,
    engine: EngineDep,
    ledger: LedgerDep,
    daily: RulesDep,
    settings: SettingsDep,
    response: Response,
) -> ClaimOut:
    outcome = service.claim_daily(
        engine=engine,
        ledger=ledger,
        daily=daily,
        lock_wait_s=settings.lock_wait_s,
        guild_id=guild_id,
        discord_id=discord_id,
        key=key,
    )
    response.status_code = outcome.status
    mark_replayed(response, outcome.replayed)
    return outcome.claim


@router.get("/guilds/{guild_id}/members/{discord_id}/daily", responses=refusals(UserNotFound))
def daily_status(
    guild_id: SnowflakePath, discord_id: SnowflakePath, session: AutocommitSessionDep, daily: RulesDep
) -> DailyStatusOut:
    return service.daily_status(session, daily=daily, guild_id=guild_id, discord_id=discord_id)


@router.get("/guilds/{guild_id}/members/{discord_id}/daily/history", responses=refusals(UserNotFound))
def daily_history(
    guild_id: SnowflakePath,
    discord_id: SnowflakePath,
    session: AutocommitSessionDep,
    limit: Annotated[int, Query(ge=1, le=100), DIGITS_ONLY] = 20,
    before_number: Annotated[int | None, Query(ge=1, le=CLAIM_NUMBER_MAX), DIGITS_ONLY] = None,
) -> ClaimPageOut:
    return service.claim_history(
        session, guild_id=guild_id, discord_id=discord_id, limit=limit, before_number=before_number
    )


@router.post("/daily/reconcile", tags=["internal"])
def reconcile(engine: EngineDep, ledger: LedgerDep, settings: SettingsDep) -> ReconcileOut:
    """Completes credits that were never confirmed now; the service also does it on its own, every few seconds."""
    report = reconcile_pending(engine=engine, ledger=ledger, batch=settings.reconcile_batch)
    return ReconcileOut(**{name: value for name, value in asdict(report).items() if name != "ledger_down"})
