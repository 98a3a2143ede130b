"""Bet titles, descriptions and outcome labels are announced in channels: hidden controls are refused at the edge."""

import pytest

from bet_api.tests.conftest import ADMIN
from buteco_dev.seed import new_snowflake

pytestmark = pytest.mark.slow

BIDI = "\u202e"


def create(api, guild, admin, **fields):
    body = {"actor_id": str(admin), **ADMIN, "title": "Derby", "outcomes": ["Red", "Blue"], **fields}
    return api.bets.post(f"/guilds/{guild}/events", json=body, headers={"Idempotency-Key": f"ev-{new_snowflake()}"})


@pytest.mark.parametrize(
    "fields, named",
    [
        ({"title": f"Derby {BIDI}deR"}, "title"),
        ({"title": "Derby\u2067"}, "title"),
        ({"title": "Derby\nfinal"}, "title"),
        ({"description": "Who wins?\x1b[2J"}, "description"),
        ({"description": "\ufeffWho wins?"}, "description"),
        ({"outcomes": ["Red", f"Blue{BIDI}"]}, "outcomes.1"),
        ({"outcomes": ["Red\x00", "Blue"]}, "outcomes.0"),
    ],
    ids=[
        "title bidi override",
        "title isolate",
        "title newline",
        "description escape",
        "description BOM",
        "label bidi override",
        "label NUL",
    ],
)
def test_unclean_text_is_422_naming_the_field_and_nothing_is_created(api, guild, fields, named):
    admin = api.register()
    refused = create(api, guild, admin, **fields)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_request" and named in refused.json()["detail"]
    assert api.bets.get(f"/guilds/{guild}/events").json()["items"] == []


def test_accents_emoji_markdown_and_multi_line_descriptions_are_kept(api, guild):
    admin = api.register()
    created = create(
        api,
        guild,
        admin,
        title="Clássico **Gre-Nal** ⚽",
        description="Quem vence?\n\t- casa\n- fora",
        outcomes=["Grêmio 🇧🇷", "Inter _colorado_", "Empate"],
    )
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["title"] == "Clássico **Gre-Nal** ⚽" and event["description"] == "Quem vence?\n\t- casa\n- fora"
    assert [o["label"] for o in event["outcomes"]] == ["Grêmio 🇧🇷", "Inter _colorado_", "Empate"]
