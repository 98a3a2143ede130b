"""The bot's settings, read from the environment (pydantic-settings) when it starts."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BotSettings(BaseSettings):
    """DISCORD_API_BASE / DISCORD_GATEWAY_URL point discord.py at the local emulator instead of Discord.

    GUILD_READY_TIMEOUT is discord.py's idle wait for more GUILD_CREATEs before READY: 0.5 s, not discord.py's
    2 s, because without the members intent nothing is chunked and a late guild still arrives as an event.
    AI_USAGE_COST is what one /ask costs (0: free); AI_COOLDOWN_SECONDS is each member's wait between answers.
    """

    model_config = SettingsConfigDict(extra="ignore")

    discord_token: SecretStr
    internal_api_token: SecretStr = Field(min_length=1)
    plugins_dir: Path = Path("plugins")
    dev_guild_id: int | None = Field(default=None, gt=0)
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    transfer_confirm_above: int = Field(default=1000, ge=0)
    guild_ready_timeout: float = Field(default=0.5, ge=0, le=60)
    ai_usage_cost: int = Field(default=10, ge=0, le=10**12)
    ai_cooldown_seconds: float = Field(default=30, ge=0, le=86400)
    log_level: str = "INFO"
