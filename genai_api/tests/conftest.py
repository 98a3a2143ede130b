"""Fake providers and genai_api processes configured against them, shared by each test module."""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from buteco_dev.credentials import auth_headers
from buteco_dev.processes import ServiceGroup, ServiceProcess
from genai_api.tests.fake_providers import FakeGemini, FakeOpenAI


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
def start_genai(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServiceProcess]]:
    """start_genai(env={...}) -> a running genai_api with no database at all: it has no tables, as in production."""
    log_dir: Path = tmp_path_factory.mktemp("genai")
    with ServiceGroup(None, log_dir) as group:
        yield lambda *, env=None: group.start("genai_api.main", env)


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
