"""The gateway websocket: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME and dispatches."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .looplag import LoopWatch
from .payloads import guild_create_payload, member_payload, self_user_payload
from .state import EmulatorState

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = (
    0,
    1,
    2,
    6,
    7,
    8,
    9,
    10,
    11,
)
PRIVILEGED_INTENTS = {"members": 1 << 1, "presences": 1 << 8, "message_content": 1 << 15}
HISTORY_LIMIT = 1000
LATE_BEAT_S = 1.0


@dataclass
class Session:
    """One identified gateway session; it outlives its socket so RESUME can replay missed events."""

    id: str
    shard: tuple[int, int]
    intents: int
    compressed: bool = False
    seq: int = 0
    history: list[tuple[int, str]] = field(default_factory=list)
    queue: asyncio.Queue[str] | None = None

    def push(self, op: int, data: Any, event: str | None = None) -> int:
        """Queue a frame; dispatches get the next sequence number and are kept for replay."""
        frame: dict[str, Any] = {"op": op, "d": data, "s": None, "t": event}
        if op == DISPATCH:
            self.seq += 1
            frame["s"] = self.seq
        text = json.dumps(frame)
        if op == DISPATCH:
            self.history = [*self.history[-HISTORY_LIMIT:], (self.seq, text)]
        if self.queue is not None:
            self.queue.put_nowait(text)
        return self.seq

    def owns(self, guild_id: int | None) -> bool:
        """Discord's shard routing: ``(guild_id >> 22) % shard_count``; DMs go to shard 0."""
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id if guild_id else shard_id == 0


class Gateway:
    """All sessions, event fan-out to them, and the websocket handler."""

    def __init__(self, state: EmulatorState, loop_watch: LoopWatch) -> None:
        self.state = state
        self.loop_watch = loop_watch
        self.sessions: dict[str, Session] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        self.ready_shards: set[tuple[int, int]] = set()
        state.sinks.append(self.dispatch)

    def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None, intent: int) -> None:
        """Send an event to every live session that owns the guild and asked for the intent."""
        for session in self.sessions.values():
            if session.owns(guild_id) and (intent == 0 or session.intents & intent):
                session.push(DISPATCH, data, event)

    def session_for(self, guild_id: int | None) -> Session | None:
        """The connected session that would receive events of this guild."""
        return next((s for s in self.sessions.values() if s.queue is not None and s.owns(guild_id)), None)

    def is_ready(self) -> bool:
        """True when, for some shard count, every shard has been sent READY and its guilds."""
        counts = {count for _, count in self.ready_shards}
        return any(all((i, c) in self.ready_shards for i in range(c)) for c in counts)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one websocket connection until it closes."""
        ws = web.WebSocketResponse(timeout=2.0, autoping=True, max_msg_size=0)
        await ws.prepare(request)
        if request.query.get("v", "10") != "10" or request.query.get("encoding", "json") != "json":
            await ws.close(code=4012 if request.query.get("v", "10") != "10" else 4002, message=b"Unsupported")
            return ws
        compress = request.query.get("compress") == "zlib-stream" and self.state.settings.compress_gateway
        queue: asyncio.Queue[str] = asyncio.Queue()
        writer = asyncio.create_task(self._write(ws, queue, compress))
        self.sockets.add(ws)
        hello = {"heartbeat_interval": self.state.settings.heartbeat_interval_ms}
        queue.put_nowait(json.dumps({"op": HELLO, "d": hello, "s": None, "t": None}))
        session: Session | None = None
        last_beat: tuple[float, int] | None = None
        try:
            async for msg in ws:
                try:
                    frame = json.loads(msg.data) if msg.type == WSMsgType.TEXT else None
                except json.JSONDecodeError:
                    frame = None
                if not isinstance(frame, dict):
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                if frame.get("op") == HEARTBEAT:
                    last_beat = self._check_beat(last_beat)
                session = await self._receive(ws, frame, session, queue)
                if session is not None:
                    session.compressed = compress
        finally:
            if session is not None and session.queue is queue:
                session.queue = None
                self.ready_shards.discard(session.shard)
            writer.cancel()
            self.sockets.discard(ws)
        return ws

    def _check_beat(self, previous: tuple[float, int] | None) -> tuple[float, int]:
        """A heartbeat later than the interval allows means the bot's event loop was blocked (it sends them),
        unless our own loop paused or stalled meanwhile (then the bot's shared loop did too: the watch says so)."""
        now, hiccups = time.monotonic(), self.loop_watch.hiccups
        late = now - previous[0] - self.state.settings.heartbeat_interval_ms / 1000 if previous else 0.0
        if previous is not None and late > LATE_BEAT_S and hiccups == previous[1]:
            self.state.violate("heartbeat_late", f"heartbeat {late:.1f} s late: the bot's event loop was blocked")
        return now, hiccups

    async def _write(self, ws: web.WebSocketResponse, queue: asyncio.Queue[str], compress: bool) -> None:
        """Drain the queue to the socket, as one zlib stream when the client asked for ``zlib-stream``."""
        deflate = zlib.compressobj() if compress else None
        while not ws.closed:
            text = await queue.get()
            if deflate is None:
                await ws.send_str(text)
            else:
                await ws.send_bytes(deflate.compress(text.encode()) + deflate.flush(zlib.Z_SYNC_FLUSH))

    async def _receive(
        self, ws: web.WebSocketResponse, frame: dict[str, Any], session: Session | None, queue: asyncio.Queue[str]
    ) -> Session | None:
        """Handle one client frame; returns the session bound to this socket."""
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            # Acknowledged after a network-like delay: discord.py stamps a heartbeat as sent on its keep-alive thread
            # only after the loop wrote it, so an instant ACK can be read first and its latency measured from the
            # previous beat - a whole interval (the "41251 ms" / "Can't keep up ... 41.3s behind" of issue 14).
            ack = json.dumps({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
            asyncio.get_running_loop().call_later(self.state.settings.heartbeat_ack_delay_s, queue.put_nowait, ack)
        elif op in (IDENTIFY, RESUME) and session is not None:
            await ws.close(code=4005, message=b"Already authenticated")
        elif op == IDENTIFY:
            return await self._identify(ws, data or {}, queue)
        elif op == RESUME:
            return await self._resume(ws, data or {}, queue)
        elif session is None:
            await ws.close(code=4003, message=b"Not authenticated")
        elif op == REQUEST_MEMBERS:
            self._members_chunk(session, data or {})
        return session

    async def _identify(
        self, ws: web.WebSocketResponse, data: dict[str, Any], queue: asyncio.Queue[str]
    ) -> Session | None:
        """Check token, shard and privileged intents, then send READY and one GUILD_CREATE per guild."""
        state = self.state
        intents = int(data.get("intents", 0))
        shard = tuple(data.get("shard") or (0, 1))
        denied = [
            n
            for n, bit in PRIVILEGED_INTENTS.items()
            if intents & bit and n not in state.settings.enabled_privileged_intents
        ]
        if data.get("token") != state.token:
            await ws.close(code=4004, message=b"Authentication failed.")
        elif not (len(shard) == 2 and 0 <= shard[0] < shard[1]):
            await ws.close(code=4010, message=b"Invalid shard.")
        elif denied:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
        else:
            session = Session(
                id=secrets.token_hex(16), shard=(int(shard[0]), int(shard[1])), intents=intents, queue=queue
            )
            self.sessions[session.id] = session
            guilds = [g for g in state.guilds.values() if session.owns(g.id)]
            session.push(DISPATCH, self._ready(session, [g.id for g in guilds]), "READY")
            for guild in guilds:
                session.push(DISPATCH, guild_create_payload(guild, state), "GUILD_CREATE")
            self.ready_shards.add(session.shard)
            state.notify()
            return session
        return None

    def _ready(self, session: Session, guild_ids: list[int]) -> dict[str, Any]:
        """READY: user, unavailable guild stubs, session id and the resume URL."""
        state = self.state
        return {
            "v": 10,
            "user": self_user_payload(state.bot_user),
            "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": state.gateway_url,
            "shard": list(session.shard),
            "application": {"id": str(state.application.id), "flags": state.application.flags},
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["discord-emulator"],
        }

    async def _resume(
        self, ws: web.WebSocketResponse, data: dict[str, Any], queue: asyncio.Queue[str]
    ) -> Session | None:
        """Replay events after ``seq`` then RESUMED (taking over any older socket); unknown sessions are invalid."""
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.state.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        if session is None:
            queue.put_nowait(json.dumps({"op": INVALID_SESSION, "d": False, "s": None, "t": None}))
            return None
        last = int(data.get("seq") or 0)
        for seq, text in session.history:
            if seq > last:
                queue.put_nowait(text)
        session.queue = queue
        session.push(DISPATCH, {}, "RESUMED")
        self.ready_shards.add(session.shard)
        self.state.notify()
        return session

    def _members_chunk(self, session: Session, data: dict[str, Any]) -> None:
        """Answer REQUEST_GUILD_MEMBERS with a single GUILD_MEMBERS_CHUNK."""
        guild = self.state.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        members = [
            m
            for m in guild.members.values()
            if (not wanted or m.id in wanted) and m.user.username.lower().startswith(query)
        ]
        limit = int(data.get("limit") or 0)
        chunk = {
            "guild_id": str(guild.id),
            "members": [member_payload(m) for m in members[: limit or None]],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted - set(guild.members)],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        session.push(DISPATCH, chunk, "GUILD_MEMBERS_CHUNK")

    async def close_all(self) -> None:
        """Close every socket (used on emulator stop)."""
        for ws in list(self.sockets):
            await ws.close(code=1001, message=b"Emulator stopping")

    def reconnect(self) -> None:
        """Ask every connected client to reconnect and resume (op 7), to exercise RESUME."""
        for session in self.sessions.values():
            if session.queue is not None:
                session.queue.put_nowait(json.dumps({"op": RECONNECT, "d": None, "s": None, "t": None}))
