"""A tiny service with a database built on the kit, so the kit's promises are tested over real HTTP."""

import logging

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from buteco_dev.credentials import TEST_TOKENS
from service_kit.app import create_service_app
from service_kit.auth import CallerDep, Permissions
from service_kit.db import SessionDep
from service_kit.errors import ConflictError
from service_kit.settings import DatabaseSettings
from service_kit.types import SnowflakePath

router = APIRouter()
PERMISSIONS = Permissions(
    {
        "echo": {"bot", "coin_api"},
        "whoami": {"bot", "coin_api"},
        "conflict": {"bot"},
        "crash": {"bot"},
        "item": {"bot", "coin_api"},
        "db_sleep": {"bot"},
        "add_note": {"bot"},
    }
)
probe_logger = logging.getLogger("probe")


class Echo(BaseModel):
    amount: int


class Note(BaseModel):
    text: str
    sleep_after_s: float = 0


@router.post("/echo")
def echo(body: Echo) -> Echo:
    return body


@router.get("/whoami")
def whoami(caller: CallerDep) -> dict[str, str]:
    return {"caller": caller}


@router.get("/conflict")
def conflict() -> None:
    raise ConflictError("that already happened", code="already_done", hint="try tomorrow")


@router.get("/items/{item_id}")
def item(item_id: SnowflakePath) -> dict[str, int]:
    return {"item_id": item_id}


@router.get("/db/sleep")
def db_sleep(session: SessionDep, seconds: float = 0) -> dict[str, float]:
    """A read that stays on its connection for a while, so a test can break the connection under it."""
    session.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": seconds})
    return {"slept": seconds}


@router.post("/db/notes", status_code=201)
def add_note(body: Note, session: SessionDep) -> dict[str, str]:
    """A write that commits, then lingers: a blip after the commit must not write it twice."""
    session.execute(text("INSERT INTO probe_notes (text) VALUES (:text)"), {"text": body.text})
    session.commit()
    session.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": body.sleep_after_s})
    return {"text": body.text}


@router.get("/crash")
def crash() -> None:
    probe_logger.error("about to crash holding %s and %s", TEST_TOKENS["bot"], TEST_TOKENS["coin_api"])
    raise RuntimeError("boom")


app = create_service_app(
    name="probe", version="9.9.9", settings_cls=DatabaseSettings, router=router, permissions=PERMISSIONS
)
