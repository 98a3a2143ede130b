"""The kit's per-request path stays lean: one edge layer before the exception handlers and the router, one caller
check per request, and every answer the edge makes itself (413, 401, 403, 500) still carries its id and timing."""

import re
import warnings
from collections.abc import Iterator

import pytest
from fastapi import Request

from buteco_dev.credentials import TEST_TOKENS, auth_headers, caller_env
from service_kit.auth import CallerCredential

with warnings.catch_warnings():  # it asks for httpx2, which the stack does not ship; httpx works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SERVER_TIMING = re.compile(r"^app;dur=\d+\.\d\d, db;dur=\d+\.\d\d, upstream;dur=\d+\.\d\d$")


@pytest.fixture
def probe(monkeypatch) -> Iterator[TestClient]:
    """The probe service in this process; its routes used here never reach the database, so none is started."""
    for name, value in {**caller_env(), "DATABASE_URL": "postgresql://probe:probe@127.0.0.1:9/probe"}.items():
        monkeypatch.setenv(name, value)
    from service_kit.tests.probe_app import app

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_request_crosses_one_kit_layer_before_the_handlers_and_the_router(probe):
    app = probe.app
    layers, node = [], app.build_middleware_stack()
    while node is not app.router:
        layers.append(type(node).__name__)
        node = node.app
    assert layers == ["ServiceEdge", "ExceptionMiddleware", "AsyncExitStackMiddleware"]


def test_the_caller_is_identified_and_checked_once_per_request(probe, monkeypatch):
    calls: list[str] = []
    real = CallerCredential.__call__

    async def counting(self: CallerCredential, request: Request) -> str:  # annotated: FastAPI reads the signature
        calls.append(request.url.path)
        return await real(self, request)

    monkeypatch.setattr(CallerCredential, "__call__", counting)
    answer = probe.get("/whoami", headers=auth_headers(TEST_TOKENS["coin_api"]))
    assert answer.status_code == 200 and answer.json() == {"caller": "coin_api"}, answer.text
    assert calls == ["/whoami"]  # the router's check and the route's CallerDep share one solve


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        (auth_headers("not-a-known-credential"), 401, "unauthorized"),
        ({"Authorization": f"Basic {TEST_TOKENS['bot']}"}, 401, "unauthorized"),
        (auth_headers(TEST_TOKENS["coin_api"]), 403, "forbidden_caller"),
    ],
)
def test_a_refused_caller_gets_the_one_error_body_with_its_id_and_timing(probe, headers, status, code):
    answer = probe.get("/conflict", headers={**headers, "X-Request-ID": "edge-refusal-1"})
    assert answer.status_code == status and answer.json()["code"] == code, answer.text
    assert answer.json()["request_id"] == answer.headers["x-request-id"] == "edge-refusal-1"
    assert SERVER_TIMING.match(answer.headers["server-timing"])
    if status == 401:
        assert answer.headers["www-authenticate"] == "Bearer"


def test_a_body_over_the_limit_is_refused_declared_or_streamed_with_its_id(probe):
    big = b'{"amount": 1, "pad": "' + b"x" * (70 * 1024) + b'"}'
    declared = probe.post("/echo", content=big, headers={**auth_headers(), "X-Request-ID": "edge-413-declared"})
    streamed = probe.post(
        "/echo",
        content=iter([big[:40_000], big[40_000:]]),
        headers={**auth_headers(), "X-Request-ID": "edge-413-chunked"},
    )
    for answer, request_id in ((declared, "edge-413-declared"), (streamed, "edge-413-chunked")):
        assert answer.status_code == 413 and answer.json()["code"] == "body_too_large", answer.text
        assert answer.headers["x-request-id"] == request_id and SERVER_TIMING.match(answer.headers["server-timing"])


def test_a_body_within_the_limit_reaches_the_route_and_a_crash_is_a_500_with_the_id(probe):
    echoed = probe.post("/echo", json={"amount": 7}, headers=auth_headers())
    assert echoed.status_code == 200 and echoed.json() == {"amount": 7}, echoed.text
    crashed = probe.get("/crash", headers={**auth_headers(), "X-Request-ID": "edge-crash-1"})
    assert crashed.status_code == 500 and crashed.json() == {
        "detail": "internal error; the request id is in the logs",
        "code": "internal_error",
        "request_id": "edge-crash-1",
    }
    assert crashed.headers["x-request-id"] == "edge-crash-1" and SERVER_TIMING.match(crashed.headers["server-timing"])
