"""Who may move which coins: one row per route, and for POST /transactions and holds one row per kind (default deny)."""

import re
from dataclasses import dataclass

from balance_api.schemas import TransactionIn
from service_kit.auth import ForbiddenCaller, Permissions

EVERY_CALLER = {"bot", "coin_api", "bet_api"}  # a plugin service's credential is not even known here: 401

PERMISSIONS = Permissions(
    {
        "get_balance": EVERY_CALLER,
        "get_limits": EVERY_CALLER,
        "get_system_balance": EVERY_CALLER,
        "get_statement": EVERY_CALLER,
        "get_leaderboard": EVERY_CALLER,
        "get_transaction": EVERY_CALLER,
        "get_audit": EVERY_CALLER,
        "create_transfer": {"bot"},  # member → member, as a member asked in Discord
        "create_transaction": EVERY_CALLER,  # each caller only the kinds of TRANSACTION_KINDS below
        "create_hold": {"bot"},  # and only the kinds of HOLD_KINDS below
        "capture_hold": {"bot"},  # holds of the kinds it may create
        "release_hold": {"bot"},
        "get_hold": EVERY_CALLER,
        "get_hold_by_key": EVERY_CALLER,
    }
)

MEMBER = "<member>"  # any member's account; "<" is never in a system code, so no system account can pose as one
ESCROW = "escrow:bet:<id>"  # any bet event's escrow
_ESCROW_CODE = re.compile(r"escrow:bet:[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class Flow:
    """The one caller that may post a kind, the accounts that may pay in it and those that may receive."""

    caller: str
    pays: frozenset[str]
    receives: frozenset[str]


TRANSACTION_KINDS = {
    "daily": Flow("coin_api", pays=frozenset({"mint"}), receives=frozenset({MEMBER})),
    "bet_stake": Flow("bet_api", pays=frozenset({MEMBER}), receives=frozenset({ESCROW})),
    "bet_settle": Flow("bet_api", pays=frozenset({ESCROW}), receives=frozenset({MEMBER, "sink"})),
    "bet_refund": Flow("bet_api", pays=frozenset({ESCROW}), receives=frozenset({MEMBER, "sink"})),
    "ai_usage": Flow("bot", pays=frozenset({MEMBER}), receives=frozenset({"sink"})),
    "ai_refund": Flow("bot", pays=frozenset({"sink"}), receives=frozenset({MEMBER})),
}


def _account(user_id: int | None, system: str | None) -> str:
    """The name an account has in the table: members and escrows by kind, other system accounts by code."""
    if user_id is not None:
        return MEMBER
    assert system is not None
    return ESCROW if _ESCROW_CODE.fullmatch(system) else system


def authorize_transaction(caller: str, body: TransactionIn) -> None:
    """Refuse, before anything is read or written, a transaction whose kind or accounts the caller's row lacks."""
    flow = TRANSACTION_KINDS.get(body.kind)
    if flow is None or flow.caller != caller:
        raise ForbiddenCaller(caller, f"post kind {body.kind}")
    for posting in body.postings:
        account = _account(posting.user_id, posting.system)
        if posting.amount < 0 and account not in flow.pays:
            raise ForbiddenCaller(caller, f"take coins from {posting.system or 'a member'} in kind {body.kind}")
        if posting.amount > 0 and account not in flow.receives:
            raise ForbiddenCaller(caller, f"give coins to {posting.system or 'a member'} in kind {body.kind}")


HOLD_KINDS = {  # a hold always takes a member's coins; the caller that may create a kind captures and releases it
    "ai_usage": Flow("bot", pays=frozenset({MEMBER}), receives=frozenset({"sink"})),
}


def authorize_hold(caller: str, kind: str, system: str) -> None:
    """Refuse, before anything is read or written, a hold whose kind or receiving account the caller's row lacks."""
    flow = HOLD_KINDS.get(kind)
    if flow is None or flow.caller != caller:
        raise ForbiddenCaller(caller, f"hold coins for kind {kind}")
    if _account(None, system) not in flow.receives:
        raise ForbiddenCaller(caller, f"hold coins for {system} in kind {kind}")


def authorize_hold_owner(caller: str, kind: str) -> None:
    """Only the caller whose row creates a kind of hold may capture or release one."""
    flow = HOLD_KINDS.get(kind)
    if flow is None or flow.caller != caller:
        raise ForbiddenCaller(caller, f"capture or release a hold of kind {kind}")
