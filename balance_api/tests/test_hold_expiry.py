"""A hold nobody resolves in time comes back to its member: refused to a late capture, released by the sweeper."""

import signal
import time

import httpx
import psycopg2

from balance_api.tests.conftest import audited, balances, hold, mint, new_snowflake, register
from buteco_dev.credentials import auth_headers
from buteco_dev.postgres import query
from buteco_dev.processes import ServiceProcess

DEADLINE_S = 20


def ledger(
    start_service, database_url: str, interval_s: float, batch: int = 100
) -> tuple[httpx.Client, ServiceProcess]:
    """balance_api on this test's database, its sweeper passing every interval_s, batch holds a page."""
    service = start_service(
        "balance_api.main",
        env={"HOLD_SWEEP_INTERVAL_S": str(interval_s), "HOLD_SWEEP_BATCH_SIZE": str(batch)},
    )
    return httpx.Client(base_url=service.url, headers=auth_headers(), timeout=30, trust_env=False), service


def funded(api: httpx.Client, database_url: str, coins: int) -> tuple[int, int]:
    guild, member = new_snowflake(), new_snowflake()
    register(database_url, member)
    assert mint(api, guild, member, coins).status_code == 201
    return guild, member


def wait_until(condition, what: str):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {DEADLINE_S} s")


def test_a_capture_past_expiry_is_refused_and_returns_the_coins_without_the_sweeper(start_service, database_url):
    api, _ = ledger(start_service, database_url, interval_s=3600)  # its first pass runs before any hold exists
    with api:
        guild, alice = funded(api, database_url, 100)
        made = hold(api, guild, alice, 60, expires_in_s=1).json()
        assert balances(api, guild, alice) == (40, 60, 0)
        time.sleep(1.2)
        assert api.get(f"/guilds/{guild}/holds/{made['id']}").json()["status"] == "held", "no sweeper has run"

        late = api.post(f"/guilds/{guild}/holds/{made['id']}/capture")
        assert late.status_code == 409 and late.json()["code"] == "hold_expired", late.text
        after = api.get(f"/guilds/{guild}/holds/{made['id']}").json()
        assert after["status"] == "expired" and after["final_transaction_id"] is not None
        assert balances(api, guild, alice) == (100, 0, 0), "expired: the coins are back, nothing was charged"
        again = api.post(f"/guilds/{guild}/holds/{made['id']}/capture")
        assert again.status_code == 409 and again.json()["code"] == "hold_expired"
        release = api.post(f"/guilds/{guild}/holds/{made['id']}/release")
        assert release.status_code == 200 and release.headers["Idempotent-Replayed"] == "true"
        assert release.json()["status"] == "expired"

        late_release = hold(api, guild, alice, 10, expires_in_s=1).json()
        time.sleep(1.2)
        released = api.post(f"/guilds/{guild}/holds/{late_release['id']}/release")
        assert released.status_code == 200 and released.json()["status"] == "released", released.text
        assert balances(api, guild, alice) == (100, 0, 0)
        assert audited(api, guild)["holds_account_balance"] == 0


def test_the_sweeper_releases_every_expired_hold_in_pages_and_leaves_the_others(start_service, database_url):
    api, service = ledger(start_service, database_url, interval_s=0.2, batch=7)
    with api:
        guild, alice = funded(api, database_url, 1000)
        expiring = [hold(api, guild, alice, 10, expires_in_s=1).json()["id"] for _ in range(40)]
        lasting = hold(api, guild, alice, 50, expires_in_s=3600).json()["id"]
        captured = hold(api, guild, alice, 5, expires_in_s=1).json()["id"]
        assert api.post(f"/guilds/{guild}/holds/{captured}/capture").json()["status"] == "captured"

        def all_expired():
            rows = query(database_url, "SELECT status, count(*) FROM holds WHERE id = ANY(%s) GROUP BY 1", expiring)
            return rows == [("expired", 40)]

        wait_until(all_expired, "the sweeper released 40 expired holds")
        assert api.get(f"/guilds/{guild}/holds/{lasting}").json()["status"] == "held"
        assert api.get(f"/guilds/{guild}/holds/{captured}").json()["status"] == "captured"
        assert balances(api, guild, alice) == (945, 50, 5)
        moves = query(
            database_url,
            "SELECT kind, count(*) FROM ledger_transactions WHERE idempotency_key LIKE 'hold:%%' GROUP BY kind",
        )
        assert sorted(moves) == [("ai_usage", 1), ("hold_release", 40)], "each hold resolved exactly once"
        assert audited(api, guild)["holds_active_sum"] == 50
        assert "hold sweep: " in service.logs() and "expired holds released" in service.logs()
    service.stop()  # SIGTERM: uvicorn's shutdown stops the sweeper, then exits by that signal (never a SIGKILL)
    assert service.exit_code in (0, -signal.SIGTERM), service.exit_code
    assert "did not stop" not in service.logs() and "Traceback" not in service.logs(), service.logs()[-2000:]


def test_busy_holds_ahead_do_not_keep_the_sweeper_from_those_behind(start_service, database_url):
    """15 expired holds locked by someone else, a page of 1: passes step over them and reach the 16th."""
    api, _ = ledger(start_service, database_url, interval_s=0.2, batch=1)
    with api:
        guild, alice = funded(api, database_url, 100)
        ahead = [hold(api, guild, alice, 1, expires_in_s=1).json()["id"] for _ in range(15)]
        behind = hold(api, guild, alice, 1, expires_in_s=1).json()["id"]
        blocker = psycopg2.connect(database_url)
        try:
            with blocker.cursor() as cursor:
                cursor.execute("SELECT id FROM holds WHERE id = ANY(%s) FOR UPDATE", (ahead,))
                wait_until(
                    lambda: api.get(f"/guilds/{guild}/holds/{behind}").json()["status"] == "expired",
                    "the hold behind 15 busy ones was released",
                )
                assert query(database_url, "SELECT DISTINCT status FROM holds WHERE id = ANY(%s)", ahead) == [("held",)]
        finally:
            blocker.rollback()
            blocker.close()
        wait_until(lambda: balances(api, guild, alice) == (100, 0, 0), "the busy ones came back once free")
        audited(api, guild)


def test_expires_at_is_the_creation_plus_the_seconds_asked(start_service, database_url):
    api, _ = ledger(start_service, database_url, interval_s=3600)
    with api:
        guild, alice = funded(api, database_url, 10)
        for expires_in_s in (1, 3600):
            made = hold(api, guild, alice, 1, expires_in_s=expires_in_s).json()
            seconds = query(
                database_url, "SELECT extract(epoch FROM expires_at - created_at) FROM holds WHERE id = %s", made["id"]
            )
            assert float(seconds[0][0]) == expires_in_s
