"""genai_api's wire format: a prompt in, the generated text and its token usage out."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from service_kit.types import CLEAN_TEXT

PROMPT_MAX_CHARS = 4000
MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"


def _not_blank(value: str) -> str:
    """A prompt of spaces would cost a provider call for nothing."""
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Prompt = Annotated[str, Field(min_length=1, max_length=PROMPT_MAX_CHARS), AfterValidator(_not_blank), CLEAN_TEXT]
SystemPrompt = Annotated[str, Field(max_length=PROMPT_MAX_CHARS), CLEAN_TEXT]


class GenerateIn(BaseModel):
    """Unknown fields are refused, so a typo (system) is a 422 rather than a silently dropped instruction."""

    model_config = ConfigDict(extra="forbid")

    prompt: Prompt
    system_prompt: SystemPrompt | None = None
    model: Annotated[str | None, Field(pattern=MODEL_PATTERN, description="overrides the configured model")] = None


class Usage(BaseModel):
    """Token counts as the provider reported them (0 when a local server reports none)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class GenerateOut(BaseModel):
    """The completion, which provider and model wrote it, and what it cost in tokens."""

    text: str
    provider: str
    model: str
    usage: Usage
