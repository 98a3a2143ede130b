"""The generate use case: pick the provider, call it, and log only sizes and latency, never text or keys."""

import logging
import time
import unicodedata

from genai_api.errors import ProviderUnconfigured
from genai_api.gemini import Gemini
from genai_api.openai_chat import OpenAIChat
from genai_api.provider import Provider
from genai_api.schemas import COMPLETION_MAX_CHARS, MODEL_MAX_CHARS, GenerateIn, GenerateOut, Usage
from genai_api.settings import GenaiSettings
from service_kit.errors import ServiceError

logger = logging.getLogger("genai_api.service")


def build_provider(settings: GenaiSettings) -> Provider | None:
    """The configured provider client, or None while settings.provider_problem() says what is missing."""
    if settings.provider_problem() is not None:
        return None
    if settings.genai_provider == "gemini":
        assert settings.gemini_api_key is not None and settings.gemini_model is not None
        return Gemini(
            base_url=settings.gemini_base_url,
            api_key=settings.gemini_api_key.get_secret_value(),
            model=settings.gemini_model,
            timeout_s=settings.genai_timeout_s,
            max_response_bytes=settings.genai_max_response_bytes,
        )
    assert settings.openai_model is not None
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return OpenAIChat(
        base_url=settings.openai_base_url,
        api_key=key,
        model=settings.openai_model,
        timeout_s=settings.genai_timeout_s,
        max_response_bytes=settings.genai_max_response_bytes,
    )


def shown_model(model: str) -> str:
    """A provider's model name as the bot may show it: no control or format characters, at most 100 of the rest."""
    return "".join(char for char in model if unicodedata.category(char)[0] != "C")[:MODEL_MAX_CHARS]


async def generate(provider: Provider | None, settings: GenaiSettings, request: GenerateIn) -> GenerateOut:
    """One completion; failures keep their error and are logged with the same sizes as successes."""
    if provider is None:
        raise ProviderUnconfigured(settings.provider_problem() or "no AI provider is configured")
    model = request.model or provider.default_model
    sizes = f"prompt_chars={len(request.prompt)} system_chars={len(request.system_prompt or '')}"
    started = time.perf_counter()
    try:
        completion = await provider.complete(prompt=request.prompt, system_prompt=request.system_prompt, model=model)
    except ServiceError as exc:
        logger.warning(
            "generate failed: provider=%s model=%s %s code=%s latency_ms=%.0f",
            provider.name,
            model,
            sizes,
            exc.code,
            (time.perf_counter() - started) * 1000,
        )
        raise
    answered_by = shown_model(completion.model) or shown_model(model)
    logger.info(
        "generate: provider=%s model=%s %s completion_chars=%d total_tokens=%d latency_ms=%.0f",
        provider.name,
        answered_by,
        sizes,
        len(completion.text),
        completion.total_tokens,
        (time.perf_counter() - started) * 1000,
    )
    if len(completion.text) > COMPLETION_MAX_CHARS:
        logger.warning("completion cut from %d to %d characters", len(completion.text), COMPLETION_MAX_CHARS)
    return GenerateOut(
        text=completion.text[:COMPLETION_MAX_CHARS],
        provider=provider.name,
        model=answered_by,
        usage=Usage(
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            total_tokens=completion.total_tokens,
        ),
    )
