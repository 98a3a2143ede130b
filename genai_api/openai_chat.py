"""OpenAI-compatible chat completions: one client for OpenAI, Ollama, vLLM and LM Studio."""

from typing import Any

from genai_api.errors import ContentBlocked
from genai_api.provider import (
    Completion,
    Endpoint,
    as_object,
    bad_response,
    json_object,
    post_json,
    raise_for_status,
    token_count,
)


class OpenAIChat:
    """POST {base}/chat/completions; the key is optional because local servers take none."""

    name = "openai"

    def __init__(
        self, *, base_url: str, api_key: str | None, model: str, timeout_s: float, max_response_bytes: int
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.default_model = model
        self._endpoint = Endpoint(
            self.name, "OPENAI_API_KEY", "OPENAI_MODEL", "OPENAI_BASE_URL", timeout_s, max_response_bytes
        )

    async def complete(self, *, prompt: str, system_prompt: str | None, model: str) -> Completion:
        """One chat turn: the system prompt (if any), then the member's prompt."""
        messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
        messages.append({"role": "user", "content": prompt})
        response = await post_json(
            self._endpoint, self._url, headers=self._headers, body={"model": model, "messages": messages}
        )
        raise_for_status(self._endpoint, response, model)
        return self._completion(json_object(self._endpoint, response), model)

    def _completion(self, data: dict[str, Any], model: str) -> Completion:
        choices = data.get("choices")
        choice = as_object(choices[0] if isinstance(choices, list) and choices else None)
        message = choice.get("message")
        if not isinstance(message, dict):
            raise bad_response(self._endpoint, "a chat completion without choices[0].message")
        if choice.get("finish_reason") == "content_filter" or message.get("refusal"):
            raise ContentBlocked(
                "the provider's safety filter withheld the answer; rephrase the prompt", provider=self.name
            )
        text = message.get("content")
        if not isinstance(text, str):
            raise bad_response(self._endpoint, "a chat completion whose message has no text content")
        usage = as_object(data.get("usage"))
        prompt_tokens = token_count(usage.get("prompt_tokens"))
        completion_tokens = token_count(usage.get("completion_tokens"))
        return Completion(
            text=text,
            model=data["model"] if isinstance(data.get("model"), str) else model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=token_count(usage.get("total_tokens")) or prompt_tokens + completion_tokens,
        )
