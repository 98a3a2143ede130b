"""client_api as the bot uses it: members join the economy explicitly (/register) or on their first command."""

from __future__ import annotations

from ..core.clients import Reply, ServiceApi
from ..core.text import clean_line

MAX_DISPLAY_NAME = 100


class ClientApi(ServiceApi):
    """The members of the economy, known by their Discord id."""

    plugin_id = "client"

    async def register(self, discord_id: int, display_name: str) -> Reply:
        """Get-or-create the member: status 201 when created, 200 when they already were."""
        body = {"discord_id": str(discord_id)}
        name = clean_line(display_name).strip()[:MAX_DISPLAY_NAME]  # Discord allows bidi overrides; the API does not
        if name:
            body["display_name"] = name
        return await self.http.post("/users", body)
