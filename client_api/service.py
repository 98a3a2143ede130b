"""Member registration and lookup rules: every function is one transaction and leaves it committed."""

import logging
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Boolean, case, column, func, select, text, update
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


# One statement, so an autocommit session sends it alone: a member already known under this name is only read (no
# row version, no WAL, no commit to wait for); a new name is an UPDATE, a new member an INSERT. No row comes back
# only when a twin's insert or a forget-me committed meanwhile (this statement's snapshot missed it): run it again.
_REGISTER_SQL = text(
    """
    WITH found AS (SELECT * FROM users WHERE discord_id = :discord_id),
    renamed AS (
        UPDATE users SET display_name = :display_name, updated_at = now()
        WHERE discord_id = :discord_id
          AND CAST(:display_name AS varchar) IS NOT NULL AND display_name IS DISTINCT FROM :display_name
        RETURNING *
    ),
    created AS (
        INSERT INTO users (discord_id, display_name)
        SELECT :discord_id, :display_name WHERE NOT EXISTS (SELECT FROM found)
        ON CONFLICT (discord_id) DO NOTHING
        RETURNING *
    )
    SELECT *, true AS created FROM created
    UNION ALL SELECT *, false FROM renamed
    UNION ALL SELECT *, false FROM found
    WHERE CAST(:display_name AS varchar) IS NULL OR found.display_name IS NOT DISTINCT FROM :display_name
    """
).columns(*User.__table__.columns, column("created", Boolean))
_REGISTERED = (
    select(User, _REGISTER_SQL.selected_columns.created)
    .from_statement(_REGISTER_SQL)
    .execution_options(populate_existing=True)
)


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
    params = {"discord_id": discord_id, "display_name": display_name}
    for _ in range(_REGISTER_ATTEMPTS):
        found = session.execute(_REGISTERED, params).one_or_none()
        if found is not None:
            user, created = found
            session.commit()
            if created:
                logger.info("registered user id=%s", user.id)
            return user, created
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
