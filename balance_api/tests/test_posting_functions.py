"""The posting engine is one database call: only balance_api may make it, and a money move is one statement."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg2
import pytest

from balance_api.tests.conftest import audited, hold, mint, new_snowflake, register
from buteco_dev import statement_log
from buteco_dev.credentials import SERVICE_ROLES, TEST_TOKENS, auth_headers, fixed_password, role_url
from buteco_dev.migrations import run_migrations
from buteco_dev.postgres import Postgres, create_database, find_bin_dir, query
from buteco_dev.processes import python_service

_CALLABLE = (
    "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname = 'public' AND p.proname LIKE 'ledger\\_%%' AND p.prorettype <> 'trigger'::regtype"
)


def transfer(api: httpx.Client, guild: int, sender: int, receiver: int, amount: int, key: str) -> httpx.Response:
    return api.post(
        f"/guilds/{guild}/transfers",
        headers={"Idempotency-Key": key},
        json={"from_user_id": str(sender), "to_user_id": str(receiver), "amount": amount},
    )


def test_only_balance_api_may_call_the_posting_functions(module_database_url):
    functions = [row[0] for row in query(module_database_url, _CALLABLE)]
    assert {name.split("(")[0] for name in functions} >= {"ledger_post", "ledger_hold", "ledger_resolve_hold"}
    for role in SERVICE_ROLES:
        allowed = {
            function
            for (function,) in query(
                module_database_url,
                f"SELECT f FROM unnest(%s::text[]) f WHERE has_function_privilege('{role}', f, 'EXECUTE')",
                functions,
            )
        }
        assert allowed == (set(functions) if role == "balance_api" else set()), role
    own = role_url(module_database_url, "coin_api", fixed_password("coin_api"))
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        query(own, "SELECT ledger_replay('k', repeat('0', 64))")


def test_the_entry_points_keep_their_plans_cached(module_database_url):
    """Left to choose, PostgreSQL re-planned each array-taking statement on every call: three times the CPU."""
    rows = query(
        module_database_url,
        "SELECT proname FROM pg_proc WHERE proname = ANY(%s)"
        " AND 'plan_cache_mode=force_generic_plan' = ANY(proconfig) ORDER BY 1",
        ["ledger_post", "ledger_replay", "ledger_hold", "ledger_resolve_hold", "ledger_expire_hold"],
    )
    assert [r[0] for r in rows] == [
        "ledger_expire_hold",
        "ledger_hold",
        "ledger_post",
        "ledger_replay",
        "ledger_resolve_hold",
    ]


def test_twins_racing_on_one_key_apply_it_once_and_all_answer_the_same(api, module_database_url):
    guild, alice, bob = new_snowflake(), new_snowflake(), new_snowflake()
    register(module_database_url, alice, bob)
    assert mint(api, guild, alice, 100).status_code == 201
    key = f"twins-{guild}"

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=str(api.base_url), headers=auth_headers(), timeout=30) as client:
            return transfer(client, guild, alice, bob, 60, key)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(send, range(12)))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in answers) == 1
    assert api.get(f"/guilds/{guild}/members/{alice}/balance").json()["balance"] == 40
    audited(api, guild)


def test_a_refusal_opens_no_account_and_claims_no_key(api, module_database_url):
    """The overdraft is checked before anything is written: the refused key stays free, the receiver unopened."""
    guild, alice, bob = new_snowflake(), new_snowflake(), new_snowflake()
    register(module_database_url, alice, bob)
    key = f"broke-{guild}"
    refused = transfer(api, guild, alice, bob, 5, key)
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_funds", refused.text
    assert (refused.json()["balance"], refused.json()["needed"]) == (0, 5)
    assert query(module_database_url, "SELECT count(*) FROM accounts WHERE guild_id = %s", guild) == [(0,)]
    assert mint(api, guild, alice, 5).status_code == 201
    assert transfer(api, guild, alice, bob, 5, key).status_code == 201


def test_a_settlement_with_many_legs_opens_the_missing_accounts_in_one_call(api, module_database_url):
    guild, members = new_snowflake(), [new_snowflake() for _ in range(300)]
    register(module_database_url, *members)
    body = {
        "guild_id": str(guild),
        "kind": "daily",
        "postings": [{"system": "mint", "amount": -300 * 7}] + [{"user_id": str(m), "amount": 7} for m in members],
    }
    posted = api.post(
        "/transactions", headers=auth_headers(TEST_TOKENS["coin_api"], idempotency_key=f"many-{guild}"), json=body
    )
    assert posted.status_code == 201, posted.text
    legs = posted.json()["postings"]
    assert [leg["user_id"] for leg in legs[1:]] == [str(m) for m in members]
    assert {leg["balance_after"] for leg in legs[1:]} == {7} and legs[0]["balance_after"] == -2100
    audited(api, guild)


def _moves(api: httpx.Client, guild: int, alice: int, bob: int, round_: int) -> None:
    """A transfer, a hold and its capture, a refused transfer, one refused by a rule, a look-up by key."""
    assert transfer(api, guild, alice, bob, 5, f"wire-{guild}-{round_}").status_code == 201
    held = hold(api, guild, alice, 5)
    assert held.status_code == 201
    assert api.post(f"/guilds/{guild}/holds/{held.json()['id']}/capture").status_code == 200
    assert transfer(api, guild, alice, bob, 500, f"broke-{guild}-{round_}").status_code == 409
    assert transfer(api, guild, alice, bob, 2_000_000, f"big-{guild}-{round_}").status_code == 422
    assert api.get(f"/transactions/by-key/wire-{guild}-{round_}").status_code == 200


@pytest.mark.slow
@pytest.mark.skipif(find_bin_dir() is None, reason="no PostgreSQL server binaries (make install)")
def test_each_money_move_is_one_statement_on_the_wire(tmp_path):
    """What PostgreSQL receives per move, from its own statement log: the call and nothing else (no BEGIN, COMMIT,
    ROLLBACK, SET or ping), on a server of its own so that the log is ours alone. A connection's first call of a
    statement also prepares it; from then on each call is one EXECUTE."""
    with Postgres.throwaway(settings=statement_log.SETTINGS) as server:
        url = create_database(server.url, "wire")
        run_migrations(url)
        guild, alice, bob = new_snowflake(), new_snowflake(), new_snowflake()
        register(url, alice, bob)
        quiet = {"HOLD_SWEEP_INTERVAL_S": "3600", "DB_POOL_SIZE": "1", "DB_MAX_OVERFLOW": "0"}  # one connection
        service = python_service("balance_api.main", database_url=url, env=quiet, log_dir=tmp_path).start()
        try:
            with httpx.Client(base_url=service.url, headers=auth_headers(), timeout=10, trust_env=False) as api:
                assert mint(api, guild, alice, 100).status_code == 201
                _moves(api, guild, alice, bob, 1)
                before = statement_log.mark(server)
                _moves(api, guild, alice, bob, 2)
                sent = statement_log.statements_since(server, before)
        finally:
            service.stop()
    statements = [statement for application, statement in sent if application == "balance_api"]
    assert [s.split("(")[0] for s in statements] == [
        "EXECUTE ledger_post_call",
        "EXECUTE ledger_hold_call",
        "EXECUTE ledger_resolve_hold_call",
        "EXECUTE ledger_post_call",
        "EXECUTE ledger_replay_call",  # a rule refused it in Python: a key already applied would still answer first
        "EXECUTE ledger_load_call",
    ], statements
