"""Typed settings of every service, a database only for those with tables; a missing one stops start-up readably."""

from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def psycopg2_url(database_url: str) -> str:
    """The URL with the psycopg2 driver named, whatever form the operator wrote."""
    return "postgresql+psycopg2://" + database_url.split("://", 1)[1]


class SettingsError(RuntimeError):
    """Raised at start-up so the operator reads which variable is missing instead of a traceback."""


def _long_enough(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < 16:
        raise ValueError("must be at least 16 characters")
    return value


ApiToken = Annotated[SecretStr, AfterValidator(_long_enough)]
"""A caller's credential: a secret of at least 16 characters, redacted from every log line."""


class ServiceSettings(BaseSettings):
    """Settings every service needs: its callers' credentials and its log level; services subclass this."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    bot_api_token: ApiToken | None = None  # the callers' credentials: the kit requires those the service accepts
    coin_api_token: ApiToken | None = None
    bet_api_token: ApiToken | None = None
    log_level: str = "INFO"
    thread_pool_size: int = Field(default=8, ge=1, le=256)  # requests running sync code at once, per worker
    max_body_bytes: int | None = Field(default=None, ge=1024, le=64 * 1024 * 1024)  # unset: the service's own limit

    def secret_values(self) -> list[str]:
        """Every SecretStr setting, a subclass's API keys included, so the log filter blanks them unasked."""
        values = (getattr(self, name) for name in type(self).model_fields)
        return [value.get_secret_value() for value in values if isinstance(value, SecretStr)]


class DatabaseSettings(ServiceSettings):
    """For a service with tables: where its database is (as its own role) and how the pool behaves."""

    database_url: str
    db_pool_size: int = Field(default=10, ge=1)  # thread_pool_size + room for background passes: none ever waits
    db_max_overflow: int = Field(default=0, ge=0)  # an overflow connection is closed on return: churn under load
    db_statement_timeout_ms: int = 5000
    db_connect_timeout_s: int = 3

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str) -> str:
        if not value.startswith(("postgres://", "postgresql://", "postgresql+psycopg2://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @property
    def sqlalchemy_url(self) -> str:
        return psycopg2_url(self.database_url)


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def load_settings(settings_cls: type[SettingsT]) -> SettingsT:
    """Read settings from the environment, turning pydantic's report into one line per variable."""
    try:
        return settings_cls()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            variable = "_".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{variable}: {'required' if error['type'] == 'missing' else error['msg']}")
        raise SettingsError(f"{settings_cls.__name__} cannot start; set " + "; ".join(problems)) from None
