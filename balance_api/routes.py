"""HTTP edge of the ledger: parse, call one use case, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from balance_api import holds, service
from balance_api.errors import (
    AmountOverLimit,
    HoldCaptured,
    HoldExpired,
    HoldNotFound,
    HoldReleased,
    SelfTransfer,
    TransactionNotFound,
    UnbalancedTransaction,
)
from balance_api.ledger import PostedTransaction
from balance_api.permissions import authorize_hold, authorize_transaction
from balance_api.schemas import (
    AuditOut,
    BalanceOut,
    HoldIn,
    HoldOut,
    LeaderboardOut,
    LimitsOut,
    StatementOut,
    SystemBalanceOut,
    SystemCode,
    TransactionIn,
    TransactionOut,
    TransferIn,
)
from balance_api.settings import BalanceSettings
from service_kit.auth import CallerDep, ForbiddenCaller
from service_kit.db import AutocommitSessionDep, SessionDep
from service_kit.deps import get_settings
from service_kit.errors import IdempotencyKeyReused, InsufficientFunds
from service_kit.idempotency import mark_replayed
from service_kit.identity import UserNotFound
from service_kit.openapi import refusals, replayed
from service_kit.types import (
    DIGITS_ONLY,
    ID_IN_PATH,
    IDEMPOTENCY_KEY_PATTERN,
    SNOWFLAKE_MAX,
    IdempotencyKey,
    SnowflakePath,
)

router = APIRouter(tags=["ledger"])

SettingsDep = Annotated[BalanceSettings, Depends(get_settings)]
KeyPath = Annotated[str, Path(pattern=IDEMPOTENCY_KEY_PATTERN, description="the Idempotency-Key of the move")]
HoldIdPath = Annotated[int, Path(ge=1, le=SNOWFLAKE_MAX, description="a hold's id"), DIGITS_ONLY, ID_IN_PATH]
PostingCursor = Annotated[
    int | None, Query(ge=1, le=SNOWFLAKE_MAX, description="next_before_id of the previous page"), DIGITS_ONLY
]


def _answer(response: Response, posted: PostedTransaction, replayed: bool) -> TransactionOut:
    mark_replayed(response, replayed)
    return TransactionOut(
        id=posted.id,
        guild_id=posted.guild_id,
        kind=posted.kind,
        reason=posted.reason,
        data=posted.data,
        idempotency_key=posted.idempotency_key,
        created_at=posted.created_at,
        postings=[
            {
                "account_id": p.account_id,
                "user_id": p.discord_id,
                "system": p.system,
                "amount": p.amount,
                "balance_after": p.balance_after,
            }
            for p in posted.postings
        ],
    )


@router.get("/guilds/{guild_id}/members/{discord_id}/balance", responses=refusals(UserNotFound))
def get_balance(guild_id: SnowflakePath, discord_id: SnowflakePath, session: AutocommitSessionDep) -> BalanceOut:
    return service.balance_of(session, guild_id=guild_id, discord_id=discord_id)


@router.get("/limits")
def get_limits(settings: SettingsDep) -> LimitsOut:
    return LimitsOut(transfer_max_amount=settings.transfer_max_amount)


@router.get("/guilds/{guild_id}/system/{code}/balance")
def get_system_balance(guild_id: SnowflakePath, code: SystemCode, session: AutocommitSessionDep) -> SystemBalanceOut:
    return service.system_balance(session, guild_id=guild_id, code=code)


@router.post(
    "/guilds/{guild_id}/transfers",
    status_code=201,
    responses=refusals(UserNotFound, SelfTransfer, AmountOverLimit, InsufficientFunds, IdempotencyKeyReused),
)
def create_transfer(
    guild_id: SnowflakePath,
    body: TransferIn,
    key: IdempotencyKey,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> TransactionOut:
    posted, replayed = service.transfer(
        session,
        guild_id=guild_id,
        from_discord_id=body.from_user_id,
        to_discord_id=body.to_user_id,
        amount=body.amount,
        reason=body.reason,
        key=key,
        max_amount=settings.transfer_max_amount,
    )
    return _answer(response, posted, replayed)


@router.post(
    "/transactions",
    status_code=201,
    responses=refusals(ForbiddenCaller, UserNotFound, UnbalancedTransaction, InsufficientFunds, IdempotencyKeyReused),
)
def create_transaction(
    body: TransactionIn, key: IdempotencyKey, session: SessionDep, caller: CallerDep, response: Response
) -> TransactionOut:
    authorize_transaction(caller, body)
    posted, replayed = service.post_transaction(
        session,
        guild_id=body.guild_id,
        kind=body.kind,
        reason=body.reason,
        postings=body.postings,
        key=key,
        data=body.data,
    )
    return _answer(response, posted, replayed)


@router.get("/transactions/by-key/{idempotency_key}", responses=refusals(TransactionNotFound))
def get_transaction(idempotency_key: KeyPath, session: SessionDep, response: Response) -> TransactionOut:
    return _answer(response, service.transaction_by_key(session, key=idempotency_key), False)


@router.get("/guilds/{guild_id}/members/{discord_id}/statement", responses=refusals(UserNotFound))
def get_statement(
    guild_id: SnowflakePath,
    discord_id: SnowflakePath,
    session: AutocommitSessionDep,
    limit: Annotated[int, Query(ge=1, le=100), DIGITS_ONLY] = 20,
    before_id: PostingCursor = None,
) -> StatementOut:
    return service.statement(session, guild_id=guild_id, discord_id=discord_id, limit=limit, before_id=before_id)


@router.get("/guilds/{guild_id}/leaderboard")
def get_leaderboard(
    guild_id: SnowflakePath,
    session: AutocommitSessionDep,
    limit: Annotated[int, Query(ge=1, le=25), DIGITS_ONLY] = 10,
    user_id: Annotated[
        int | None, Query(ge=1, le=SNOWFLAKE_MAX, description="a Discord id: also rank this member"), DIGITS_ONLY
    ] = None,
) -> LeaderboardOut:
    return service.leaderboard(session, guild_id=guild_id, limit=limit, caller=user_id)


@router.get("/guilds/{guild_id}/audit")
def get_audit(guild_id: SnowflakePath, session: AutocommitSessionDep) -> AuditOut:
    return service.audit(session, guild_id=guild_id)


def _hold(response: Response, hold: HoldOut, was_replayed: bool) -> HoldOut:
    mark_replayed(response, was_replayed)
    return hold


@router.post(
    "/guilds/{guild_id}/holds",
    status_code=201,
    responses=refusals(
        ForbiddenCaller, UserNotFound, InsufficientFunds, IdempotencyKeyReused, responses=replayed(HoldOut)
    ),
)
def create_hold(
    guild_id: SnowflakePath,
    body: HoldIn,
    key: IdempotencyKey,
    session: SessionDep,
    caller: CallerDep,
    response: Response,
) -> HoldOut:
    authorize_hold(caller, body.kind, body.system)
    hold, was_replayed = holds.create(
        session,
        guild_id=guild_id,
        discord_id=body.user_id,
        system=body.system,
        amount=body.amount,
        kind=body.kind,
        reason=body.reason,
        expires_in_s=body.expires_in_s,
        key=key,
    )
    if was_replayed:
        response.status_code = 200
    return _hold(response, hold, was_replayed)


@router.post("/guilds/{guild_id}/holds/{hold_id}/capture", responses=refusals(HoldNotFound, HoldReleased, HoldExpired))
def capture_hold(
    guild_id: SnowflakePath, hold_id: HoldIdPath, session: SessionDep, caller: CallerDep, response: Response
) -> HoldOut:
    return _hold(response, *holds.capture(session, guild_id=guild_id, hold_id=hold_id, caller=caller))


@router.post("/guilds/{guild_id}/holds/{hold_id}/release", responses=refusals(HoldNotFound, HoldCaptured))
def release_hold(
    guild_id: SnowflakePath, hold_id: HoldIdPath, session: SessionDep, caller: CallerDep, response: Response
) -> HoldOut:
    return _hold(response, *holds.release(session, guild_id=guild_id, hold_id=hold_id, caller=caller))


@router.get("/guilds/{guild_id}/holds/{hold_id}", responses=refusals(HoldNotFound))
def get_hold(guild_id: SnowflakePath, hold_id: HoldIdPath, session: SessionDep) -> HoldOut:
    return holds.get(session, guild_id=guild_id, hold_id=hold_id)


@router.get("/holds/by-key/{idempotency_key}", responses=refusals(HoldNotFound))
def get_hold_by_key(idempotency_key: KeyPath, session: SessionDep) -> HoldOut:
    return holds.by_key(session, key=idempotency_key)
