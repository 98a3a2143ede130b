"""The core bot's settings, read from the environment when it starts, and the base of each plugin's own."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict


def _comma_list(value: Any) -> Any:
    """`balance,bet,client` in the environment; a list or set when built in code."""
    return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value


class BotSettings(BaseSettings):
    """DISCORD_API_BASE / DISCORD_GATEWAY_URL point discord.py at the local emulator instead of Discord.

    GUILD_READY_TIMEOUT is discord.py's idle wait for more GUILD_CREATEs before READY: 0.5 s, not discord.py's
    2 s, because without the members intent nothing is chunked and a late guild still arrives as an event.
    BOT_API_TOKEN is the bot's own credential; only the FIRST_PARTY_PLUGINS may have it sent to their service.
    PLUGINS_ENV_FILE names a KEY=VALUE file re-read at every plugin (re)load for the manifests' URLs and
    credentials: how `make run` hands the bot a service it started after the bot did.
    """

    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)  # secrets stay out of errors

    discord_token: SecretStr
    bot_api_token: SecretStr
    first_party_plugins: Annotated[frozenset[str], NoDecode, BeforeValidator(_comma_list)] = frozenset(
        {"balance", "bet", "client", "coin", "genai"}
    )
    plugins_dir: Path = Path("plugins")
    plugins_env_file: Path | None = None
    dev_guild_id: int | None = Field(default=None, gt=0)
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    guild_ready_timeout: float = Field(default=0.5, ge=0, le=60)
    log_level: str = "INFO"

    @field_validator("bot_api_token")
    @classmethod
    def _long_enough(cls, token: SecretStr) -> SecretStr:
        if len(token.get_secret_value()) < 16:
            raise ValueError("BOT_API_TOKEN must be at least 16 characters")
        return token


class PluginSettings(BaseSettings):
    """A plugin's own settings, in its command module, read when it loads: a bad value fails that plugin alone."""

    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        **sources: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # only what from_env hands over: the bot's environment, not the process's

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        """The fields whose variable `env` sets, the defaults for the rest; ValueError naming each bad variable."""
        try:
            return cls(**{name: env[name.upper()] for name in cls.model_fields if name.upper() in env})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"{cls.__name__}: {problems}") from None
