"""What the bot did, as recorded by the emulator: messages, callbacks and interactions."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from .mentions import Pings

if TYPE_CHECKING:
    from .state import EmulatorState

EPHEMERAL = 1 << 6
LOADING = 1 << 7
COMPONENTS_V2 = 1 << 15
MESSAGE_RESPONSE_TYPES = frozenset({4, 5, 6, 7})
T = TypeVar("T")


@dataclass
class Attachment:
    """A file the bot uploaded, kept so its URL can be served back."""

    id: int
    filename: str
    content_type: str | None
    data: bytes
    url: str
    description: str | None = None

    @property
    def size(self) -> int:
        """Byte size, as Discord reports it."""
        return len(self.data)


@dataclass
class Message:
    """A message as it currently stands; ``revisions`` keeps every earlier body for assertions."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    type: int
    timestamp: datetime
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    tts: bool = False
    edited_timestamp: datetime | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    visible_to: int | None = None
    deleted: bool = False
    revisions: list[dict[str, Any]] = field(default_factory=list)
    allowed_mentions: dict[str, Any] | None = None  # as the latest create or edit sent it; None: absent, all ping
    pings: Pings = field(default_factory=Pings)  # everyone it notified over its life; false when nobody

    @property
    def ephemeral(self) -> bool:
        """True when Discord would show it only to the invoking user (flag 64)."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while it is a deferred "is thinking..." placeholder (flag 128)."""
        return bool(self.flags & LOADING)


@dataclass
class Callback:
    """One POST to ``/interactions/{id}/{token}/callback``, accepted or rejected."""

    type: int
    data: dict[str, Any] | None
    received_at: float
    status: int = 200
    error: dict[str, Any] | None = None

    @property
    def accepted(self) -> bool:
        """Whether Discord would have taken this callback."""
        return self.status < 300

    @property
    def ephemeral(self) -> bool:
        """Whether the callback asked for an ephemeral message (flags 64)."""
        return bool((self.data or {}).get("flags", 0) & EPHEMERAL)


@dataclass
class Violation:
    """Something the bot sent that real Discord would reject or that breaks a rule (e.g. the 3 s limit)."""

    kind: str
    detail: str
    interaction_id: int | None = None


@dataclass
class InteractionRecord:
    """One INTERACTION_CREATE sent to the bot and everything the bot answered to it."""

    id: int
    token: str
    type: int
    user_id: int
    guild_id: int | None
    channel_id: int
    payload: dict[str, Any]
    state: EmulatorState = field(repr=False)
    dispatched_at: float = field(default_factory=time.perf_counter)
    ack_timeout: float = 3.0
    callbacks: list[Callback] = field(default_factory=list)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)

    @property
    def response(self) -> Callback | None:
        """The first accepted callback (the acknowledgement), if any."""
        return next((c for c in self.callbacks if c.accepted), None)

    @property
    def rejected(self) -> list[Callback]:
        """Callbacks the emulator refused (double acknowledgement, too late, invalid body)."""
        return [c for c in self.callbacks if not c.accepted]

    @property
    def latency(self) -> float | None:
        """Seconds from dispatch to the first accepted callback."""
        response = self.response
        return None if response is None else response.received_at - self.dispatched_at

    @property
    def expired(self) -> bool:
        """True once the acknowledgement window has passed without an acknowledgement."""
        waited = time.perf_counter() - self.dispatched_at
        return self.response is None and waited > self.ack_timeout

    @property
    def original(self) -> Message | None:
        """The message ``@original`` points at (the response, or the clicked message after type 6/7)."""
        if self.original_message_id is None:
            return None
        return self.state.messages.get(self.original_message_id)

    @property
    def followups(self) -> list[Message]:
        """Followup messages in the order the bot sent them."""
        return [self.state.messages[i] for i in self.followup_ids]

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """Autocomplete choices from a type 8 response."""
        response = self.response
        if response is None or response.type != 8:
            return None
        return list((response.data or {}).get("choices", []))

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal from a type 9 response."""
        response = self.response
        return response.data if response is not None and response.type == 9 else None

    async def wait_until(self, predicate: Callable[[InteractionRecord], T | None], timeout: float) -> T:
        """Wait until ``predicate(self)`` is truthy and return its value; TimeoutError otherwise."""
        return await self.state.wait_for(lambda: predicate(self), timeout)

    async def wait_for_response(self, timeout: float | None = None) -> Callback:
        """Wait for the acknowledgement; by default a little past the acknowledgement window."""
        limit = self.ack_timeout + 0.5 if timeout is None else timeout
        return await self.wait_until(lambda r: r.response, limit)

    async def wait_for_followups(self, count: int = 1, timeout: float = 5.0) -> list[Message]:
        """Wait until at least ``count`` followups exist and return them all."""
        return await self.wait_until(lambda r: r.followups if len(r.followup_ids) >= count else None, timeout)

    async def wait_for_original(self, timeout: float = 5.0) -> Message:
        """Wait until the original response is a finished (not loading) message."""
        return await self.wait_until(lambda r: r.original if r.original and not r.original.loading else None, timeout)
