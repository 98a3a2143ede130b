"""genai_api's edge without a working provider: degraded health, 503 with what to set, input checks, auth."""

import httpx
import pytest

from buteco_dev.credentials import TEST_TOKENS
from buteco_dev.processes import free_port
from genai_api.tests.support import assert_error

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def unconfigured(start_genai, connect) -> httpx.Client:
    return connect(start_genai(env={"GENAI_PROVIDER": ""}))


@pytest.fixture(scope="module")
def half_configured(start_genai, connect) -> httpx.Client:
    return connect(start_genai(env={"GENAI_PROVIDER": "gemini"}))


@pytest.fixture(scope="module")
def unreachable(start_genai, connect) -> httpx.Client:
    """Configured against a loopback port where nothing listens."""
    return connect(
        start_genai(
            env={
                "GENAI_PROVIDER": "openai",
                "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
                "OPENAI_MODEL": "m",
            }
        )
    )


def test_unconfigured_health_is_degraded_but_200(unconfigured):
    response = unconfigured.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "service": "genai_api",
        "version": "1.0.0",
        "checks": {"provider": "unconfigured"},
    }, "no database: genai_api has no tables"


def test_unconfigured_generate_is_a_503_telling_the_operator_what_to_set(unconfigured):
    body = assert_error(unconfigured.post("/generate", json={"prompt": "hi"}), 503, "provider_unconfigured")
    assert "GENAI_PROVIDER" in body["detail"]


def test_a_provider_without_its_settings_names_the_missing_ones(half_configured):
    assert half_configured.get("/health").json()["checks"]["provider"] == "unconfigured"
    body = assert_error(half_configured.post("/generate", json={"prompt": "hi"}), 503, "provider_unconfigured")
    assert "GEMINI_API_KEY" in body["detail"] and "GEMINI_MODEL" in body["detail"]


def test_a_configured_provider_is_healthy_without_being_called(unreachable):
    assert unreachable.get("/health").json() == {
        "status": "ok",
        "service": "genai_api",
        "version": "1.0.0",
        "checks": {"provider": "ok"},
    }


def test_an_unreachable_provider_is_a_502_provider_unavailable(unreachable):
    body = assert_error(unreachable.post("/generate", json={"prompt": "hi"}), 502, "provider_unavailable")
    assert "OPENAI_BASE_URL" in body["detail"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "   \n"}, "prompt"),
        ({"prompt": "x" * 4001}, "prompt"),
        ({"prompt": 42}, "prompt"),
        ({"prompt": "hi", "system_prompt": "x" * 4001}, "system_prompt"),
        ({"prompt": "hi", "model": "../../v1/files"}, "model"),
        ({"prompt": "hi", "model": ""}, "model"),
        ({"prompt": "hi", "temperature": 2}, "temperature"),
    ],
    ids=[
        "missing",
        "empty",
        "blank",
        "too-long",
        "not-text",
        "system-too-long",
        "model-path",
        "model-empty",
        "unknown-field",
    ],
)
def test_bad_input_is_a_422_naming_the_field(unreachable, body, field):
    response = unreachable.post("/generate", json=body)
    assert assert_error(response, 422, "invalid_request")["detail"].startswith(field)


def test_limits_are_inclusive(unconfigured):
    body = {"prompt": "x" * 4000, "system_prompt": "y" * 4000}
    assert_error(unconfigured.post("/generate", json=body), 503, "provider_unconfigured")


@pytest.mark.parametrize("token", ["wrong", TEST_TOKENS["coin_api"], TEST_TOKENS["bet_api"], TEST_TOKENS["joke"]])
def test_generate_needs_the_bots_credential(unconfigured, token):
    response = unconfigured.post("/generate", json={"prompt": "hi"}, headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "unauthorized")
