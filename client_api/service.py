"""Member registration and lookup rules: every function is one transaction and leaves it committed."""

import logging
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from client_api.errors import RegistrationContended
from client_api.models import User
from service_kit.identity import UserNotFound

logger = logging.getLogger("client_api.service")

# Each attempt fails only if a forget-me of the same id commits between our INSERT and our read; three in a row
# means something is hammering that id, and the caller is better told to retry than kept waiting.
_REGISTER_ATTEMPTS = 3


class Page(NamedTuple):
    """One keyset page: the users and the after_id that fetches the next page (None on the last one)."""

    items: Sequence[User]
    next_after_id: int | None


def _set_name(discord_id: int, display_name: str):
    """An UPDATE that stores the name and moves updated_at only when the name really changes."""
    changed = User.display_name.is_distinct_from(display_name)
    return (
        update(User)
        .where(User.discord_id == discord_id)
        .values(display_name=display_name, updated_at=case((changed, func.now()), else_=User.updated_at))
        .returning(User)
        .execution_options(populate_existing=True)
    )


def register(session: Session, *, discord_id: int, display_name: str | None = None) -> tuple[User, bool]:
    """Get-or-create by Discord id, race-safe; returns (user, created).

    An existing member given a display_name takes it: the bot registers with the member's current Discord name,
    so the stored name follows renames on Discord. Without a display_name the stored one is kept.
    """
    create = (
        insert(User)
        .values(discord_id=discord_id, display_name=display_name)
        .on_conflict_do_nothing(index_elements=[User.discord_id])
        .returning(User)
        .execution_options(populate_existing=True)
    )
    for _ in range(_REGISTER_ATTEMPTS):
        created = session.scalars(create).one_or_none()
        if created is not None:
            session.commit()
            logger.info("registered user id=%s", created.id)
            return created, True
        if display_name is None:
            existing = session.scalars(select(User).where(User.discord_id == discord_id)).one_or_none()
        else:
            existing = session.scalars(_set_name(discord_id, display_name)).one_or_none()
        if existing is not None:
            session.commit()
            return existing, False
        session.rollback()
    raise RegistrationContended(f"user {discord_id} was being registered and forgotten at once; retry")


def get_by_id(session: Session, *, user_id: int) -> User:
    """An active member by internal id; a forgotten member is gone as far as callers are concerned."""
    user = session.scalars(select(User).where(User.id == user_id, User.forgotten_at.is_(None))).one_or_none()
    if user is None:
        raise UserNotFound.by_id(user_id)
    return user


def get_by_discord_id(session: Session, *, discord_id: int) -> User:
    """An active member by Discord id (forgotten rows have none, so they never match)."""
    user = session.scalars(select(User).where(User.discord_id == discord_id)).one_or_none()
    if user is None:
        raise UserNotFound.by_discord_id(discord_id)
    return user


def rename(session: Session, *, discord_id: int, display_name: str) -> User:
    """Store a member's new name; renaming to the same name changes nothing, not even updated_at."""
    user = session.scalars(_set_name(discord_id, display_name)).one_or_none()
    if user is None:
        session.rollback()
        raise UserNotFound.by_discord_id(discord_id)
    session.commit()
    return user


def list_page(session: Session, *, limit: int, after_id: int | None = None) -> Page:
    """Active members in id order after after_id; keyset, so deep pages cost what the first one does."""
    query = select(User).where(User.forgotten_at.is_(None), User.id > (after_id or 0)).order_by(User.id)
    rows = session.scalars(query.limit(limit + 1)).all()
    items = rows[:limit]
    return Page(items=items, next_after_id=items[-1].id if len(rows) > limit else None)


def forget(session: Session, *, discord_id: int) -> User:
    """Forget-me: drop the Discord id and name, keep the row so the ledger's accounts still point somewhere."""
    forgotten = session.scalars(
        update(User)
        .where(User.discord_id == discord_id)
        .values(discord_id=None, display_name=None, forgotten_at=func.now(), updated_at=func.now())
        .returning(User)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if forgotten is None:
        session.rollback()
        raise UserNotFound.by_discord_id(discord_id)
    session.commit()
    logger.info("forgot user id=%s", forgotten.id)
    return forgotten
