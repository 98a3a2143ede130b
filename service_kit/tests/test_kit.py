"""The kit's promises, on small services built with it: settings, callers, error shape, health, logs, OpenAPI."""

import httpx
import pytest
from fastapi import APIRouter

from buteco_dev.credentials import TEST_TOKEN, TEST_TOKENS, auth_headers
from buteco_dev.processes import ServiceGroup
from service_kit.app import create_service_app
from service_kit.auth import Credentials, Permissions
from service_kit.db import SessionDep
from service_kit.settings import DatabaseSettings, ServiceSettings, SettingsError, load_settings


@pytest.fixture(scope="module")
def probe(module_start_service):
    return module_start_service("service_kit.tests.probe_app", env={"LOG_LEVEL": "INFO"})


@pytest.fixture(scope="module")
def client(probe):
    with httpx.Client(base_url=probe.url, timeout=10) as http:
        yield http


@pytest.fixture(scope="module")
def tableless(tmp_path_factory):
    """A service without tables, started with no database anywhere."""
    with ServiceGroup(None, tmp_path_factory.mktemp("tableless")) as group:
        yield group.start("service_kit.tests.tableless_app")


def test_missing_settings_name_every_variable(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("BOT_API_TOKEN", "short")
    with pytest.raises(SettingsError) as caught:
        load_settings(DatabaseSettings)
    message = str(caught.value)
    assert "DATABASE_URL: required" in message and "BOT_API_TOKEN: Value error, must be at least 16" in message
    assert "short" not in message


def test_each_accepted_caller_needs_a_credential_of_its_own(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@localhost/db")
    monkeypatch.setenv("BOT_API_TOKEN", TEST_TOKENS["bot"])
    for name in ("COIN_API_TOKEN", "BET_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(ServiceSettings)
    assert Credentials.load(settings, {"bot"}).identify(TEST_TOKENS["bot"]) == "bot"
    with pytest.raises(SettingsError, match="set COIN_API_TOKEN: required"):
        Credentials.load(settings, {"bot", "coin_api"})
    monkeypatch.setenv("COIN_API_TOKEN", TEST_TOKENS["bot"])
    with pytest.raises(SettingsError, match="BOT_API_TOKEN and COIN_API_TOKEN hold the same value") as shared:
        Credentials.load(load_settings(ServiceSettings), {"bot", "coin_api"})
    assert TEST_TOKENS["bot"] not in str(shared.value)


def test_a_route_without_a_row_or_a_row_without_a_route_stops_the_service_being_built():
    router = APIRouter()
    router.add_api_route("/new", lambda: None, name="new_route")
    with pytest.raises(ValueError, match=r"routes without a row \['new_route'\], rows without a route \['old'\]"):
        Permissions({"old": {"bot"}}).cover(router)
    with pytest.raises(ValueError, match="unknown callers"):
        Permissions({"new_route": {"joke"}})


def test_health_is_public_and_everything_else_needs_the_token(client):
    health = client.get("/health")
    assert health.json() == {"status": "ok", "service": "probe", "version": "9.9.9", "checks": {"database": "ok"}}
    refused = client.post("/echo", json={"amount": 1})
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    assert client.post("/echo", json={"amount": 1}, headers=auth_headers()).json() == {"amount": 1}


@pytest.mark.parametrize("caller", ["bot", "coin_api"])
def test_each_caller_is_known_by_its_own_credential(client, caller):
    assert client.get("/whoami", headers=auth_headers(TEST_TOKENS[caller])).json() == {"caller": caller}


@pytest.mark.parametrize("token", [TEST_TOKENS["bet_api"], TEST_TOKENS["joke"], TEST_TOKEN[:-1], TEST_TOKEN + "x"])
def test_a_credential_the_service_does_not_accept_is_a_401(client, token):
    refused = client.get("/whoami", headers=auth_headers(token))
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"


def test_a_known_caller_outside_the_operations_row_is_a_403_naming_both(client):
    refused = client.get("/conflict", headers=auth_headers(TEST_TOKENS["coin_api"]))
    assert refused.status_code == 403
    assert (refused.json()["code"], refused.json()["detail"]) == ("forbidden_caller", "coin_api may not conflict")
    assert client.get("/conflict", headers=auth_headers()).status_code == 409


def test_domain_errors_and_validation_share_one_shape(client):
    conflict = client.get("/conflict", headers=auth_headers(**{"X-Request-ID": "req-42"}))
    assert conflict.status_code == 409
    assert conflict.json() == {
        "detail": "that already happened",
        "code": "already_done",
        "request_id": "req-42",
        "hint": "try tomorrow",
    }
    invalid = client.post("/echo", json={"amount": "many"}, headers=auth_headers())
    assert invalid.status_code == 422 and invalid.json()["detail"].startswith("amount: ")


def test_a_crash_is_a_500_with_the_request_id_and_no_secret_in_the_logs(client, probe):
    response = client.get("/crash", headers=auth_headers(**{"X-Request-ID": "crash-1"}))
    assert response.status_code == 500
    assert response.json() == {
        "detail": "internal error; the request id is in the logs",
        "code": "internal_error",
        "request_id": "crash-1",
    }
    assert response.headers["X-Request-ID"] == "crash-1"
    logs = probe.logs()
    assert "[crash-1] probe: about to crash holding [redacted] and [redacted]" in logs
    assert "[crash-1] service_kit.errors: unhandled error on GET /crash" in logs
    assert TEST_TOKENS["bot"] not in logs and TEST_TOKENS["coin_api"] not in logs


def test_a_service_without_tables_needs_no_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("BOT_API_TOKEN", TEST_TOKENS["bot"])
    assert "database_url" not in load_settings(ServiceSettings).model_dump()


def test_a_service_without_tables_is_healthy_with_no_database_to_check(tableless):
    health = httpx.get(f"{tableless.url}/health", timeout=10)
    assert health.json() == {"status": "ok", "service": "tableless", "version": "1.2.3", "checks": {}}
    assert httpx.get(f"{tableless.url}/ping", headers=auth_headers(), timeout=10).json() == {
        "pong": "no database needed"
    }


def test_a_route_that_needs_the_database_cannot_be_built_without_one():
    router = APIRouter()

    @router.get("/rows")
    def rows(session: SessionDep) -> None:
        """Never called: building the app refuses it."""

    with pytest.raises(ValueError, match="route rows needs the database"):
        create_service_app(
            name="x",
            version="0",
            settings_cls=ServiceSettings,
            router=router,
            permissions=Permissions({"rows": {"bot"}}),
        )


def test_the_description_of_the_api_is_public_and_everything_else_needs_a_credential(client):
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and client.get("/docs").headers["content-type"].startswith("text/html")
    assert client.get("/redoc").status_code == 404, "one interactive page is enough"
    unprotected = {
        path
        for path, operations in spec.json()["paths"].items()
        for operation in operations.values()
        if "security" not in operation
    }
    assert unprotected == {"/health"}
    assert spec.json()["components"]["securitySchemes"]["callerCredential"]["scheme"] == "bearer"


def test_each_operation_documents_the_error_body_under_every_status_it_can_answer(client):
    spec = client.get("/openapi.json").json()
    statuses = {
        path: set(operations["get" if "get" in operations else "post"]["responses"])
        for path, operations in spec["paths"].items()
    }
    assert statuses["/echo"] == {"200", "401", "413", "422", "500"}, "every caller's row: no 403; no session: no 503"
    assert statuses["/conflict"] == {"200", "401", "403", "413", "500"}, "coin_api is refused; nothing read: no 422"
    assert statuses["/items/{item_id}"] == {"200", "401", "413", "422", "500"}
    assert statuses["/db/sleep"] == {"200", "401", "403", "413", "422", "500", "503"}, "it uses the database"
    unavailable = spec["paths"]["/db/sleep"]["get"]["responses"]["503"]["content"]["application/json"]["schema"]
    assert unavailable["properties"]["code"] == {"enum": ["database_unavailable"]}
    assert spec["paths"]["/health"]["get"]["responses"]["413"]["description"] == "code `body_too_large`"
    unauthorized = spec["paths"]["/echo"]["post"]["responses"]["401"]["content"]["application/json"]["schema"]
    assert unauthorized == {
        "$ref": "#/components/schemas/ErrorBody",
        "properties": {"code": {"enum": ["unauthorized"]}},
    }
    assert spec["components"]["schemas"]["ErrorBody"]["required"] == ["detail", "code", "request_id"]


@pytest.mark.parametrize("raw_id", ["1.0", "+1", "%201", "1%20", "01", "1e3", "0", "9223372036854775808", "-1"])
def test_an_id_in_the_path_is_plain_digits_or_a_422(client, raw_id):
    refused = client.get(f"/items/{raw_id}", headers=auth_headers())
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_request", refused.text
    assert client.get("/items/9223372036854775807", headers=auth_headers()).json() == {"item_id": 2**63 - 1}


@pytest.mark.parametrize("body", [b'{"amount": 1', b'{"amount": "\xff\xfe"}', b"\xff\xfe", b"[" * 60_000])
def test_a_body_that_is_not_json_is_a_422_invalid_request(client, body):
    refused = client.post("/echo", content=body, headers=auth_headers(**{"Content-Type": "application/json"}))
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_request", refused.text
    assert refused.json()["detail"].startswith("body")
