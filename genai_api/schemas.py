"""genai_api's wire format: a prompt in, the generated text and its token usage out."""

from typing import Annotated

from pydantic import BaseModel, Field

from service_kit.types import CLEAN_TEXT, Strict, TextRule

PROMPT_MAX_CHARS = 4000
COMPLETION_MAX_CHARS = 50_000
"""What a member can use of one answer (the bot attaches a long one as a file); the rest is cut, and logged."""
MODEL_MAX_CHARS = 100
"""The bot shows the model in an embed footer: a provider's name for it is cut to this."""
MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"

Prompt = Annotated[str, Field(min_length=1, max_length=PROMPT_MAX_CHARS), TextRule(multiline=True, required=True)]
"""Sent as written; a prompt of spaces would cost a provider call for nothing, so it is refused."""
SystemPrompt = Annotated[str, Field(max_length=PROMPT_MAX_CHARS), CLEAN_TEXT]


class GenerateIn(Strict):
    """Unknown fields are refused, so a typo (system) is a 422 rather than a silently dropped instruction."""

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

    text: str = Field(max_length=COMPLETION_MAX_CHARS)
    provider: str
    model: str = Field(max_length=MODEL_MAX_CHARS)
    usage: Usage
