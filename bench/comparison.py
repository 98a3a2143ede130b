"""The comparison row (issue 13): ours against a replica of the original balance_api (bench/baseline), on the same
machine and PostgreSQL with the same 32-client load generator in alternating rounds; then the two races the
original loses (100 concurrent daily claims, 50 concurrent whole-balance transfers) and its balance reads."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from statistics import median

import httpx
from baseline.app import Base
from sqlalchemy import create_engine, text

from buteco_dev.credentials import TEST_TOKENS, auth_headers
from buteco_dev.postgres import create_database
from buteco_dev.processes import ServiceProcess, free_port, python_service, uvicorn_command

TOKEN = TEST_TOKENS["bot"]
WORKERS = 2  # both sides at the deployed worker count
RACE_GUILD = 900_000_000_000_000_003
RACE_BASE = 710_000_000_000_000_000  # the racing members' Discord ids
BIG, SMALL = "800000000000000001", "800000000000000002"  # the original keeps ids as text


def baseline_database(admin_url: str) -> str:
    """Its own database on the same server, with its two tables as its models declare them (no member index)."""
    url = create_database(admin_url, "chorume").replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


def baseline(url: str, log_dir: Path) -> ServiceProcess:
    """The replica under uvicorn --workers 2, its log at INFO (uvicorn's access line, as deployed), pool defaults."""
    port = free_port()
    return ServiceProcess(
        "baseline",
        uvicorn_command("bench.baseline.app", port, log_level="info", workers=WORKERS),
        port=port,
        env={**os.environ, "DATABASE_URL": url},
        log_path=log_dir / f"baseline-{port}.log",
    )


def seed_baseline(url: str, user_base: int, users: int, funds: int, big_rows: int, small_rows: int) -> None:
    """The transfer members' funds (one row each), and the 1M-row and 10-row members, by set-based SQL."""
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO balance_operations (client_id, amount, description, created_at) "
                "SELECT (:base + i)::text, :funds, 'bench funds', now() FROM generate_series(0, :n - 1) AS i"
            ),
            {"base": user_base, "funds": funds, "n": users},
        )
        db.execute(
            text(
                "INSERT INTO balance_operations (client_id, amount, description, created_at) "
                "SELECT w.id, 1, 'bench history', now() FROM (VALUES (:big, :nbig), (:small, :nsmall)) AS w(id, n), "
                "generate_series(1, w.n)"
            ),
            {"big": BIG, "nbig": big_rows, "small": SMALL, "nsmall": small_rows},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.execute(text("VACUUM ANALYZE balance_operations"))
    engine.dispose()


def ours(db_url: str, log_dir: Path) -> tuple[ServiceProcess, ServiceProcess]:
    """balance_api and coin_api at the deployed defaults: 2 workers, the kit's own pool settings, INFO logging."""
    env = {"LOG_LEVEL": "INFO"}
    ledger = python_service("balance_api.main", database_url=db_url, env=env, log_dir=log_dir, workers=WORKERS)
    ledger.start()
    coin = python_service(
        "coin_api.main", database_url=db_url, env={**env, "BALANCE_API_URL": ledger.url}, log_dir=log_dir
    )
    try:
        coin.start()
    except Exception:
        ledger.stop()
        raise
    return ledger, coin


async def _burst(requests: list[tuple[str, str, dict, dict]]) -> list[int]:
    """Send every request at once (one connection each) and return the statuses."""
    limits = httpx.Limits(max_connections=len(requests))
    async with httpx.AsyncClient(limits=limits, timeout=60, trust_env=False) as http:
        answers = await asyncio.gather(*(http.request(m, u, json=b, headers=h) for m, u, b, h in requests))
    return [a.status_code for a in answers]


def races(ledger_url: str, coin_url: str, base_url: str, base_db_url: str, register) -> dict:
    """100 concurrent daily claims by one member; 50 concurrent transfers of a member's whole balance."""
    claimer, payer, receivers = RACE_BASE, RACE_BASE + 1, [RACE_BASE + 10 + i for i in range(50)]
    register([claimer, payer, *receivers])
    funded = httpx.post(
        f"{ledger_url}/transactions",
        json={
            "guild_id": str(RACE_GUILD),
            "kind": "daily",
            "reason": "race funds",
            "postings": [{"system": "mint", "amount": -1000}, {"user_id": str(payer), "amount": 1000}],
        },
        headers=auth_headers(TEST_TOKENS["coin_api"], idempotency_key="race-funds"),
        trust_env=False,
        timeout=30,
    )
    funded.raise_for_status()
    engine = create_engine(base_db_url)
    with engine.begin() as db:  # the replica's payer: the same 1,000 coins, as one row
        db.execute(text("INSERT INTO balance_operations (client_id, amount) VALUES (:id, 1000)"), {"id": str(payer)})
    engine.dispose()
    bot = auth_headers(TOKEN)
    daily_ours = asyncio.run(
        _burst(
            [
                (
                    "POST",
                    f"{coin_url}/guilds/{RACE_GUILD}/members/{claimer}/daily",
                    None,
                    {**bot, "Idempotency-Key": f"race-daily-{i}"},
                )
                for i in range(100)
            ]
        )
    )
    daily_theirs = asyncio.run(
        _burst([("POST", f"{base_url}/daily-coins", {"clientId": str(claimer)}, {}) for _ in range(100)])
    )
    moves_ours = asyncio.run(
        _burst(
            [
                (
                    "POST",
                    f"{ledger_url}/guilds/{RACE_GUILD}/transfers",
                    {"from_user_id": str(payer), "to_user_id": str(to), "amount": 1000},
                    {**bot, "Idempotency-Key": f"race-move-{to}"},
                )
                for to in receivers
            ]
        )
    )
    moves_theirs = asyncio.run(
        _burst(
            [
                (
                    "POST",
                    f"{base_url}/balance/transaction",
                    {"senderId": str(payer), "receiverId": str(to), "amount": 1000},
                    {},
                )
                for to in receivers
            ]
        )
    )
    balance = httpx.get(f"{ledger_url}/guilds/{RACE_GUILD}/members/{payer}/balance", headers=bot, trust_env=False)
    theirs = httpx.get(f"{base_url}/balance/{payer}", trust_env=False)
    return {
        "daily_100": {"ours_paid": daily_ours.count(201), "theirs_paid": daily_theirs.count(200)},
        "whole_balance_50": {
            "ours_moved": moves_ours.count(201),
            "theirs_moved": moves_theirs.count(200),
            "ours_balance_after": balance.json()["balance"],
            "theirs_balance_after": theirs.json()["balance"],
        },
    }


def summarize_rounds(side: str, rounds: list[dict]) -> dict:
    """Mean money moves/s and the median p99 over the rounds, CPU ms per move, and each round's figures."""
    moves = sum(r["per_second"] for r in rounds)  # per-second rates over equal windows: sums compare as totals
    cpu = {g: sum(r["cpu_pct_of_one_core"].get(g, 0) for r in rounds) * 10 / moves for g in (side, "postgres")}
    return {
        "cpu_ms_per_move": {"service" if g == side else g: round(v, 2) for g, v in cpu.items()},
        "per_second": round(sum(r["per_second"] for r in rounds) / len(rounds), 1),
        "p99_ms": round(median(r["p99_ms"] for r in rounds), 1),
        "p50_ms": round(median(r["p50_ms"] for r in rounds), 1),
        "unexpected": sum(r["unexpected"] for r in rounds),
        "rounds": [
            {k: r[k] for k in ("per_second", "p50_ms", "p99_ms", "unexpected", "cpu_pct_of_one_core")} for r in rounds
        ],
    }
