"""Fake providers and genai_api processes configured against them, shared by each test module."""

from collections.abc import Callable, Iterator

import httpx
import pytest

from genai_api.tests.fake_providers import FakeGemini, FakeOpenAI
from tests.support.services import ServiceProcess, auth_headers


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def fake_gemini() -> Iterator[FakeGemini]:
    fake = FakeGemini().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _fresh_fakes(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with the happy answer and an empty request record, whatever the last one scripted."""
    fakes = [request.getfixturevalue(name) for name in ("fake_openai", "fake_gemini") if name in request.fixturenames]
    for fake in fakes:
        fake.reset()
    yield
    for fake in fakes:
        fake.reset()


@pytest.fixture(scope="module")
def connect() -> Iterator[Callable[[ServiceProcess], httpx.Client]]:
    """connect(service) -> an authenticated client for it, closed at the end of the module."""
    clients: list[httpx.Client] = []

    def make(service: ServiceProcess) -> httpx.Client:
        clients.append(httpx.Client(base_url=service.url, headers=auth_headers(), timeout=30, trust_env=False))
        return clients[-1]

    yield make
    for client in clients:
        client.close()
