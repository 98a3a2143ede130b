"""Members and money for tests and benchmarks: fresh Discord-like ids, and coins the one way the ledger allows.

The ids come from one counter with a random start, so tests sharing a database never collide. Coins come from the
guild's mint as a daily credit posted as coin_api (its test credential), the only caller that may mint.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping

import httpx

from .credentials import TEST_TOKENS, auth_headers

_ids = itertools.count(random.randrange(10**17, 9 * 10**17, 10**9))


def new_snowflake() -> int:
    """A fresh snowflake-sized id."""
    return next(_ids)


def fund_members(
    ledger_url: str,
    guild_id: int,
    amounts: Mapping[int, int],
    *,
    key: str,
    reason: str = "test funds",
    timeout: float = 30,
) -> httpx.Response:
    """Credit each member (Discord id -> coins) from the guild's mint in one transaction; opens their accounts."""
    postings = [{"system": "mint", "amount": -sum(amounts.values())}]
    postings += [{"user_id": str(discord_id), "amount": amount} for discord_id, amount in amounts.items()]
    body = {"guild_id": str(guild_id), "kind": "daily", "reason": reason, "postings": postings}
    return httpx.post(
        f"{ledger_url.rstrip('/')}/transactions",
        json=body,
        trust_env=False,
        timeout=timeout,
        headers=auth_headers(TEST_TOKENS["coin_api"], idempotency_key=key),
    )


def fund_member(ledger_url: str, guild_id: int, discord_id: int, amount: int, *, key: str) -> httpx.Response:
    """Credit one member from the guild's mint, as coin_api's daily credit does."""
    return fund_members(ledger_url, guild_id, {discord_id: amount}, key=key)
