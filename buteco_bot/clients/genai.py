"""genai_api as the bot uses it: one answer to one prompt, in the member's language."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.clients import ServiceApi, ServiceUnavailable


@dataclass(frozen=True)
class Answer:
    text: str
    model: str


class GenaiApi(ServiceApi):
    """The AI assistant; which provider and model answer is genai_api's business."""

    plugin_id = "genai"

    async def generate(self, prompt: str, system_prompt: str) -> Answer:
        """The answer, never empty: an empty one is no answer (ServiceUnavailable), so the member's hold is released."""
        reply = await self.http.post("/generate", {"prompt": prompt, "system_prompt": system_prompt})
        text = str(reply.data.get("text") or "").strip()
        if not text:
            raise ServiceUnavailable(self.plugin_id, "an empty answer")
        return Answer(text, str(reply.data.get("model") or ""))
