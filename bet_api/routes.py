"""HTTP edge of bets: parse, call one use case, shape the answer."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from bet_api import service
from bet_api.announcements import claim_lock_announcements
from bet_api.errors import (
    BetNotFound,
    Busy,
    ClosesAtInPast,
    DuplicateOutcomes,
    EventCancelled,
    EventFull,
    EventLocked,
    EventNotFound,
    EventSettled,
    NotAdmin,
    OtherOutcomeBacked,
    OutcomeNotFound,
    SettlementPending,
    StakePending,
    StakeRefused,
)
from bet_api.placing import place_bet
from bet_api.quoting import quote
from bet_api.reconcile import reconcile
from bet_api.schemas import (
    ActorIn,
    BetIn,
    BetOut,
    BetPageOut,
    EventIn,
    EventOut,
    EventPageOut,
    EventStatus,
    LockAnnouncementsOut,
    PlacedBetOut,
    QuoteOut,
    ReconcileOut,
    SettleIn,
    SettlementOut,
)
from bet_api.settings import BetSettings
from bet_api.settlement import Closed, cancel_event, settle_event
from service_kit.auth import Permissions
from service_kit.db import SessionDep
from service_kit.deps import EngineDep, get_settings
from service_kit.errors import IdempotencyKeyReused, InsufficientFunds
from service_kit.idempotency import mark_replayed
from service_kit.identity import UserNotFound
from service_kit.openapi import refusals, replayed
from service_kit.pending import LedgerDep, LedgerRejected
from service_kit.types import DIGITS_ONLY, ID_IN_PATH, MAX_AMOUNT, SNOWFLAKE_MAX, IdempotencyKey, SnowflakePath

router = APIRouter(tags=["bets"])
ONLY_THE_BOT = {"bot"}
PERMISSIONS = Permissions(
    {  # who may call each route (default deny); actor_is_admin is believed from the bot alone
        "create_event": ONLY_THE_BOT,
        "list_events": ONLY_THE_BOT,
        "get_event": ONLY_THE_BOT,
        "create_bet": ONLY_THE_BOT,
        "quote_bet": ONLY_THE_BOT,
        "lock_event": ONLY_THE_BOT,
        "settle": ONLY_THE_BOT,
        "cancel": ONLY_THE_BOT,
        "member_bets": ONLY_THE_BOT,
        "member_bet_on_event": ONLY_THE_BOT,
        "reconcile_now": ONLY_THE_BOT,
        "lock_announcements": ONLY_THE_BOT,
    }
)
EventIdPath = Annotated[int, Path(ge=1, le=SNOWFLAKE_MAX, description="a bet event id"), DIGITS_ONLY, ID_IN_PATH]
PageLimit = Annotated[int, Query(ge=1, le=50), DIGITS_ONLY]
BeforeId = Annotated[
    int | None, Query(ge=1, le=SNOWFLAKE_MAX, description="next_before_id of the previous page"), DIGITS_ONLY
]
CLOSED = (EventNotFound, EventSettled, EventCancelled)
"""What every write on an existing event may meet: no such event, or one already closed."""
CLOSING = (NotAdmin, *CLOSED, SettlementPending, LedgerRejected, Busy)


SettingsDep = Annotated[BetSettings, Depends(get_settings)]


def _closed(response: Response, closed: Closed) -> SettlementOut:
    mark_replayed(response, closed.replayed)
    return closed.settlement


@router.post(
    "/guilds/{guild_id}/events",
    status_code=201,
    responses=refusals(
        DuplicateOutcomes, NotAdmin, UserNotFound, IdempotencyKeyReused, ClosesAtInPast, responses=replayed(EventOut)
    ),
)
def create_event(
    guild_id: SnowflakePath, body: EventIn, key: IdempotencyKey, session: SessionDep, response: Response
) -> EventOut:
    answer = service.create_event(session, guild_id=guild_id, body=body, key=key)
    response.status_code = answer.status
    mark_replayed(response, answer.replayed)
    return answer.event


@router.get("/guilds/{guild_id}/events")
def list_events(
    guild_id: SnowflakePath,
    session: SessionDep,
    status: EventStatus | None = None,
    limit: PageLimit = 20,
    before_id: BeforeId = None,
) -> EventPageOut:
    return service.list_events(session, guild_id=guild_id, status=status, limit=limit, before_id=before_id)


@router.get("/guilds/{guild_id}/events/{event_id}", responses=refusals(EventNotFound))
def get_event(guild_id: SnowflakePath, event_id: EventIdPath, session: SessionDep) -> EventOut:
    return service.get_event(session, guild_id=guild_id, event_id=event_id)


@router.post(
    "/guilds/{guild_id}/events/{event_id}/bets",
    status_code=201,
    responses=refusals(
        UserNotFound,
        *CLOSED,
        OutcomeNotFound,
        EventLocked,
        OtherOutcomeBacked,
        EventFull,
        InsufficientFunds,
        IdempotencyKeyReused,
        StakeRefused,
        LedgerRejected,
        StakePending,
        Busy,
        responses=replayed(PlacedBetOut),
    ),
)
def create_bet(
    guild_id: SnowflakePath,
    event_id: EventIdPath,
    body: BetIn,
    key: IdempotencyKey,
    session: SessionDep,
    ledger: LedgerDep,
    settings: SettingsDep,
    response: Response,
) -> PlacedBetOut:
    placed = place_bet(
        session, ledger, wait_s=settings.stake_lock_wait_s, guild_id=guild_id, event_id=event_id, body=body, key=key
    )
    response.status_code = placed.status
    mark_replayed(response, placed.replayed)
    return placed.bet


@router.get(
    "/guilds/{guild_id}/events/{event_id}/quote",
    responses=refusals(*CLOSED, OutcomeNotFound, EventLocked, OtherOutcomeBacked, EventFull),
)
def quote_bet(
    guild_id: SnowflakePath,
    event_id: EventIdPath,
    user_id: Annotated[int, Query(ge=1, le=SNOWFLAKE_MAX, description="who would stake"), DIGITS_ONLY],
    outcome_id: Annotated[int, Query(ge=1, le=SNOWFLAKE_MAX, description="on which outcome"), DIGITS_ONLY],
    amount: Annotated[int, Query(ge=1, le=MAX_AMOUNT, description="how many coins more"), DIGITS_ONLY],
    session: SessionDep,
) -> QuoteOut:
    """Checks a stake as placing it would, and prices it the way settlement pays; nothing is recorded or moved."""
    return quote(
        session, guild_id=guild_id, event_id=event_id, discord_id=user_id, outcome_id=outcome_id, amount=amount
    )


@router.post("/guilds/{guild_id}/events/{event_id}/lock", responses=refusals(NotAdmin, *CLOSED))
def lock_event(guild_id: SnowflakePath, event_id: EventIdPath, body: ActorIn, session: SessionDep) -> EventOut:
    return service.lock_event(session, guild_id=guild_id, event_id=event_id, actor=body)


@router.post("/guilds/{guild_id}/events/{event_id}/settle", responses=refusals(*CLOSING, OutcomeNotFound))
def settle(
    guild_id: SnowflakePath,
    event_id: EventIdPath,
    body: SettleIn,
    engine: EngineDep,
    ledger: LedgerDep,
    settings: SettingsDep,
    response: Response,
) -> SettlementOut:
    return _closed(
        response,
        settle_event(engine=engine, ledger=ledger, settings=settings, guild_id=guild_id, event_id=event_id, body=body),
    )


@router.post("/guilds/{guild_id}/events/{event_id}/cancel", responses=refusals(*CLOSING))
def cancel(
    guild_id: SnowflakePath,
    event_id: EventIdPath,
    body: ActorIn,
    engine: EngineDep,
    ledger: LedgerDep,
    settings: SettingsDep,
    response: Response,
) -> SettlementOut:
    return _closed(
        response,
        cancel_event(engine=engine, ledger=ledger, settings=settings, guild_id=guild_id, event_id=event_id, actor=body),
    )


@router.get("/guilds/{guild_id}/events/{event_id}/bets/{discord_id}", responses=refusals(BetNotFound))
def member_bet_on_event(
    guild_id: SnowflakePath, event_id: EventIdPath, discord_id: SnowflakePath, session: SessionDep
) -> BetOut:
    """The member's bet on this event: the one outcome they may still raise."""
    return service.member_bet_on_event(session, guild_id=guild_id, event_id=event_id, discord_id=discord_id)


@router.get("/guilds/{guild_id}/members/{discord_id}/bets", responses=refusals(UserNotFound))
def member_bets(
    guild_id: SnowflakePath,
    discord_id: SnowflakePath,
    session: SessionDep,
    limit: PageLimit = 20,
    before_id: BeforeId = None,
) -> BetPageOut:
    return service.member_bets(session, guild_id=guild_id, discord_id=discord_id, limit=limit, before_id=before_id)


@router.post("/bets/lock-announcements")
def lock_announcements(session: SessionDep, limit: PageLimit = 20) -> LockAnnouncementsOut:
    """Bets that locked by themselves at closes_at, each returned once, to be announced where they were created."""
    return claim_lock_announcements(session, limit=limit)


@router.post("/bets/reconcile", tags=["internal"])
def reconcile_now(engine: EngineDep, ledger: LedgerDep, settings: SettingsDep) -> ReconcileOut:
    """Completes pending stakes and unfinished settlements now; the service also does it on its own, every few s."""
    report = reconcile(engine=engine, ledger=ledger, wait_s=settings.stake_lock_wait_s, batch=settings.reconcile_batch)
    return ReconcileOut(**{name: value for name, value in asdict(report).items() if name != "ledger_down"})
