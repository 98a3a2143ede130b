"""genai_api's own settings: which provider answers, where it is, and the key it wants."""

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from service_kit.settings import ServiceSettings


class GenaiSettings(ServiceSettings):
    """Every provider setting is optional, so the service starts (degraded) before an operator picks one."""

    model_config = SettingsConfigDict(env_ignore_empty=True)

    genai_provider: Literal["openai", "gemini"] | None = None
    genai_timeout_s: float = Field(default=30.0, gt=0, le=600)
    genai_max_response_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    openai_base_url: str = Field(default="https://api.openai.com/v1", pattern=r"^https?://")
    openai_api_key: SecretStr | None = None
    openai_model: str | None = None
    gemini_base_url: str = Field(default="https://generativelanguage.googleapis.com", pattern=r"^https?://")
    gemini_api_key: SecretStr | None = None
    gemini_model: str | None = None

    def provider_problem(self) -> str | None:
        """What the operator still has to set before generate can work, or None when it can."""
        if self.genai_provider is None:
            return (
                "no AI provider is configured; set GENAI_PROVIDER=openai (with OPENAI_MODEL, and OPENAI_API_KEY "
                "or OPENAI_BASE_URL for a local server) or GENAI_PROVIDER=gemini (with GEMINI_API_KEY and "
                "GEMINI_MODEL)"
            )
        required: dict[str, object] = (
            {"OPENAI_MODEL": self.openai_model}
            if self.genai_provider == "openai"
            else {"GEMINI_API_KEY": self.gemini_api_key, "GEMINI_MODEL": self.gemini_model}
        )
        missing = [name for name, value in required.items() if value is None]
        if missing:
            return f"GENAI_PROVIDER={self.genai_provider} also needs {' and '.join(missing)}; set it and restart"
        return None
