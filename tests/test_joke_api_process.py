"""joke_api as the bot meets it: the Go binary built, started with its settings, and asked over real HTTP."""

import os
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from buteco_dev import REPO_ROOT
from buteco_dev.credentials import TEST_TOKENS, auth_headers
from buteco_dev.processes import ServiceProcess, go_service

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def binary(go_build) -> os.PathLike:
    return go_build(REPO_ROOT / "joke_api")


@pytest.fixture(scope="module")
def joke_api(binary, tmp_path_factory) -> Iterator[ServiceProcess]:
    with go_service(binary, log_dir=tmp_path_factory.mktemp("joke_api-logs")) as service:
        yield service


@pytest.fixture(scope="module")
def client(joke_api) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=joke_api.url, headers=auth_headers(TEST_TOKENS["joke"]), timeout=10, trust_env=False
    ) as http:
        yield http


def test_health_is_public(joke_api):
    response = httpx.get(f"{joke_api.url}/health", trust_env=False)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "joke_api", "version": "1.0.0"}


def test_a_random_joke_matches_the_filters(client):
    joke = client.get("/joke", params={"category": "animals", "lang": "pt-BR"}).json()
    assert set(joke) == {"id", "text", "category", "lang"}
    assert (joke["category"], joke["lang"]) == ("animals", "pt-BR") and joke["text"]
    assert client.get("/joke").status_code == 200


def test_errors_use_the_shared_shape(client):
    unknown = client.get("/joke", params={"category": "cars"}, headers={"X-Request-ID": "py-1"})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_category" and unknown.json()["request_id"] == "py-1"
    assert client.get("/joke", params={"lang": "es"}).status_code == 422


def test_categories_list_counts_in_both_languages(client):
    everything = {item["category"]: item["count"] for item in client.get("/categories").json()["items"]}
    portuguese = client.get("/categories", params={"lang": "pt-BR"}).json()["items"]
    english = client.get("/categories", params={"lang": "en"}).json()["items"]
    assert sum(everything.values()) >= 40 and len(everything) >= 5
    for pt, en in zip(portuguese, english, strict=True):
        assert pt["count"] > 0 and en["count"] > 0
        assert pt["count"] + en["count"] == everything[pt["category"]]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong-token-of-some-length"}, auth_headers(TEST_TOKENS["bot"])]
)
def test_everything_but_health_needs_the_joke_plugins_own_token(joke_api, headers):
    for path in ("/joke", "/categories"):
        response = httpx.get(f"{joke_api.url}{path}", headers=headers, trust_env=False)
        assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_the_healthcheck_flag_probes_the_running_server(binary, joke_api):
    env = {**os.environ, "PORT": str(joke_api.port)}
    result = subprocess.run([binary, "-healthcheck"], env=env, capture_output=True, timeout=10, check=False)
    assert result.returncode == 0, result.stderr


def test_it_refuses_to_start_without_the_token(binary):
    env = {key: value for key, value in os.environ.items() if key != "JOKE_API_TOKEN"}
    result = subprocess.run([binary], env=env, capture_output=True, text=True, timeout=10, check=False)
    assert result.returncode == 2 and "set JOKE_API_TOKEN" in result.stderr


def test_sigterm_shuts_down_cleanly(binary, tmp_path):
    service = go_service(binary, log_dir=tmp_path).start()
    service.stop()
    assert service.exit_code == 0, service.logs()
    assert '"msg":"stopped"' in service.logs() and TEST_TOKENS["joke"] not in service.logs()
