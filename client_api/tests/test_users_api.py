"""client_api through real HTTP, a real uvicorn process and the real migrated PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from buteco_dev.credentials import TEST_TOKENS
from buteco_dev.seed import new_snowflake
from client_api.tests.conftest import client_for, user_rows

pytestmark = pytest.mark.slow


def register(api: httpx.Client, discord_id: int, display_name: str | None = None) -> httpx.Response:
    body = {"discord_id": str(discord_id)}
    if display_name is not None:
        body["display_name"] = display_name
    return api.post("/users", json=body)


def test_first_registration_creates_and_the_next_returns_the_same_user(api):
    discord_id = new_snowflake()
    first = register(api, discord_id, "Alice")
    assert first.status_code == 201, first.text
    user = first.json()
    assert set(user) == {"id", "discord_id", "display_name", "created_at", "updated_at"}
    assert user["discord_id"] == str(discord_id) and user["display_name"] == "Alice"
    again = register(api, discord_id)
    assert again.status_code == 200, again.text
    assert again.json() == user


def test_discord_id_is_accepted_as_an_integer_and_answered_as_a_string(api):
    discord_id = new_snowflake()
    response = api.post("/users", json={"discord_id": discord_id})
    assert response.status_code == 201, response.text
    assert response.json()["discord_id"] == str(discord_id)
    assert response.json()["display_name"] is None


def test_registering_again_with_a_name_takes_the_latest_discord_name(api, module_database_url):
    discord_id = new_snowflake()
    created = register(api, discord_id, "Old Name").json()
    renamed = register(api, discord_id, "New Name")
    assert renamed.status_code == 200
    assert renamed.json()["id"] == created["id"] and renamed.json()["display_name"] == "New Name"
    assert renamed.json()["updated_at"] > created["updated_at"]
    kept = register(api, discord_id)
    assert kept.json()["display_name"] == "New Name" and kept.json()["updated_at"] == renamed.json()["updated_at"]
    assert [row[2] for row in user_rows(module_database_url, "discord_id = %s", (discord_id,))] == ["New Name"]


def test_display_name_is_trimmed_and_may_hold_any_printable_unicode(api):
    assert register(api, new_snowflake(), "  Zoë 🎲 \t").json()["display_name"] == "Zoë 🎲"
    assert register(api, new_snowflake(), "x" * 100).json()["display_name"] == "x" * 100
    family = "👨\u200d👩\u200d👧"
    assert register(api, new_snowflake(), family).json()["display_name"] == family


def test_concurrent_first_registration_makes_exactly_one_user(client_service, module_database_url):
    discord_id, threads = new_snowflake(), 20
    barrier = threading.Barrier(threads)

    def attempt(index: int) -> httpx.Response:
        with client_for(client_service) as client:
            barrier.wait(timeout=10)
            return register(client, discord_id, f"racer-{index}")

    with ThreadPoolExecutor(threads) as pool:
        responses = list(pool.map(attempt, range(threads)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (threads - 1) + [201], [r.text for r in responses if r.status_code >= 300]
    assert len({response.json()["id"] for response in responses}) == 1
    rows = user_rows(module_database_url, "discord_id = %s", (discord_id,))
    assert len(rows) == 1 and rows[0][2].startswith("racer-")


def test_get_by_id_and_by_discord_id(api):
    discord_id = new_snowflake()
    user = register(api, discord_id, "Bea").json()
    by_id = api.get(f"/users/{user['id']}")
    by_discord = api.get(f"/users/by-discord/{discord_id}")
    assert by_id.status_code == by_discord.status_code == 200
    assert by_id.json() == by_discord.json() == user


@pytest.mark.parametrize("path", ["/users/by-discord/{discord}", "/users/{internal}"])
def test_unknown_users_are_404_user_not_found(api, path):
    response = api.get(path.format(discord=new_snowflake(), internal=2**62), headers={"X-Request-ID": "look-1"})
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "user_not_found" and body["request_id"] == "look-1" and body["detail"]


def test_rename_changes_the_name_and_updated_at_only_when_it_differs(api):
    discord_id = new_snowflake()
    created = register(api, discord_id, "Carl").json()
    renamed = api.patch(f"/users/by-discord/{discord_id}", json={"display_name": " Carla "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["display_name"] == "Carla" and renamed.json()["updated_at"] > created["updated_at"]
    assert renamed.json()["created_at"] == created["created_at"]
    same = api.patch(f"/users/by-discord/{discord_id}", json={"display_name": "Carla"})
    assert same.json() == renamed.json()
    assert api.get(f"/users/{created['id']}").json()["display_name"] == "Carla"


def test_renaming_an_unknown_user_is_404(api):
    response = api.patch(f"/users/by-discord/{new_snowflake()}", json={"display_name": "Ghost"})
    assert response.status_code == 404 and response.json()["code"] == "user_not_found"


def test_forget_me_erases_the_discord_id_and_name_and_a_new_registration_is_a_new_user(api, module_database_url):
    discord_id = new_snowflake()
    user = register(api, discord_id, "Dora").json()
    forgotten = api.delete(f"/users/by-discord/{discord_id}")
    assert forgotten.status_code == 200, forgotten.text
    assert set(forgotten.json()) == {"id", "forgotten_at"} and forgotten.json()["id"] == user["id"]
    assert api.get(f"/users/by-discord/{discord_id}").json()["code"] == "user_not_found"
    assert api.get(f"/users/{user['id']}").status_code == 404
    assert api.patch(f"/users/by-discord/{discord_id}", json={"display_name": "Dora"}).status_code == 404
    again = api.delete(f"/users/by-discord/{discord_id}")
    assert again.status_code == 404 and again.json()["code"] == "user_not_found"
    (row,) = user_rows(module_database_url, "id = %s", (user["id"],))
    assert row[1] is None and row[2] is None and row[5] is not None
    reborn = register(api, discord_id, "Dora")
    assert reborn.status_code == 201 and reborn.json()["id"] != user["id"]


def test_every_route_but_health_needs_the_bots_credential(client_service):
    routes = [
        ("GET", "/users"),
        ("POST", "/users"),
        ("GET", "/users/1"),
        ("GET", "/users/by-discord/1"),
        ("PATCH", "/users/by-discord/1"),
        ("DELETE", "/users/by-discord/1"),
    ]
    cases = [
        {},
        {"Authorization": "Bearer wrong-token-wrong-token"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {TEST_TOKENS['bot']}"},
        *({"Authorization": f"Bearer {TEST_TOKENS[caller]}"} for caller in ("coin_api", "bet_api", "joke")),
    ]
    with httpx.Client(base_url=client_service.url, timeout=10, trust_env=False) as anonymous:
        for method, path in routes:
            for headers in cases:
                response = anonymous.request(method, path, headers=headers, json={"discord_id": "1"})
                assert response.status_code == 401, (method, path, headers, response.text)
                assert response.json()["code"] == "unauthorized"
                assert response.headers["WWW-Authenticate"] == "Bearer"


def test_health_answers_without_a_token(client_service):
    from client_api import __version__

    response = httpx.get(f"{client_service.url}/health", timeout=10, trust_env=False)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "service": "client_api",
        "version": __version__,
        "checks": {"database": "ok"},
    }


def test_request_id_is_echoed_or_generated(api):
    echoed = api.get("/users?limit=1", headers={"X-Request-ID": "bot-req-42"})
    assert echoed.headers["X-Request-ID"] == "bot-req-42"
    generated = api.get("/users?limit=1")
    assert len(generated.headers["X-Request-ID"]) >= 16
    failed = api.post("/users", json={}, headers={"X-Request-ID": "bot-req-43"})
    assert failed.headers["X-Request-ID"] == failed.json()["request_id"] == "bot-req-43"


BAD_BODIES = {
    "discord id letters": ({"discord_id": "abc"}, "discord_id"),
    "discord id negative": ({"discord_id": -1}, "discord_id"),
    "discord id zero": ({"discord_id": "0"}, "discord_id"),
    "discord id 2^64": ({"discord_id": 2**64}, "discord_id"),
    "discord id 2^63 as text": ({"discord_id": str(2**63)}, "discord_id"),
    "discord id float": ({"discord_id": 1.5}, "discord_id"),
    "discord id bool": ({"discord_id": True}, "discord_id"),
    "discord id null": ({"discord_id": None}, "discord_id"),
    "discord id missing": ({"display_name": "x"}, "discord_id"),
    "name 101 chars": ({"discord_id": "1", "display_name": "x" * 101}, "display_name"),
    "name empty": ({"discord_id": "1", "display_name": ""}, "display_name"),
    "name blank": ({"discord_id": "1", "display_name": "   "}, "display_name"),
    "name with NUL": ({"discord_id": "1", "display_name": "a\x00b"}, "display_name"),
    "name with newline": ({"discord_id": "1", "display_name": "a\nb"}, "display_name"),
    "name lone surrogate": ('{"discord_id": "1", "display_name": "a\\ud800"}', "display_name"),
    "name a number": ({"discord_id": "1", "display_name": 7}, "display_name"),
    "unknown field": ({"discord_id": "1", "displayname": "x"}, "displayname"),
    "not an object": ([1, 2], "body"),
    "not json": ("{discord_id:", "body"),
}


@pytest.mark.parametrize("body, field", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_malformed_registrations_are_422_naming_the_field(api, body, field):
    if isinstance(body, str):
        response = api.post("/users", content=body, headers={"Content-Type": "application/json"})
    else:
        response = api.post("/users", json=body)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["code"] == "invalid_request" and field in payload["detail"] and payload["errors"]


def test_a_missing_body_is_422(api):
    response = api.post("/users")
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"
    assert "body" in response.json()["detail"]


@pytest.mark.parametrize("body", [{}, {"display_name": None}, {"display_name": "y" * 101}, {"name": "z"}])
def test_malformed_renames_are_422(api, body):
    response = api.patch(f"/users/by-discord/{new_snowflake()}", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"


BAD_IDS = ["abc", "-1", "0", str(2**64), str(2**63), "1.5", "1e3"]
BAD_PATHS = [("GET", f"/users/{bad}", "user_id") for bad in BAD_IDS] + [
    (method, f"/users/by-discord/{bad}", "discord_id") for method in ("GET", "PATCH", "DELETE") for bad in BAD_IDS
]


@pytest.mark.parametrize("method, path, field", BAD_PATHS)
def test_malformed_ids_in_the_path_are_422(api, method, path, field):
    response = api.request(method, path, json={"display_name": "ok"})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request" and field in response.json()["detail"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=x", "limit"),
        ("after_id=-1", "after_id"),
        (f"after_id={2**64}", "after_id"),
        ("after_id=1.5", "after_id"),
    ],
)
def test_malformed_page_parameters_are_422(api, query, field):
    response = api.get(f"/users?{query}")
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]
