"""Keys, settings and assertions shared by genai_api's test modules."""

import httpx

from genai_api.tests.fake_providers import FakeGemini, FakeOpenAI

OPENAI_KEY = "sk-proj-fakeOpenAIkey0123456789abcdef"
GEMINI_KEY = "AIzaSyFakeGeminiKey0123456789abcdefgh"
TIMEOUT_S = 1.5


def openai_env(fake: FakeOpenAI, **extra: str) -> dict[str, str]:
    return {
        "GENAI_PROVIDER": "openai",
        "OPENAI_BASE_URL": f"{fake.url}/v1",
        "OPENAI_API_KEY": OPENAI_KEY,
        "OPENAI_MODEL": "gpt-4.1-mini",
        "GENAI_TIMEOUT_S": str(TIMEOUT_S),
        "LOG_LEVEL": "DEBUG",
        **extra,
    }


def gemini_env(fake: FakeGemini, **extra: str) -> dict[str, str]:
    return {
        "GENAI_PROVIDER": "gemini",
        "GEMINI_BASE_URL": fake.url,
        "GEMINI_API_KEY": GEMINI_KEY,
        "GEMINI_MODEL": "gemini-2.5-flash",
        "GENAI_TIMEOUT_S": str(TIMEOUT_S),
        "LOG_LEVEL": "DEBUG",
        **extra,
    }


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    """The kit's error shape, with the status and code this failure must map to."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["detail"] and body["request_id"], body
    return body
