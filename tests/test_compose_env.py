"""(e) of tests/test_run_config.py: what each container of docker-compose.yml receives, and nothing more.

No container reads .env; each gets every variable its code reads (its secrets only when they are its own, or
a caller's it checks), and each API a DATABASE_URL with its own database role.
"""

from __future__ import annotations

import re

import pytest

from buteco_dev.catalogue import (
    api_services,
    build_of,
    compose,
    dockerfile_stages,
    manifest_host,
    manifests,
    source_pending,
)
from buteco_dev.credentials import SERVICE_ROLES, environment_of, is_secret, password_variable
from buteco_dev.environment import container_variables, secrets_of

SPEC = compose()
SERVICES = SPEC["services"]
FIRST_PARTY_TOKEN = "BOT_API_TOKEN"
# Roles of services without tables: the migration creates them, but nothing logs in as them (no password given).
TABLELESS_ROLES = {"genai_api"}
LOGIN_ROLES = sorted(set(SERVICE_ROLES) - TABLELESS_ROLES)
# The secrets each container receives, and no other (docs/architecture.md, "Callers"; README, compose section).
CREDENTIALS = {
    "postgres": {"POSTGRES_PASSWORD"},
    "db-migration-service": {"POSTGRES_PASSWORD", *map(password_variable, LOGIN_ROLES)},
    "client-api": {"CLIENT_API_DB_PASSWORD", "BOT_API_TOKEN"},
    "balance-api": {"BALANCE_API_DB_PASSWORD", "BOT_API_TOKEN", "COIN_API_TOKEN", "BET_API_TOKEN"},
    "coin-api": {"COIN_API_DB_PASSWORD", "BOT_API_TOKEN", "COIN_API_TOKEN"},
    "bet-api": {"BET_API_DB_PASSWORD", "BOT_API_TOKEN", "BET_API_TOKEN"},
    "genai-api": {"BOT_API_TOKEN", "OPENAI_API_KEY", "GEMINI_API_KEY"},
    "joke-api": {"JOKE_API_TOKEN"},
    "bot": {"DISCORD_TOKEN", "BOT_API_TOKEN", "JOKE_API_TOKEN"},
    "ollama": set(),
    "ollama-pull": set(),
}
# Any other plugin service (one `make new-service` wrote, say) receives its manifest's token_env and nothing else;
# the bot receives that credential too, to send it there.
PLUGIN_CREDENTIALS = {
    manifest_host(data): data["service"]["token_env"]
    for data in manifests().values()
    if data["service"].get("token_env") not in (None, FIRST_PARTY_TOKEN) and manifest_host(data) not in CREDENTIALS
}
CREDENTIALS |= {host: {token} for host, token in PLUGIN_CREDENTIALS.items()}
CREDENTIALS["bot"] = CREDENTIALS["bot"] | set(PLUGIN_CREDENTIALS.values())
# Where a service listens inside its container: the image decides (all interfaces), never .env.
LEFT_TO_THE_IMAGE = {"HOST"}
ROLE_URL = re.compile(r"^postgresql://([a-z_]+):\$\{([A-Z0-9_]+):\?[^}]*\}@postgres:5432/\$\{POSTGRES_DB[:?}]")


def image_env(service: dict) -> set[str]:
    """Variables the service's Dockerfile sets (ENV in the target stage and the stages it builds on)."""
    if "build" not in service:
        return set()
    _, dockerfile, _ = build_of(service)
    names = set()
    for instructions in dockerfile_stages(dockerfile).values():
        for line in instructions:
            if line.upper().startswith("ENV "):
                names |= set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", line)) or {line.split()[1]}
    return names


def test_no_container_reads_the_env_file():
    readers = sorted(name for name, service in SERVICES.items() if "env_file" in service)
    assert not readers, f"an env_file hands every secret in .env to {readers}: list what each needs instead"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_container_gets_only_its_credentials(name):
    assert name in CREDENTIALS, f"{name}: list the secrets it needs in CREDENTIALS (and in the README)"
    assert secrets_of(SERVICES[name]) == CREDENTIALS[name]


def test_the_discord_token_and_the_database_owner_stay_where_they_belong():
    holders = {
        secret: {name for name, service in SERVICES.items() if secret in secrets_of(service)}
        for secret in ("DISCORD_TOKEN", "POSTGRES_PASSWORD")
    }
    assert holders == {"DISCORD_TOKEN": {"bot"}, "POSTGRES_PASSWORD": {"postgres", "db-migration-service"}}


@pytest.mark.parametrize("name", sorted(n for n, s in SERVICES.items() if "build" in s))
def test_every_variable_a_container_reads_is_provided(name):
    service = SERVICES[name]
    if pending := source_pending(service):
        pytest.skip(f"{name}: {pending}")
    read, required = container_variables(service)
    env, baked = environment_of(service), image_env(service)
    allowed = CREDENTIALS[name]
    missing = {v for v in read - env.keys() - baked - LEFT_TO_THE_IMAGE if not is_secret(v) or v in allowed}
    assert not missing, f"{name} reads these: add them to its environment in docker-compose.yml: {sorted(missing)}"
    unset = {v for v in required - baked if env.get(v) is None}
    assert not unset, f"{name} cannot start without a value for {sorted(unset)}"


@pytest.mark.parametrize("plugin_id", sorted(manifests()))
def test_a_plugin_credential_reaches_the_bot_and_its_own_service_only(plugin_id):
    plugin = manifests()[plugin_id]["service"]
    token, host = plugin.get("token_env"), manifest_host(manifests()[plugin_id])
    if token is None:
        pytest.skip(f"plugins/{plugin_id}.toml names no token_env: the bot sends it nothing")
    holders = {name for name, service in SERVICES.items() if token in secrets_of(service)}
    assert {"bot", host} <= holders, f"{token} must reach the bot (which sends it) and {host} (which checks it)"
    if token != FIRST_PARTY_TOKEN:
        assert holders == {"bot", host}, f"{token} is {plugin_id}'s alone"


def test_each_api_connects_as_its_own_database_role():
    roles = set()
    for name, service in api_services(SPEC).items():
        url = environment_of(service).get("DATABASE_URL")
        assert (url is not None) == ("buteco-db" in service["networks"]), f"{name}: the database network iff a URL"
        if source_pending(service) is None:
            needs_one = "DATABASE_URL" in container_variables(service)[1]
            assert (url is not None) == needs_one, f"{name}: a DATABASE_URL iff its settings require one (tables)"
        if url is None:
            continue
        match = ROLE_URL.match(url)
        package = build_of(service)[2].get("SERVICE")
        assert match and match.groups() == (package, password_variable(package)), f"{name}: {url}"
        roles.add(package)
    assert roles == set(LOGIN_ROLES), "every role that logs in has its API, and every API with a database its role"
    migrator = environment_of(SERVICES["db-migration-service"])
    for role in LOGIN_ROLES:
        assert (migrator[password_variable(role)] or "").startswith(f"${{{password_variable(role)}:?"), role
    assert not {password_variable(role) for role in TABLELESS_ROLES} & migrator.keys(), "no login nobody uses"
