"""A service without tables built on the kit: no DATABASE_URL, no engine, no database in its health."""

from fastapi import APIRouter

from service_kit.app import create_service_app
from service_kit.auth import Permissions
from service_kit.settings import ServiceSettings

router = APIRouter()
PERMISSIONS = Permissions({"ping": {"bot"}})


@router.get("/ping")
def ping() -> dict[str, str]:
    return {"pong": "no database needed"}


app = create_service_app(
    name="tableless", version="1.2.3", settings_cls=ServiceSettings, router=router, permissions=PERMISSIONS
)
