"""Bet settlement benchmark (issue 4): POST .../settle on an event with 10,000 bets, target <= 2 s, one transaction.

Run: .venv/bin/python bench/bet_settle.py [--bets 10000] [--out results.json]
Self-contained: a durable throwaway PostgreSQL migrated by the real TypeORM migrations, balance_api and bet_api as
real processes. Members are funded through balance_api; the bets are written by set-based SQL for setup speed,
row for row what POST .../bets would have stored (stakes, their ledger transactions, postings and balances), and
the script proves it by replaying a stake through both APIs before timing anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bet_api.schemas import BetIn  # noqa: E402
from buteco_dev import migrations, seed  # noqa: E402
from buteco_dev.credentials import TEST_TOKENS, auth_headers  # noqa: E402
from buteco_dev.postgres import Postgres, create_database  # noqa: E402
from buteco_dev.processes import python_service  # noqa: E402
from service_kit.idempotency import request_fingerprint  # noqa: E402

TOKEN = TEST_TOKENS["bot"]  # python_service gives each service every caller's token
GUILD = 900_000_000_000_000_004
ADMIN = 600_000_000_000_000_000
USER_BASE = 600_000_000_000_000_001
FUNDS = 1_000_000
PG_SETTINGS = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on", "shared_buffers": "256MB"}
TARGET_S = 2.0


def step(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def api(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers=auth_headers(TOKEN), timeout=120, trust_env=False)


def seed_members(engine, count: int) -> None:
    """The admin and `count` registered members (client_api owns users; here they are inserted directly)."""
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO users (discord_id, display_name) SELECT :base + i, 'bench ' || i"
                " FROM generate_series(-1, :n - 1) AS i"
            ),
            {"base": USER_BASE, "n": count},
        )


def fund_members(ledger_url: str, count: int) -> None:
    """One daily credit from the mint, as coin_api, funds every member (and opens their accounts)."""
    seed.fund_members(
        ledger_url,
        GUILD,
        {USER_BASE + n: FUNDS for n in range(count)},
        key="bench-bet-funding",
        reason="bench",
        timeout=120,
    ).raise_for_status()


def stake_requests(event_id: int, outcome_ids: list[int], count: int) -> list[dict]:
    """One bet per member: 90% on the first outcome (so ~9,000 winners are paid), random stakes of 1-1,000."""
    rng = random.Random(4)
    plans = []
    for n in range(count):
        position = 1 if rng.random() < 0.9 else 2
        body = BetIn(user_id=USER_BASE + n, amount=rng.randint(1, 1_000), position=position)
        plans.append(
            {
                "discord_id": USER_BASE + n,
                "outcome_id": outcome_ids[position - 1],
                "amount": body.amount,
                "key": f"bench-bet-{event_id}-{n}",
                "body": body,
                # bet_api's placing.place_bet fingerprint of this request
                "hash": request_fingerprint(
                    {"op": "bet", "guild": GUILD, "event": event_id, **body.model_dump(mode="json")}
                ),
            }
        )
    return plans


def ledger_fingerprint(kind: str, reason: str, legs: list[tuple[int | None, str | None, int]]) -> str:
    """balance_api's service.post_transaction fingerprint of a POST /transactions body."""
    return request_fingerprint(
        {
            "op": "post",
            "guild": GUILD,
            "kind": kind,
            "reason": reason,
            "postings": sorted((user or 0, system or "", amount) for user, system, amount in legs),
        }
    )


def seed_bets(engine, event_id: int, plans: list[dict]) -> float:
    """Bets, stakes, stake transactions, postings and balances, as n successful POST .../bets would leave them."""
    started = time.monotonic()
    escrow, kind, reason = f"escrow:bet:{event_id}", "bet_stake", f"stake on bet event #{event_id}"
    with engine.begin() as db:
        users = dict(
            db.execute(
                text("SELECT discord_id, id FROM users WHERE discord_id = ANY(:ids)"),
                {"ids": [p["discord_id"] for p in plans]},
            ).all()
        )
        bet_ids = (
            db.execute(
                text(
                    "INSERT INTO bets (event_id, outcome_id, user_id, amount) SELECT :event_id, o, u, a"
                    " FROM unnest(CAST(:outcomes AS bigint[]), CAST(:users AS bigint[]), CAST(:amounts AS bigint[]))"
                    " WITH ORDINALITY AS t(o, u, a, n) ORDER BY n RETURNING id"
                ),
                {
                    "event_id": event_id,
                    "outcomes": [p["outcome_id"] for p in plans],
                    "users": [users[p["discord_id"]] for p in plans],
                    "amounts": [p["amount"] for p in plans],
                },
            )
            .scalars()
            .all()
        )
        stake_ids = (
            db.execute(
                text(
                    "INSERT INTO bet_stakes (event_id, bet_id, amount, idempotency_key, request_hash)"
                    " SELECT :event_id, b, a, k, h FROM unnest(CAST(:bets AS bigint[]), CAST(:amounts AS bigint[]),"
                    " CAST(:keys AS varchar[]), CAST(:hashes AS char(64)[])) WITH ORDINALITY AS t(b, a, k, h, n)"
                    " ORDER BY n RETURNING id"
                ),
                {
                    "event_id": event_id,
                    "bets": sorted(bet_ids),
                    "amounts": [p["amount"] for p in plans],
                    "keys": [p["key"] for p in plans],
                    "hashes": [p["hash"] for p in plans],
                },
            )
            .scalars()
            .all()
        )
        hashes = [
            ledger_fingerprint(kind, reason, [(p["discord_id"], None, -p["amount"]), (None, escrow, p["amount"])])
            for p in plans
        ]
        transaction_ids = (
            db.execute(
                text(
                    "INSERT INTO ledger_transactions (guild_id, idempotency_key, request_hash, kind, reason)"
                    " SELECT :guild, 'bet:stake:' || s, h, :kind, :reason FROM unnest(CAST(:stakes AS bigint[]),"
                    " CAST(:hashes AS char(64)[])) WITH ORDINALITY AS t(s, h, n) ORDER BY n RETURNING id"
                ),
                {"guild": GUILD, "kind": kind, "reason": reason, "stakes": sorted(stake_ids), "hashes": hashes},
            )
            .scalars()
            .all()
        )
        escrow_account = db.execute(
            text("INSERT INTO accounts (guild_id, system_code, balance) VALUES (:guild, :code, :pool) RETURNING id"),
            {"guild": GUILD, "code": escrow, "pool": sum(p["amount"] for p in plans)},
        ).scalar_one()
        members = dict(
            db.execute(
                text("SELECT user_id, id FROM accounts WHERE guild_id = :guild AND user_id IS NOT NULL"),
                {"guild": GUILD},
            ).all()
        )
        legs: dict[str, list] = {"tx": [], "account": [], "amount": [], "after": []}
        held = 0
        for plan, transaction_id in zip(plans, sorted(transaction_ids), strict=True):
            held += plan["amount"]
            for account, amount, after in (
                (members[users[plan["discord_id"]]], -plan["amount"], FUNDS - plan["amount"]),
                (escrow_account, plan["amount"], held),
            ):
                legs["tx"].append(transaction_id)
                legs["account"].append(account)
                legs["amount"].append(amount)
                legs["after"].append(after)
        # Both legs of every transaction in this one statement: the balancing trigger checks them together.
        db.execute(
            text(
                "INSERT INTO postings (transaction_id, account_id, amount, balance_after) SELECT * FROM unnest("
                "CAST(:tx AS bigint[]), CAST(:account AS bigint[]), CAST(:amount AS bigint[]),"
                " CAST(:after AS bigint[]))"
            ),
            legs,
        )
        db.execute(
            text(
                "UPDATE accounts a SET balance = a.balance - v.amount, updated_at = now()"
                " FROM unnest(CAST(:accounts AS bigint[]), CAST(:amounts AS bigint[])) AS v(id, amount)"
                " WHERE a.id = v.id"
            ),
            {"accounts": [members[users[p["discord_id"]]] for p in plans], "amounts": [p["amount"] for p in plans]},
        )
        db.execute(
            text(
                "UPDATE bet_stakes s SET confirmed_at = now(), transaction_id = v.tx"
                " FROM unnest(CAST(:stakes AS bigint[]), CAST(:txs AS bigint[])) AS v(id, tx) WHERE s.id = v.id"
            ),
            {"stakes": sorted(stake_ids), "txs": sorted(transaction_ids)},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.execute(text("VACUUM ANALYZE users, accounts, ledger_transactions, postings, bets, bet_stakes"))
        db.execute(text("CHECKPOINT"))
    return round(time.monotonic() - started, 2)


def prove_seed_is_what_the_api_stores(bets: httpx.Client, ledger: httpx.Client, event_id: int, plan: dict) -> None:
    """Replaying one seeded stake through bet_api and its ledger move through balance_api must both replay."""
    body = plan["body"].model_dump(mode="json", exclude_none=True)
    replay = bets.post(f"/guilds/{GUILD}/events/{event_id}/bets", json=body, headers={"Idempotency-Key": plan["key"]})
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true", replay.text
    stake = replay.json()["stake"]
    move = {
        "guild_id": str(GUILD),
        "kind": "bet_stake",
        "reason": f"stake on bet event #{event_id}",
        "postings": [
            {"user_id": str(plan["discord_id"]), "amount": -plan["amount"]},
            {"system": f"escrow:bet:{event_id}", "amount": plan["amount"]},
        ],
    }
    again = ledger.post(
        "/transactions",
        json=move,  # as bet_api, the one caller allowed to stake into escrow
        headers=auth_headers(TEST_TOKENS["bet_api"], idempotency_key=f"bet:stake:{stake['id']}"),
    )
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true", again.text
    assert again.json()["id"] == stake["transaction_id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bets", type=int, default=10_000, help="bets on the event (one member each)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    results: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "bets": args.bets,
        "target_s": TARGET_S,
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version()},
    }
    step("starting a durable throwaway PostgreSQL")
    with Postgres.throwaway(fast=False, max_connections=100, settings=PG_SETTINGS) as pg:
        migrations.ensure_built()
        db_url = create_database(pg.url, "buteco")
        migrations.run_migrations(db_url)
        engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://", 1))
        results["machine"]["postgresql"] = engine.connect().execute(text("SHOW server_version")).scalar()
        env = {"LOG_LEVEL": "WARNING"}
        with (
            python_service("balance_api.main", database_url=db_url, env=env) as balance,
            python_service("bet_api.main", database_url=db_url, env={**env, "BALANCE_API_URL": balance.url}) as bet,
            api(balance.url) as ledger,
            api(bet.url) as bets,
        ):
            step(f"registering and funding {args.bets:,} members")
            seed_members(engine, args.bets)
            fund_members(balance.url, args.bets)
            event = bets.post(
                f"/guilds/{GUILD}/events",
                headers={"Idempotency-Key": "bench-event"},
                json={"actor_id": str(ADMIN), "actor_is_admin": True, "title": "Bench final", "outcomes": ["A", "B"]},
            )
            event.raise_for_status()
            event_id = event.json()["id"]
            plans = stake_requests(event_id, [o["id"] for o in event.json()["outcomes"]], args.bets)
            step(f"seeding {args.bets:,} bets (set-based SQL)")
            results["seed_seconds"] = seed_bets(engine, event_id, plans)
            prove_seed_is_what_the_api_stores(bets, ledger, event_id, plans[0])
            pool = sum(p["amount"] for p in plans)
            live = bets.get(f"/guilds/{GUILD}/events/{event_id}").json()
            assert live["total_pool"] == pool and live["bettors"] == args.bets, live
            escrow = ledger.get(f"/guilds/{GUILD}/system/escrow:bet:{event_id}/balance").json()["balance"]
            assert escrow == pool and ledger.get(f"/guilds/{GUILD}/audit").json()["balanced"]

            step("timing POST .../settle")
            started = time.perf_counter()
            settled = bets.post(
                f"/guilds/{GUILD}/events/{event_id}/settle",
                json={"actor_id": str(ADMIN), "actor_is_admin": True, "position": 1},
            )
            seconds = time.perf_counter() - started
            settled.raise_for_status()
            body = settled.json()
            with engine.connect() as db:
                settles = db.execute(
                    text(
                        "SELECT t.idempotency_key, count(p.id) FROM ledger_transactions t JOIN postings p"
                        " ON p.transaction_id = t.id WHERE t.guild_id = :g AND t.kind = 'bet_settle' GROUP BY t.id"
                    ),
                    {"g": GUILD},
                ).all()
            audit = ledger.get(f"/guilds/{GUILD}/audit").json()
            results["settle"] = {
                "seconds": round(seconds, 3),
                "pool": pool,
                "paid_out": body["paid_out"],
                "recipients": body["recipients"],
                "escrow_balance_after": body["escrow_balance"],
                "ledger_transactions": [list(row) for row in settles],
                "audit_balanced": audit["balanced"],
            }
            assert body["paid_out"] == pool and body["escrow_balance"] == 0 and audit["balanced"]
            assert len(settles) == 1 and settles[0][1] == body["recipients"] + 1
        engine.dispose()
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    settle = results["settle"]
    verdict = "PASS" if settle["seconds"] <= TARGET_S else "FAIL"
    print(
        f"\n==== Bet settlement benchmark (issue 4) ====\n"
        f"{args.bets:,} bets, pool {pool:,}: POST settle took {settle['seconds']} s (target <= {TARGET_S} s: "
        f"{verdict}); one ledger transaction of {settle['ledger_transactions'][0][1]:,} postings paid "
        f"{settle['recipients']:,} winners {settle['paid_out']:,} coins; escrow after: "
        f"{settle['escrow_balance_after']}; audit balanced: {settle['audit_balanced']}; "
        f"(seeding took {results['seed_seconds']} s)"
    )


if __name__ == "__main__":
    main()
