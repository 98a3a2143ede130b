"""The one ledger client against a real balance_api behind a fault proxy: confirmed, refused, or not confirmed."""

import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from buteco_dev.credentials import TEST_TOKENS
from buteco_dev.fault_proxy import FaultProxy
from buteco_dev.postgres import query
from buteco_dev.seed import fund_member, new_snowflake
from service_kit.client import InternalClient
from service_kit.ledger_client import (
    LedgerClient,
    LedgerRefused,
    Move,
    NotConfirmed,
    Posting,
    StillInFlight,
)
from service_kit.pending import caused_by_the_ledger

pytestmark = pytest.mark.slow
TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def balance(module_start_service):
    module_start_service("client_api.main")  # not called: balance_api reads users, client_api owns them
    return module_start_service("balance_api.main")


@pytest.fixture(scope="module")
def proxy(balance) -> Iterator[FaultProxy]:
    with FaultProxy(balance.url) as started:
        yield started


@pytest.fixture
def ledgers(proxy: FaultProxy) -> Iterator[dict[str, LedgerClient]]:
    """A client per caller, as coin_api, bet_api and the bot hold it; the proxy passes traffic when a test ends."""
    clients = {
        caller: LedgerClient(InternalClient(proxy.url, SecretStr(TEST_TOKENS[caller]), TIMEOUT_S), forgotten_grace_s=5)
        for caller in ("coin_api", "bet_api", "bot")
    }
    yield clients
    proxy.set_mode("pass")
    for client in clients.values():
        client.close()


def member(module_database_url: str) -> int:
    discord_id = new_snowflake()
    query(module_database_url, "INSERT INTO users (discord_id) VALUES (%s) RETURNING id", discord_id)
    return discord_id


def daily(guild: int, discord_id: int, key: str, amount: int = 10, reason: str = "daily") -> Move:
    return Move(key, guild, "daily", reason, [Posting(-amount, system="mint"), Posting(amount, discord_id=discord_id)])


def applied_under(url: str, key: str) -> int:
    return query(url, "SELECT count(*) FROM ledger_transactions WHERE idempotency_key = %s", key)[0][0]


def test_a_move_is_applied_once_and_every_retry_answers_its_id(ledgers, module_database_url):
    guild, key = new_snowflake(), f"kit-{new_snowflake()}"
    move = daily(guild, member(module_database_url), key)
    first = ledgers["coin_api"].post(move)
    assert ledgers["coin_api"].post(move) == first
    applied = ledgers["coin_api"].find(key)
    assert applied is not None and (applied.id, applied.guild_id, applied.kind) == (first, guild, "daily")
    assert ledgers["coin_api"].find(f"never-{key}") is None
    assert applied_under(module_database_url, key) == 1


@pytest.mark.parametrize(
    ("mode", "extra", "reached"),
    [
        ("refuse", {}, False),
        ("drop_response", {}, True),
        ("delay", {"seconds": TIMEOUT_S + 0.5}, True),
        ("answer", {"status": 503}, True),
        ("answer", {"status": 500}, True),
        ("answer", {"status": 429}, True),
        ("answer", {"status": 408}, True),
        ("answer", {"status": 201}, True),  # a 2xx without its transaction id
    ],
)
def test_no_usable_answer_is_not_confirmed_and_the_same_key_applies_it_once(
    ledgers, proxy, module_database_url, mode, extra, reached
):
    key = f"kit-{mode}-{new_snowflake()}"
    move = daily(new_snowflake(), member(module_database_url), key)
    proxy.set_mode(mode, **extra)
    with pytest.raises(NotConfirmed) as caught:
        ledgers["coin_api"].post(move)
    assert caught.value.key == key and caused_by_the_ledger(caught.value)
    proxy.set_mode("pass")
    assert applied_under(module_database_url, key) == (1 if reached else 0)
    transaction_id = ledgers["coin_api"].post(move)
    assert applied_under(module_database_url, key) == 1
    assert query(module_database_url, "SELECT id FROM ledger_transactions WHERE idempotency_key = %s", key) == [
        (transaction_id,)
    ]


def test_a_refusal_moves_nothing_and_leaves_the_key_free(ledgers, balance, module_database_url):
    guild, payer, key = new_snowflake(), member(module_database_url), f"kit-broke-{new_snowflake()}"
    stake = Move(key, guild, "bet_stake", "stake", [Posting(-30, discord_id=payer), Posting(30, system="escrow:bet:1")])
    with pytest.raises(LedgerRefused) as broke:
        ledgers["bet_api"].post(stake)
    assert (broke.value.status, broke.value.code, broke.value.body["balance"]) == (409, "insufficient_funds", 0)
    assert ledgers["bet_api"].find(key) is None
    assert fund_member(balance.url, guild, payer, 30, key=f"fund-{key}").status_code == 201
    assert ledgers["bet_api"].post(stake) > 0, "the refused key was still free"
    with pytest.raises(LedgerRefused) as forbidden:
        ledgers["coin_api"].post(Move(f"{key}-x", guild, "bet_stake", "no", stake.postings))
    assert (forbidden.value.status, forbidden.value.code) == (403, "forbidden_caller")


def test_our_key_under_an_older_body_is_taken_another_kind_is_a_bug(ledgers, module_database_url, caplog):
    guild, discord_id, key = new_snowflake(), member(module_database_url), f"kit-reused-{new_snowflake()}"
    first = ledgers["coin_api"].post(daily(guild, discord_id, key, reason="daily, as an older version said it"))
    with caplog.at_level(logging.WARNING, logger="service_kit.ledger_client"):
        assert ledgers["coin_api"].post(daily(guild, discord_id, key, reason="daily, reworded")) == first
    assert "applied earlier with another body" in caplog.text and "BUG" not in caplog.text
    squatted = Move(
        key, guild, "bet_stake", "s", [Posting(-1, discord_id=discord_id), Posting(1, system="escrow:bet:9")]
    )
    with caplog.at_level(logging.ERROR, logger="service_kit.ledger_client"), pytest.raises(LedgerRefused) as caught:
        ledgers["bet_api"].post(squatted)
    assert (
        caught.value.code == "idempotency_key_reused"
        and f"BUG: balance_api holds another request under our key {key}" in caplog.text
    )


def test_a_forgotten_members_move_is_found_else_decided_after_the_grace(ledgers, module_database_url):
    ledger, key = ledgers["coin_api"], f"kit-forgotten-{new_snowflake()}"
    applied = ledger.post(daily(new_snowflake(), member(module_database_url), key))
    assert ledger.left_by_forgotten(key, forgotten_for_s=0) == applied, "a move already made counts at once"
    with pytest.raises(StillInFlight):
        ledger.left_by_forgotten(f"{key}-none", forgotten_for_s=4.9)
    assert ledger.left_by_forgotten(f"{key}-none", forgotten_for_s=5.0) is None


def test_a_system_balance_reads_zero_for_an_unopened_account_and_none_when_down(ledgers, proxy):
    assert ledgers["bet_api"].system_balance(new_snowflake(), "escrow:bet:1") == 0
    proxy.set_mode("refuse")
    assert ledgers["bet_api"].system_balance(new_snowflake(), "escrow:bet:1") is None


def test_holds_for_a_paid_command_capture_or_release_exactly_once(ledgers, balance, module_database_url):
    bot, guild, payer = ledgers["bot"], new_snowflake(), member(module_database_url)
    assert fund_member(balance.url, guild, payer, 50, key=f"fund-hold-{guild}").status_code == 201
    asked = {"discord_id": payer, "system": "sink", "amount": 20, "kind": "ai_usage", "expires_in_s": 60}
    held = bot.hold(guild, key=f"hold-a-{guild}", reason="/ask", **asked)
    assert (held.status, held.amount, held.guild_id, held.replayed) == ("held", 20, guild, False)
    assert bot.hold(guild, key=f"hold-a-{guild}", reason="/ask", **asked).replayed is True
    captured = bot.capture(guild, held.id)
    assert (captured.status, captured.replayed) == ("captured", False)
    assert bot.capture(guild, held.id).replayed is True
    other = bot.hold(guild, key=f"hold-b-{guild}", **asked)
    assert bot.release(guild, other.id).status == "released"
    with pytest.raises(LedgerRefused) as late:
        bot.capture(guild, other.id)
    assert late.value.code == "hold_released"
    found = bot.find_hold(f"hold-a-{guild}")
    assert found is not None and found.id == held.id and bot.find_hold(f"hold-none-{guild}") is None
    with pytest.raises(LedgerRefused) as broke:
        bot.hold(guild, key=f"hold-c-{guild}", **{**asked, "amount": 31})
    assert broke.value.code == "insufficient_funds"
    assert query(
        module_database_url,
        "SELECT sum(amount) FROM postings p JOIN accounts a ON a.id = p.account_id WHERE a.guild_id = %s",
        guild,
    ) == [(0,)]


def test_an_error_caused_by_the_ledger_is_told_from_others():
    try:
        try:
            raise NotConfirmed("k", "ConnectError")
        except NotConfirmed as exc:
            raise RuntimeError("pending") from exc
    except RuntimeError as wrapped:
        assert caused_by_the_ledger(wrapped)
    assert not caused_by_the_ledger(RuntimeError("a database blip"))
