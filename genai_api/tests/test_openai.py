"""genai_api against a fake OpenAI-compatible server: the request it sends and every way the answer can go."""

import time

import httpx
import pytest

from genai_api.tests.fake_providers import FakeOpenAI, chat_completion, openai_error
from genai_api.tests.support import OPENAI_KEY, TIMEOUT_S, assert_error, openai_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api(fake_openai: FakeOpenAI, start_genai, connect) -> httpx.Client:
    return connect(start_genai(env=openai_env(fake_openai)))


@pytest.fixture(scope="module")
def keyless_api(fake_openai: FakeOpenAI, start_genai, connect) -> httpx.Client:
    """A local server (Ollama, vLLM, LM Studio) that takes no key."""
    return connect(start_genai(env=openai_env(fake_openai, OPENAI_API_KEY="")))


def test_happy_path_sends_system_and_user_messages_and_returns_text_and_usage(api, fake_openai):
    response = api.post("/generate", json={"prompt": "Conte uma piada", "system_prompt": "Seja breve"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "text": "echo: Conte uma piada",
        "provider": "openai",
        "model": "gpt-4.1-mini-2025-04-14",
        "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29},
    }
    [sent] = fake_openai.received
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.headers["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.json == {
        "model": "gpt-4.1-mini",
        "messages": [{"role": "system", "content": "Seja breve"}, {"role": "user", "content": "Conte uma piada"}],
    }


def test_the_request_may_choose_the_model_and_omit_the_system_prompt(api, fake_openai):
    response = api.post("/generate", json={"prompt": "hi", "model": "llama3.1:8b"})
    assert response.status_code == 200 and response.json()["model"] == "llama3.1:8b-2025-04-14"
    assert fake_openai.received[0].json == {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "hi"}]}


def test_a_local_server_without_a_key_gets_no_authorization_header(keyless_api, fake_openai):
    assert keyless_api.post("/generate", json={"prompt": "hi"}).status_code == 200
    assert "Authorization" not in fake_openai.received[0].headers


def test_missing_usage_is_reported_as_zero_tokens(api, fake_openai):
    answer = chat_completion("ok", model="local")
    del answer["usage"]
    fake_openai.script(json=answer)
    response = api.post("/generate", json={"prompt": "hi"})
    assert response.status_code == 200
    assert response.json()["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_a_502_telling_the_operator_which_key(api, fake_openai, status):
    fake_openai.script(
        status=status, json=openai_error(f"Incorrect API key provided: {OPENAI_KEY}.", "invalid_api_key")
    )
    body = assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_auth")
    assert "OPENAI_API_KEY" in body["detail"] and OPENAI_KEY not in str(body)


def test_rate_limit_passes_through_with_retry_after(api, fake_openai):
    fake_openai.script(
        status=429,
        headers={"Retry-After": "7"},
        json=openai_error("Rate limit reached for requests", "rate_limit_exceeded"),
    )
    response = api.post("/generate", json={"prompt": "hi"})
    assert_error(response, 429, "provider_rate_limited")
    assert response.headers["Retry-After"] == "7"


def test_rate_limit_without_retry_after_sends_none(api, fake_openai):
    fake_openai.script(status=429, json=openai_error("Rate limit reached for requests", "rate_limit_exceeded"))
    response = api.post("/generate", json={"prompt": "hi"})
    assert_error(response, 429, "provider_rate_limited")
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_provider_outage_is_a_502_provider_unavailable(api, fake_openai, status):
    fake_openai.script(status=status, json=openai_error("The server had an error", "server_error"))
    body = assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_unavailable")
    assert str(status) in body["detail"]


def test_a_provider_that_hangs_is_cut_off_at_the_timeout(api, fake_openai):
    fake_openai.script(hang_s=30)
    started = time.monotonic()
    body = assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_unavailable")
    assert TIMEOUT_S <= time.monotonic() - started < TIMEOUT_S + 2
    assert "did not answer within" in body["detail"]


def test_an_unknown_model_is_a_502_naming_the_setting(api, fake_openai):
    fake_openai.script(status=404, json=openai_error("The model `gpt-9` does not exist", "model_not_found"))
    body = assert_error(api.post("/generate", json={"prompt": "hi", "model": "gpt-9"}), 502, "provider_rejected")
    assert "gpt-9" in body["detail"] and "OPENAI_MODEL" in body["detail"]


@pytest.mark.parametrize(
    "answer",
    [
        {"body": b"<html>502 Bad Gateway</html>"},
        {"body": b'{"choices": [{"message": {"content": "trunc'},
        {"json": ["not", "an", "object"]},
        {"json": {"object": "chat.completion", "choices": []}},
        {"json": chat_completion(None, model="m")},
        {"json": {"choices": [{"message": {"role": "assistant", "content": 42}}]}},
    ],
    ids=["html", "truncated", "array", "no-choices", "null-content", "content-not-text"],
)
def test_a_malformed_answer_is_a_502_provider_bad_response(api, fake_openai, answer):
    fake_openai.script(**answer)
    assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_bad_response")


@pytest.mark.parametrize(
    "answer",
    [
        chat_completion(None, model="m", refusal="I can't help with that."),
        chat_completion("", model="m", finish_reason="content_filter"),
    ],
    ids=["refusal", "content-filter"],
)
def test_a_refusal_or_content_filter_is_a_422_content_blocked(api, fake_openai, answer):
    fake_openai.script(json=answer)
    assert_error(api.post("/generate", json={"prompt": "hi"}), 422, "content_blocked")
