"""The kit's promises, on a small service built with it: settings, auth, error shape, health and logs."""

import httpx
import pytest

from service_kit.settings import ServiceSettings, SettingsError, load_settings
from tests.support.services import TEST_TOKEN, auth_headers


@pytest.fixture(scope="module")
def probe(module_start_service):
    return module_start_service("service_kit.tests.probe_app", env={"LOG_LEVEL": "INFO"})


@pytest.fixture(scope="module")
def client(probe):
    with httpx.Client(base_url=probe.url, timeout=10) as http:
        yield http


def test_missing_settings_name_every_variable(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INTERNAL_API_TOKEN", "short")
    with pytest.raises(SettingsError) as caught:
        load_settings(ServiceSettings)
    message = str(caught.value)
    assert "DATABASE_URL: required" in message and "INTERNAL_API_TOKEN: " in message
    assert "short" not in message


def test_health_is_public_and_everything_else_needs_the_token(client):
    health = client.get("/health")
    assert health.json() == {"status": "ok", "service": "probe", "version": "9.9.9", "checks": {"database": "ok"}}
    refused = client.post("/echo", json={"amount": 1})
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    assert client.post("/echo", json={"amount": 1}, headers=auth_headers()).json() == {"amount": 1}


def test_domain_errors_and_validation_share_one_shape(client):
    conflict = client.get("/conflict", headers=auth_headers(**{"X-Request-ID": "req-42"}))
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": "that already happened", "code": "already_done", "request_id": "req-42",
                               "hint": "try tomorrow"}
    invalid = client.post("/echo", json={"amount": "many"}, headers=auth_headers())
    assert invalid.status_code == 422 and invalid.json()["detail"].startswith("amount: ")


def test_a_crash_is_a_500_with_the_request_id_and_no_secret_in_the_logs(client, probe):
    response = client.get("/crash", headers=auth_headers(**{"X-Request-ID": "crash-1"}))
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; the request id is in the logs", "code": "internal_error",
                               "request_id": "crash-1"}
    assert response.headers["X-Request-ID"] == "crash-1"
    logs = probe.logs()
    assert "[crash-1] probe: about to crash holding [redacted]" in logs
    assert "[crash-1] service_kit.errors: unhandled error on GET /crash" in logs
    assert TEST_TOKEN not in logs
