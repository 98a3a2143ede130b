"""The bot's settings, read from the environment (pydantic-settings) when it starts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _comma_list(value: Any) -> Any:
    """`balance,bet,client` in the environment; a list or set when built in code."""
    return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value


class BotSettings(BaseSettings):
    """DISCORD_API_BASE / DISCORD_GATEWAY_URL point discord.py at the local emulator instead of Discord.

    GUILD_READY_TIMEOUT is discord.py's idle wait for more GUILD_CREATEs before READY: 0.5 s, not discord.py's
    2 s, because without the members intent nothing is chunked and a late guild still arrives as an event.
    AI_USAGE_COST is what one /ask costs (0: free); AI_COOLDOWN_SECONDS is each member's wait between answers.
    BOT_API_TOKEN is the bot's own credential; only the FIRST_PARTY_PLUGINS may have it sent to their service.
    """

    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)  # secrets stay out of errors

    discord_token: SecretStr
    bot_api_token: SecretStr
    first_party_plugins: Annotated[frozenset[str], NoDecode, BeforeValidator(_comma_list)] = frozenset(
        {"balance", "bet", "client", "coin", "genai"})
    plugins_dir: Path = Path("plugins")
    dev_guild_id: int | None = Field(default=None, gt=0)
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    transfer_confirm_above: int = Field(default=1000, ge=0)
    guild_ready_timeout: float = Field(default=0.5, ge=0, le=60)
    ai_usage_cost: int = Field(default=10, ge=0, le=10**12)
    ai_cooldown_seconds: float = Field(default=30, ge=0, le=86400)
    log_level: str = "INFO"

    @field_validator("bot_api_token")
    @classmethod
    def _long_enough(cls, token: SecretStr) -> SecretStr:
        if len(token.get_secret_value()) < 16:
            raise ValueError("BOT_API_TOKEN must be at least 16 characters")
        return token
