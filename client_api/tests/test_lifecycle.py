"""client_api on a database of its own: listing every member page by page, and refusing to start unconfigured."""

import os
import subprocess
import sys

import httpx
import pytest

from buteco_dev import REPO_ROOT
from buteco_dev.credentials import TEST_TOKEN, caller_env
from buteco_dev.processes import free_port
from client_api.tests.conftest import SERVICE_MODULE

pytestmark = pytest.mark.slow


def test_pages_walk_every_active_member_once_in_id_order(fresh_api):
    ids = []
    for n in range(1, 13):
        response = fresh_api.post("/users", json={"discord_id": str(10**15 + n), "display_name": f"m{n}"})
        assert response.status_code == 201
        ids.append(response.json()["id"])
    for discord_id in (10**15 + 2, 10**15 + 5, 10**15 + 12):
        assert fresh_api.delete(f"/users/by-discord/{discord_id}").status_code == 200
    active = [user_id for n, user_id in enumerate(ids, start=1) if n not in (2, 5, 12)]

    seen, pages, after_id = [], [], None
    while True:
        params = {"limit": 4} | ({"after_id": after_id} if after_id is not None else {})
        page = fresh_api.get("/users", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        pages.append(len(body["items"]))
        seen += [user["id"] for user in body["items"]]
        assert all(user["discord_id"] is not None for user in body["items"])
        after_id = body["next_after_id"]
        if after_id is None:
            break
        assert after_id == body["items"][-1]["id"]
    assert seen == active
    assert pages == [4, 4, 1]


def test_a_page_that_ends_exactly_at_the_last_member_says_so(fresh_api):
    for n in range(1, 5):
        assert fresh_api.post("/users", json={"discord_id": str(n)}).status_code == 201
    first = fresh_api.get("/users", params={"limit": 2}).json()
    second = fresh_api.get("/users", params={"limit": 2, "after_id": first["next_after_id"]}).json()
    assert len(second["items"]) == 2 and second["next_after_id"] is None
    beyond = fresh_api.get("/users", params={"after_id": 2**63 - 1}).json()
    assert beyond == {"items": [], "next_after_id": None}


def test_default_page_is_fifty(fresh_api):
    for n in range(1, 53):
        fresh_api.post("/users", json={"discord_id": str(n)})
    body = fresh_api.get("/users").json()
    assert len(body["items"]) == 50 and body["next_after_id"] == body["items"][-1]["id"]


def _start_and_collect(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the service the way operators do and return once it has given up starting."""
    cmd = [sys.executable, "-m", "uvicorn", f"{SERVICE_MODULE}:app", "--host", "127.0.0.1", "--port", str(free_port())]
    return subprocess.run(cmd, check=False, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30)


def _environment(**overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {*caller_env(), "DATABASE_URL"}}
    env.update({k: v for k, v in overrides.items() if v is not None})
    return env


def test_start_up_without_the_bots_credential_fails_naming_it(database_url):
    done = _start_and_collect(_environment(DATABASE_URL=database_url, COIN_API_TOKEN="coin-api-credential-1"))
    assert done.returncode != 0
    assert "BOT_API_TOKEN: required" in done.stderr
    assert "coin-api-credential-1" not in done.stderr + done.stdout


def test_start_up_with_a_short_token_fails_without_echoing_it(database_url):
    done = _start_and_collect(_environment(DATABASE_URL=database_url, BOT_API_TOKEN="tiny-secret"))
    assert done.returncode != 0
    assert "BOT_API_TOKEN" in done.stderr and "16 characters" in done.stderr
    assert "tiny-secret" not in done.stderr + done.stdout


def test_start_up_without_a_database_url_fails_naming_it():
    done = _start_and_collect(_environment(BOT_API_TOKEN=TEST_TOKEN))
    assert done.returncode != 0 and "DATABASE_URL" in done.stderr


def test_importing_the_app_needs_no_environment():
    code = "import client_api.main as m; print(m.app.title)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=REPO_ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "client_api"


def test_health_reports_an_unreachable_database(start_service, database_url):
    dead = database_url.rsplit("/", 1)[0] + "/no_such_database_here"
    service = start_service(SERVICE_MODULE, database_url=dead)
    response = httpx.get(f"{service.url}/health", timeout=10, trust_env=False)
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unreachable"}
