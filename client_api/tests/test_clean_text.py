"""Names that would render differently than stored are refused at the edge; ordinary Unicode names are kept."""

import pytest

from buteco_dev.seed import new_snowflake

pytestmark = pytest.mark.slow

UNCLEAN = {
    "right-to-left override": "evil\u202eexe.txt",
    "left-to-right isolate": "a\u2066b\u2069",
    "byte order mark": "\ufeffalice",
    "escape (C0)": "red\x1b[31m",
    "next line (C1)": "a\x85b",
    "tab inside": "a\tb",
    "line separator": "a\u2028b",
}
CLEAN = ["José Ñandú", "🎲 Zoë 🍺", "مرحبا بالعالم", "abc\u200fdef", "👨\u200d👩\u200d👧", "李小龙"]


@pytest.mark.parametrize("name", UNCLEAN.values(), ids=UNCLEAN.keys())
def test_an_unclean_name_is_422_naming_the_field_and_nothing_is_stored(api, name):
    discord_id = new_snowflake()
    response = api.post("/users", json={"discord_id": str(discord_id), "display_name": name})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_request" and "display_name" in body["detail"] and "U+" in body["detail"]
    assert api.get(f"/users/by-discord/{discord_id}").status_code == 404


@pytest.mark.parametrize("name", UNCLEAN.values(), ids=UNCLEAN.keys())
def test_a_rename_to_an_unclean_name_is_refused_and_the_old_name_stays(api, name):
    discord_id = new_snowflake()
    assert api.post("/users", json={"discord_id": str(discord_id), "display_name": "Alice"}).status_code == 201
    refused = api.patch(f"/users/by-discord/{discord_id}", json={"display_name": name})
    assert refused.status_code == 422 and "display_name" in refused.json()["detail"], refused.text
    assert api.get(f"/users/by-discord/{discord_id}").json()["display_name"] == "Alice"


@pytest.mark.parametrize("name", CLEAN)
def test_accents_emoji_and_right_to_left_scripts_are_kept_as_sent(api, name):
    response = api.post("/users", json={"discord_id": str(new_snowflake()), "display_name": name})
    assert response.status_code == 201, response.text
    assert response.json()["display_name"] == name
