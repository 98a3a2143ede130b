"""genai_api against a fake Gemini server: generateContent's request shape, answers, blocks and failures."""

import time

import httpx
import pytest

from genai_api.tests.fake_providers import FakeGemini, gemini_response, google_error
from genai_api.tests.support import GEMINI_KEY, TIMEOUT_S, assert_error, gemini_env

pytestmark = pytest.mark.slow

KEY_INVALID = [
    {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"},
    }
]
RETRY_INFO = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "36.5s"}]
SAFETY_RATINGS = [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": True}]


@pytest.fixture(scope="module")
def api(fake_gemini: FakeGemini, start_genai, connect) -> httpx.Client:
    return connect(start_genai(env=gemini_env(fake_gemini)))


def test_happy_path_sends_contents_and_system_instruction_with_the_key_header(api, fake_gemini):
    response = api.post("/generate", json={"prompt": "Conte uma piada", "system_prompt": "Seja breve"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "text": "echo: Conte uma piada",
        "provider": "gemini",
        "model": "gemini-2.5-flash",
        "usage": {"prompt_tokens": 8, "completion_tokens": 17, "total_tokens": 25},
    }
    [sent] = fake_gemini.received
    assert (sent.method, sent.path) == ("POST", "/v1beta/models/gemini-2.5-flash:generateContent")
    assert sent.headers["x-goog-api-key"] == GEMINI_KEY and "Authorization" not in sent.headers
    assert sent.json == {
        "contents": [{"role": "user", "parts": [{"text": "Conte uma piada"}]}],
        "systemInstruction": {"parts": [{"text": "Seja breve"}]},
    }


def test_the_request_may_choose_the_model_and_omit_the_system_prompt(api, fake_gemini):
    response = api.post("/generate", json={"prompt": "hi", "model": "models/gemini-2.0-flash"})
    assert response.status_code == 200 and response.json()["model"] == "gemini-2.0-flash"
    [sent] = fake_gemini.received
    assert sent.path == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert sent.json == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def test_thought_parts_are_not_part_of_the_answer(api, fake_gemini):
    answer = gemini_response("visible", model="gemini-2.5-pro")
    answer["candidates"][0]["content"]["parts"].insert(0, {"text": "private reasoning", "thought": True})
    fake_gemini.script(json=answer)
    assert api.post("/generate", json={"prompt": "hi"}).json()["text"] == "visible"


@pytest.mark.parametrize(
    "status, error",
    [
        (400, google_error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT", KEY_INVALID)),
        (401, google_error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")),
        (403, google_error(403, "Method doesn't allow unregistered callers.", "PERMISSION_DENIED")),
    ],
    ids=["api-key-invalid", "unauthenticated", "permission-denied"],
)
def test_a_refused_key_is_a_502_telling_the_operator_which_key(api, fake_gemini, status, error):
    fake_gemini.script(status=status, json=error)
    body = assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_auth")
    assert "GEMINI_API_KEY" in body["detail"]


def test_any_other_400_is_a_rejected_request_not_an_auth_failure(api, fake_gemini):
    fake_gemini.script(status=400, json=google_error(400, "Request contains an invalid argument.", "INVALID_ARGUMENT"))
    assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_rejected")


def test_rate_limit_turns_gemini_retry_info_into_retry_after(api, fake_gemini):
    fake_gemini.script(
        status=429, json=google_error(429, "You exceeded your current quota.", "RESOURCE_EXHAUSTED", RETRY_INFO)
    )
    response = api.post("/generate", json={"prompt": "hi"})
    assert_error(response, 429, "provider_rate_limited")
    assert response.headers["Retry-After"] == "37"


def test_rate_limit_prefers_a_retry_after_header(api, fake_gemini):
    fake_gemini.script(
        status=429,
        headers={"Retry-After": "12"},
        json=google_error(429, "Resource has been exhausted.", "RESOURCE_EXHAUSTED", RETRY_INFO),
    )
    response = api.post("/generate", json={"prompt": "hi"})
    assert_error(response, 429, "provider_rate_limited")
    assert response.headers["Retry-After"] == "12"


@pytest.mark.parametrize("status, grpc_status", [(500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_a_provider_outage_is_a_502_provider_unavailable(api, fake_gemini, status, grpc_status):
    fake_gemini.script(status=status, json=google_error(status, "The model is overloaded.", grpc_status))
    body = assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_unavailable")
    assert str(status) in body["detail"]


def test_a_provider_that_hangs_is_cut_off_at_the_timeout(api, fake_gemini):
    fake_gemini.script(hang_s=30)
    started = time.monotonic()
    assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_unavailable")
    assert TIMEOUT_S <= time.monotonic() - started < TIMEOUT_S + 2


@pytest.mark.parametrize(
    "answer",
    [
        {"body": b"not json at all"},
        {"json": {}},
        {"json": {"candidates": [{"finishReason": "STOP", "index": 0}]}},
        {"json": {"candidates": [{"content": {"role": "model", "parts": [{"text": 7}]}}]}},
        {"json": {"candidates": [{"content": {"role": "model", "parts": "text"}}]}},
        {"json": {"candidates": [{"finishReason": ["SAFETY"], "content": []}]}},
    ],
    ids=["not-json", "empty-object", "no-content", "text-not-string", "parts-not-list", "odd-types"],
)
def test_a_malformed_answer_is_a_502_provider_bad_response(api, fake_gemini, answer):
    fake_gemini.script(**answer)
    assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_bad_response")


def test_a_blocked_prompt_without_candidates_is_a_422_content_blocked(api, fake_gemini):
    fake_gemini.script(
        json={
            "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": SAFETY_RATINGS},
            "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
            "modelVersion": "gemini-2.5-flash",
        }
    )
    body = assert_error(api.post("/generate", json={"prompt": "hi"}), 422, "content_blocked")
    assert "SAFETY" in body["detail"]


def test_a_candidate_stopped_for_safety_is_a_422_content_blocked(api, fake_gemini):
    fake_gemini.script(
        json={
            "candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": SAFETY_RATINGS}],
            "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
        }
    )
    assert_error(api.post("/generate", json={"prompt": "hi"}), 422, "content_blocked")
