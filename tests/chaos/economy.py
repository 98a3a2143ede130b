"""The chaos traffic: members of a few guilds moving money every way the bot can, many requests sent twice at once
with the same key, each keyed request kept so it can be replayed at the end with the same key and body."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from buteco_dev.credentials import auth_headers
from buteco_dev.seed import fund_members, new_snowflake
from tests.chaos.record import Recorder, Sent

FUNDS = 2_000  # each member's coins at the start
DUPLICATE_SHARE = 0.3  # of keyed requests sent twice at the same time with the same key
WEIGHTS = {"transfer": 6, "posting": 3, "daily": 4, "bet": 5, "hold": 3, "resolve": 0.6, "read": 2, "forget": 0.08}
IDENTS: dict[str, Callable[[dict], object]] = {
    "transfer": lambda body: body["id"],
    "posting": lambda body: body["id"],
    "daily": lambda body: f"{body['claim_number']}{' voided' if body.get('voided') else ''}",
    "bet": lambda body: body["stake"]["id"],
    "hold": lambda body: body["id"],
    "capture": lambda body: body["id"],
    "release": lambda body: body["id"],
    "event": lambda body: body["id"],
    "settle": lambda body: body["transaction_id"],
}


@dataclass(frozen=True)
class Intent:
    """A keyed request as first sent: replaying it means the same method, path, body and key."""

    op: str
    service: str
    method: str
    path: str
    key: str
    body: dict | None
    members: tuple[int, ...]


@dataclass
class Guild:
    """A guild of the run: its admin opens and closes the bet events, its members move the money."""

    id: int
    admin: int
    members: list[int]
    events: list[int] = field(default_factory=list)


class Economy:
    """Sends the traffic through the real services; every answer goes to the recorder."""

    def __init__(self, urls: dict[str, str], recorder: Recorder, seed: int = 11) -> None:
        self.urls, self.recorder, self.rng = urls, recorder, random.Random(seed)
        # Idle connections go before uvicorn's 5 s keep-alive closes them, so "no answer" means a fault, not a race.
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2.0)
        self.clients = {
            name: httpx.AsyncClient(base_url=url, headers=auth_headers(), timeout=15, trust_env=False, limits=limits)
            for name, url in urls.items()
        }
        self.guilds: list[Guild] = []
        self.forgotten: set[int] = set()
        self.intents: dict[str, Intent] = {}

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    def live(self, guild: Guild) -> list[int]:
        return [member for member in guild.members if member not in self.forgotten]

    def pick(self, guild: Guild) -> int:
        return self.rng.choice(self.live(guild) or guild.members)

    async def setup(self, guilds: int, members: int, events: int) -> None:
        """Members registered through client_api and funded from each guild's mint; a few open bet events."""
        for _ in range(guilds):
            guild = Guild(new_snowflake(), new_snowflake(), [new_snowflake() for _ in range(members)])
            for member in (guild.admin, *guild.members):
                answer = await self.recorder.send(
                    self.clients["users"], "register", "POST", "/users", json={"discord_id": str(member)}
                )
                assert answer.ok, answer
            funded = await asyncio.to_thread(
                fund_members, self.urls["ledger"], guild.id, dict.fromkeys(guild.members, FUNDS), key=f"fund-{guild.id}"
            )
            assert funded.status_code == 201, funded.text
            self.guilds.append(guild)
            for _ in range(events):
                await self.open_event(guild)

    async def load(self, seconds: float, max_ops: int, concurrency: int, stop: asyncio.Event | None = None) -> int:
        """Random operations from concurrency workers until seconds pass, stop is set or max_ops are started."""
        deadline, budget, done = time.monotonic() + seconds, itertools.count(1), 0
        ops, weights = list(WEIGHTS), list(WEIGHTS.values())

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline and not (stop and stop.is_set()) and next(budget) <= max_ops:
                await getattr(self, self.rng.choices(ops, weights)[0])(self.rng.choice(self.guilds))
                done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done

    async def send(self, intent: Intent, *, copies: int = 1) -> list[Sent]:
        """A keyed request, copies times at once with the same key; kept for the replays."""
        self.intents.setdefault(intent.key, intent)
        client, ident = self.clients[intent.service], IDENTS.get(intent.op)
        sends = (
            self.recorder.send(
                client, intent.op, intent.method, intent.path, key=intent.key, json=intent.body, ident=ident
            )
            for _ in range(copies)
        )
        return list(await asyncio.gather(*sends))

    async def money(self, op: str, service: str, path: str, body: dict | None, members: tuple[int, ...]) -> list[Sent]:
        copies = 2 if self.rng.random() < DUPLICATE_SHARE else 1
        intent = Intent(op, service, "POST", path, f"{op}-{uuid.uuid4().hex[:16]}", body, members)
        return await self.send(intent, copies=copies)

    async def transfer(self, guild: Guild) -> None:
        live = self.live(guild)
        if len(live) < 2:
            return
        sender, receiver = self.rng.sample(live, 2)
        body = {"from_user_id": str(sender), "to_user_id": str(receiver), "amount": self.rng.randint(1, 40)}
        await self.money("transfer", "ledger", f"/guilds/{guild.id}/transfers", body, (sender, receiver))

    async def posting(self, guild: Guild) -> None:
        """A generic posting the bot may make: a member pays for an AI answer (member → sink)."""
        member, amount = self.pick(guild), self.rng.randint(1, 10)
        postings = [{"user_id": str(member), "amount": -amount}, {"system": "sink", "amount": amount}]
        body = {"guild_id": str(guild.id), "kind": "ai_usage", "reason": "chaos", "postings": postings}
        await self.money("posting", "ledger", "/transactions", body, (member,))

    async def daily(self, guild: Guild, member: int | None = None) -> None:
        member = member or self.pick(guild)
        await self.money("daily", "coin", f"/guilds/{guild.id}/members/{member}/daily", None, (member,))

    async def bet(self, guild: Guild, member: int | None = None) -> None:
        if not guild.events:
            return
        member, event = member or self.pick(guild), self.rng.choice(guild.events)
        body = {"user_id": str(member), "amount": self.rng.randint(1, 30), "position": 1 + member % 2}
        await self.money("bet", "bets", f"/guilds/{guild.id}/events/{event}/bets", body, (member,))

    async def hold(self, guild: Guild) -> None:
        """A paid command's two phases: hold, then capture, release, or nothing (the sweeper releases it)."""
        member = self.pick(guild)
        body = {
            "user_id": str(member),
            "system": "sink",
            "amount": self.rng.randint(1, 10),
            "kind": "ai_usage",
            "expires_in_s": self.rng.randint(1, 3),
        }
        held = [s for s in await self.money("hold", "ledger", f"/guilds/{guild.id}/holds", body, (member,)) if s.ok]
        ending = self.rng.choice(("capture", "release", None))
        if held and ending:
            await asyncio.sleep(self.rng.uniform(0, 1.5))
            path = f"/guilds/{guild.id}/holds/{held[0].ident}/{ending}"
            await self.send(Intent(ending, "ledger", "POST", path, f"{held[0].key}-{ending}", None, (member,)))

    async def resolve(self, guild: Guild) -> None:
        """An admin settles or cancels an event (sometimes twice at once), and a new one opens."""
        if len(guild.events) < 2:
            return await self.open_event(guild)
        event = guild.events.pop(self.rng.randrange(len(guild.events)))
        action = self.rng.choice(("settle", "settle", "cancel"))
        body = {"actor_id": str(guild.admin), "actor_is_admin": True}
        if action == "settle":
            body["position"] = self.rng.randint(1, 2)
        path = f"/guilds/{guild.id}/events/{event}/{action}"
        copies = 2 if self.rng.random() < DUPLICATE_SHARE else 1
        client = self.clients["bets"]
        await asyncio.gather(
            *(
                self.recorder.send(client, action, "POST", path, json=body, ident=IDENTS["settle"])
                for _ in range(copies)
            )
        )
        await self.open_event(guild)

    async def open_event(self, guild: Guild) -> None:
        body = {"actor_id": str(guild.admin), "actor_is_admin": True, "title": "Chaos?", "outcomes": ["Yes", "No"]}
        intent = Intent("event", "bets", "POST", f"/guilds/{guild.id}/events", f"event-{new_snowflake()}", body, ())
        (answer,) = await self.send(intent)
        if answer.ok:
            guild.events.append(int(answer.ident))

    async def read(self, guild: Guild) -> None:
        member = self.rng.choice(guild.members)
        await self.recorder.send(self.clients["ledger"], "read", "GET", f"/guilds/{guild.id}/members/{member}/balance")

    async def forget(self, guild: Guild, member: int | None = None) -> None:
        """Forget-me: from now on the traffic leaves this member alone; their old keys are replayed at the end."""
        live = self.live(guild)
        if member is None and len(live) <= len(guild.members) // 2:
            return
        member = member or self.rng.choice(live)
        self.forgotten.add(member)
        await self.recorder.send(self.clients["users"], "forget", "DELETE", f"/users/by-discord/{member}")

    async def strand(self, per_guild: int) -> list[int]:
        """While balance_api is down: members claim and bet (their money work is left pending), then forget me."""
        stranded = []
        for guild in self.guilds:
            for member in self.rng.sample(self.live(guild), per_guild):
                await asyncio.gather(self.daily(guild, member), self.bet(guild, member))
                await self.forget(guild, member)
                stranded.append(member)
        return stranded

    async def replay(self, limit: int, concurrency: int) -> None:
        """Send keyed requests again as first sent: forgotten members' first, then a sample of the rest."""
        forgotten = [i for i in self.intents.values() if set(i.members) & self.forgotten]
        others = [i for i in self.intents.values() if not set(i.members) & self.forgotten]
        chosen = (forgotten + self.rng.sample(others, min(len(others), limit)))[:limit]
        gate = asyncio.Semaphore(concurrency)

        async def one(intent: Intent) -> None:
            async with gate:
                await self.send(intent)

        await asyncio.gather(*(one(intent) for intent in chosen))
