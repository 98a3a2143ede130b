"""service.py against the migrated PostgreSQL directly: the rules, and the races HTTP tests cannot stage exactly."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from client_api import service
from client_api.models import User
from service_kit.identity import UserNotFound


def test_register_creates_once_then_finds(session):
    user, created = service.register(session, discord_id=42, display_name="Ana")
    again, created_again = service.register(session, discord_id=42)
    assert (created, created_again) == (True, False)
    assert again.id == user.id and again.display_name == "Ana"
    assert user.created_at == user.updated_at and user.forgotten_at is None


def test_register_with_a_new_name_renames_and_with_the_same_name_touches_nothing(session):
    user, _ = service.register(session, discord_id=7, display_name="Old")
    first_update = user.updated_at
    same, _ = service.register(session, discord_id=7, display_name="Old")
    assert same.updated_at == first_update
    renamed, created = service.register(session, discord_id=7, display_name="New")
    assert not created and renamed.display_name == "New" and renamed.updated_at > first_update


def test_lookups_and_their_404s(session):
    user, _ = service.register(session, discord_id=9, display_name="Bo")
    assert service.get_by_id(session, user_id=user.id).discord_id == 9
    assert service.get_by_discord_id(session, discord_id=9).id == user.id
    with pytest.raises(UserNotFound) as by_id:
        service.get_by_id(session, user_id=user.id + 1000)
    with pytest.raises(UserNotFound) as by_discord:
        service.get_by_discord_id(session, discord_id=10)
    assert by_id.value.code == by_discord.value.code == "user_not_found"
    assert by_id.value.status_code == 404 and by_discord.value.extra == {"user_id": "10"}


def test_rename_of_an_unknown_member_is_refused(session):
    with pytest.raises(UserNotFound):
        service.rename(session, discord_id=404, display_name="Nobody")


def test_forget_clears_identity_keeps_the_row_and_frees_the_discord_id(session):
    user, _ = service.register(session, discord_id=11, display_name="Cy")
    forgotten = service.forget(session, discord_id=11)
    assert forgotten.id == user.id and forgotten.discord_id is None and forgotten.display_name is None
    assert forgotten.forgotten_at is not None and forgotten.updated_at == forgotten.forgotten_at
    with pytest.raises(UserNotFound):
        service.get_by_id(session, user_id=user.id)
    with pytest.raises(UserNotFound):
        service.forget(session, discord_id=11)
    reborn, created = service.register(session, discord_id=11, display_name="Cy")
    assert created and reborn.id != user.id
    assert session.execute(text("SELECT count(*) FROM users")).scalar_one() == 2


def test_the_schema_refuses_a_half_forgotten_member(session):
    """The CHECK ties forgotten_at to discord_id; forget must set both, and the database holds it to that."""
    service.register(session, discord_id=12)
    with pytest.raises(IntegrityError):
        session.execute(text("UPDATE users SET forgotten_at = now() WHERE discord_id = 12"))
    session.rollback()


def test_list_page_skips_the_forgotten_and_ends_without_an_empty_page(session):
    ids = [service.register(session, discord_id=100 + n)[0].id for n in range(5)]
    service.forget(session, discord_id=101)
    first = service.list_page(session, limit=2)
    second = service.list_page(session, limit=2, after_id=first.next_after_id)
    assert [u.id for u in first.items] == [ids[0], ids[2]] and first.next_after_id == ids[2]
    assert [u.id for u in second.items] == [ids[3], ids[4]] and second.next_after_id is None
    assert service.list_page(session, limit=2, after_id=ids[4]) == service.Page(items=[], next_after_id=None)


def _hold_uncommitted_insert(session_factory, discord_id: int):
    """A transaction that has inserted discord_id and not yet decided; returns it so the test decides."""
    holder = session_factory()
    holder.add(User(discord_id=discord_id, display_name="holder"))
    holder.flush()
    return holder


def _register_in_background(session_factory, discord_id: int):
    def run():
        with session_factory() as other:
            user, created = service.register(other, discord_id=discord_id, display_name="waiter")
            return user.id, created, user.display_name

    pool = ThreadPoolExecutor(1)
    future = pool.submit(run)
    time.sleep(0.3)
    assert not future.done(), "register must wait for the undecided insert of the same id"
    return pool, future


def test_register_waiting_on_a_concurrent_insert_that_commits_finds_that_user(session_factory):
    holder = _hold_uncommitted_insert(session_factory, 500)
    pool, future = _register_in_background(session_factory, 500)
    holder.commit()
    user_id, created, name = future.result(timeout=10)
    pool.shutdown()
    assert (user_id, created, name) == (holder.get(User, user_id).id, False, "waiter")
    holder.close()


def test_register_waiting_on_a_concurrent_insert_that_rolls_back_creates_the_user(session_factory):
    holder = _hold_uncommitted_insert(session_factory, 501)
    pool, future = _register_in_background(session_factory, 501)
    holder.rollback()
    holder.close()
    _, created, name = future.result(timeout=10)
    pool.shutdown()
    assert created and name == "waiter"


def test_register_racing_a_forget_me_creates_a_new_user(session_factory, session):
    old, _ = service.register(session, discord_id=502, display_name="before")
    forgetter = session_factory()
    forgetter.execute(
        text(
            "UPDATE users SET discord_id = NULL, display_name = NULL, forgotten_at = now(),"
            " updated_at = now() WHERE discord_id = 502"
        )
    )
    pool, future = _register_in_background(session_factory, 502)
    forgetter.commit()
    forgetter.close()
    user_id, created, _ = future.result(timeout=10)
    pool.shutdown()
    assert created and user_id != old.id


def test_many_threads_registering_one_id_agree_on_one_user(session_factory):
    barrier = threading.Barrier(16)

    def run(index: int):
        with session_factory() as own:
            barrier.wait(timeout=10)
            user, created = service.register(own, discord_id=777, display_name=f"t{index}")
            return user.id, created

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(run, range(16)))
    assert len({user_id for user_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
