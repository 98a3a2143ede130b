"""Google Gemini's REST generateContent, with the key in a header so it never sits in a logged URL."""

import math
from typing import Any
from urllib.parse import quote

from genai_api.errors import ContentBlocked, ProviderAuthFailed
from genai_api.provider import (
    Completion,
    Endpoint,
    ProviderAnswer,
    as_object,
    bad_response,
    json_object,
    post_json,
    raise_for_status,
    rate_limited,
    token_count,
)

BLOCKED_FINISH_REASONS = frozenset({"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"})


class Gemini:
    """POST {base}/v1beta/models/{model}:generateContent with x-goog-api-key."""

    name = "gemini"

    def __init__(self, *, base_url: str, api_key: str, model: str, timeout_s: float, max_response_bytes: int) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"x-goog-api-key": api_key}
        self.default_model = model
        self._endpoint = Endpoint(
            self.name, "GEMINI_API_KEY", "GEMINI_MODEL", "GEMINI_BASE_URL", timeout_s, max_response_bytes
        )

    async def complete(self, *, prompt: str, system_prompt: str | None, model: str) -> Completion:
        """One user turn, the system prompt as systemInstruction; the model name is quoted into the path."""
        body: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
        if system_prompt:
            body["systemInstruction"] = {"parts": [{"text": system_prompt}]}
        url = f"{self._base}/v1beta/models/{quote(model.removeprefix('models/'), safe='')}:generateContent"
        response = await post_json(self._endpoint, url, headers=self._headers, body=body)
        if response.status_code == 400 and _key_invalid(response):
            raise ProviderAuthFailed(
                "gemini refused the API key (HTTP 400 API_KEY_INVALID); check GEMINI_API_KEY", provider=self.name
            )
        if response.status_code == 429:
            raise rate_limited(self._endpoint, response.headers.get("retry-after") or _retry_delay(response))
        raise_for_status(self._endpoint, response, model)
        return self._completion(json_object(self._endpoint, response), model)

    def _completion(self, data: dict[str, Any], model: str) -> Completion:
        candidates = data.get("candidates")
        if not candidates and "promptFeedback" in data:
            reason = str(as_object(data["promptFeedback"]).get("blockReason", "no candidates"))[:64]
            raise ContentBlocked(f"gemini blocked the prompt ({reason}); rephrase it", provider=self.name)
        candidate = candidates[0] if isinstance(candidates, list) and candidates else None
        if not isinstance(candidate, dict):
            raise bad_response(self._endpoint, "a response without candidates[0]")
        finish_reason = candidate.get("finishReason")
        if isinstance(finish_reason, str) and finish_reason in BLOCKED_FINISH_REASONS:
            raise ContentBlocked(
                f"gemini withheld the answer ({finish_reason}); rephrase the prompt", provider=self.name
            )
        content = candidate.get("content")
        parts = content.get("parts", []) if isinstance(content, dict) else None
        if not isinstance(parts, list) or not all(isinstance(part, dict) for part in parts):
            raise bad_response(self._endpoint, "a candidate without content.parts")
        texts = [part.get("text") for part in parts if "text" in part and not part.get("thought")]
        if not all(isinstance(text, str) for text in texts):
            raise bad_response(self._endpoint, "a part whose text is not a string")
        usage = as_object(data.get("usageMetadata"))
        prompt_tokens = token_count(usage.get("promptTokenCount"))
        completion_tokens = sum(token_count(usage.get(key)) for key in ("candidatesTokenCount", "thoughtsTokenCount"))
        return Completion(
            text="".join(texts),
            model=data["modelVersion"] if isinstance(data.get("modelVersion"), str) else model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=token_count(usage.get("totalTokenCount")) or prompt_tokens + completion_tokens,
        )


def _key_invalid(response: ProviderAnswer) -> bool:
    """Gemini answers a wrong key with 400 INVALID_ARGUMENT and reason API_KEY_INVALID, not a 401."""
    try:
        details = response.json()["error"]["details"]
        return any(isinstance(d, dict) and d.get("reason") == "API_KEY_INVALID" for d in details)
    except (ValueError, KeyError, TypeError):
        return False


def _retry_delay(response: ProviderAnswer) -> str | None:
    """Gemini sends no Retry-After header but a google.rpc.RetryInfo detail such as "retryDelay": "37s"."""
    try:
        for detail in response.json()["error"]["details"]:
            delay = detail.get("retryDelay") if isinstance(detail, dict) else None
            if isinstance(delay, str) and delay.endswith("s"):
                return str(max(0, math.ceil(float(delay[:-1]))))
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
    return None
