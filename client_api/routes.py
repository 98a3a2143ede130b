"""HTTP edge of client_api: parse and validate, call one rule in service.py, shape the answer.

Every route reads or writes in one statement, so each runs in autocommit: one round trip, no BEGIN or COMMIT."""

from fastapi import APIRouter, Response

from client_api import service
from client_api.errors import RegistrationContended
from client_api.schemas import AfterId, Forgotten, PageLimit, RegisterIn, RenameIn, User, UserIdPath, UserPage
from service_kit.auth import Permissions
from service_kit.db import AutocommitSessionDep
from service_kit.identity import UserNotFound
from service_kit.openapi import refusals
from service_kit.types import SnowflakePath

router = APIRouter(tags=["users"])
ONLY_THE_BOT = {"bot"}
PERMISSIONS = Permissions(
    {  # who may call each route (default deny): members are the bot's business alone
        "register": ONLY_THE_BOT,
        "list_users": ONLY_THE_BOT,
        "get_user_by_discord_id": ONLY_THE_BOT,
        "rename_user": ONLY_THE_BOT,
        "forget_user": ONLY_THE_BOT,
        "get_user": ONLY_THE_BOT,
    }
)

_NOT_FOUND = refusals(UserNotFound)


@router.post(
    "/users",
    status_code=201,
    responses=refusals(
        RegistrationContended,
        responses={
            201: {"description": "registered now"},
            200: {"model": User, "description": "already registered (the name is refreshed when one is given)"},
        },
    ),
)
def register(body: RegisterIn, session: AutocommitSessionDep, response: Response) -> User:
    """Get-or-create: 201 the first time a Discord id is seen, 200 afterwards (the name is refreshed if given)."""
    user, created = service.register(session, discord_id=body.discord_id, display_name=body.display_name)
    response.status_code = 201 if created else 200
    return User.model_validate(user)


@router.get("/users")
def list_users(session: AutocommitSessionDep, limit: PageLimit = 50, after_id: AfterId = None) -> UserPage:
    """Active members in id order, one keyset page at a time."""
    page = service.list_page(session, limit=limit, after_id=after_id)
    return UserPage(items=[User.model_validate(user) for user in page.items], next_after_id=page.next_after_id)


@router.get("/users/by-discord/{discord_id}", responses=_NOT_FOUND)
def get_user_by_discord_id(discord_id: SnowflakePath, session: AutocommitSessionDep) -> User:
    """The member behind a Discord id, as the bot asks for it."""
    return User.model_validate(service.get_by_discord_id(session, discord_id=discord_id))


@router.patch("/users/by-discord/{discord_id}", responses=_NOT_FOUND)
def rename_user(discord_id: SnowflakePath, body: RenameIn, session: AutocommitSessionDep) -> User:
    """Store the member's new display name."""
    return User.model_validate(service.rename(session, discord_id=discord_id, display_name=body.display_name))


@router.delete("/users/by-discord/{discord_id}", responses=_NOT_FOUND)
def forget_user(discord_id: SnowflakePath, session: AutocommitSessionDep) -> Forgotten:
    """Forget-me: the Discord id and name are erased; a second call answers 404 since nothing is left to find."""
    return Forgotten.model_validate(service.forget(session, discord_id=discord_id))


@router.get("/users/{user_id}", responses=_NOT_FOUND)
def get_user(user_id: UserIdPath, session: AutocommitSessionDep) -> User:
    """A member by internal id, as other services store it."""
    return User.model_validate(service.get_by_id(session, user_id=user_id))
