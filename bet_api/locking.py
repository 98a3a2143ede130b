"""The lock that keeps one request at a time on an event's settlement or cancellation."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from bet_api.errors import Busy
from service_kit.locks import advisory_lock


def event_lock_name(event_id: int) -> str:
    return f"bet_api:event:{event_id}"


@contextmanager
def event_lock(session: Session, event_id: int, *, wait_s: float) -> Iterator[bool]:
    """Serializes settling and cancelling one event (wait_s=0: only try); yields whether it is held."""

    def busy() -> Busy:
        return Busy(
            f"bet event #{event_id} is being settled or cancelled by another request; retry in a moment",
            event_id=event_id,
        )

    with advisory_lock(session, event_lock_name(event_id), wait_s=wait_s, busy=busy) as held:
        yield held
