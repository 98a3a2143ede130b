"""The run configuration agrees with the code: .env.example, docker-compose.yml, the Dockerfiles, plugins/.

(a) every variable the code reads is in .env.example, documented, and nothing there is stale;
(b) every manifest has a compose service and every API in compose has a manifest;
(c) compose validates against the Compose Specification schema and follows the house rules;
(d) with a Docker engine, compose really parses and the stack comes up as the README says: tests/test_compose_stack.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from buteco_dev import REPO_ROOT
from buteco_dev.catalogue import (
    api_services,
    build_of,
    compose,
    dockerfile_stages,
    is_long_running,
    manifest_host,
    manifests,
    source_pending,
)
from buteco_dev.credentials import is_secret
from buteco_dev.environment import compose_interpolated, env_example_entries, settings_classes, variables_read_by_code

# Read by docker-compose.yml itself or by third-party code (uvicorn reads WEB_CONCURRENCY), never by our code.
COMPOSE_ONLY = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "OLLAMA_MODEL", "WEB_CONCURRENCY"}
# Services whose code landed before their plugin manifest (strict xfail: delete a name once plugins/ names it).
MANIFEST_PENDING: set[str] = set()
SCHEMA = REPO_ROOT / "tests" / "schemas" / "compose-spec.json"
SPEC = compose()
APIS = api_services(SPEC)
MANIFESTS = manifests()


# --------------------------------------------------------------------------------------------- (a) .env.example
def test_settings_classes_are_found():
    names = {cls.__name__ for cls in settings_classes()}
    assert {"ServiceSettings", "BalanceSettings", "CoinSettings", "BotSettings"} <= names, names


def test_every_variable_the_code_reads_is_in_env_example():
    listed = env_example_entries()
    missing = {name: sorted(where) for name, where in variables_read_by_code().items() if name not in listed}
    assert not missing, f"add these to .env.example (with a comment): {missing}"


def test_nothing_stale_in_env_example():
    read = set(variables_read_by_code())
    stale = sorted(set(env_example_entries()) - read - COMPOSE_ONLY)
    assert not stale, f"nothing reads these any more; remove them from .env.example: {stale}"


def test_compose_only_allow_list_is_used_by_compose():
    assert compose_interpolated() >= COMPOSE_ONLY, COMPOSE_ONLY - compose_interpolated()


def test_everything_compose_interpolates_is_in_env_example():
    assert compose_interpolated() <= set(env_example_entries()), compose_interpolated() - set(env_example_entries())


def test_each_variable_has_a_comment_and_secrets_are_blank():
    entries = env_example_entries()
    assert not [e.name for e in entries.values() if not e.documented]
    for name in filter(is_secret, entries):
        assert entries[name].value == "", f"{name} must have no value in .env.example: it would work in production"
    assert entries["DATABASE_URL"].commented_out, "compose builds DATABASE_URL from POSTGRES_*: show it commented out"


# --------------------------------------------------------------------------------------------- (b) manifests
@pytest.mark.parametrize("plugin_id", sorted(MANIFESTS))
def test_every_manifest_has_a_compose_service(plugin_id):
    host = manifest_host(MANIFESTS[plugin_id])
    assert host in SPEC["services"], f"plugins/{plugin_id}.toml points at {host!r}: add it to docker-compose.yml"
    assert host in APIS, f"{host} must be a built, long-running API service"


@pytest.mark.parametrize(
    "service",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"{name}: its manifest has not landed yet"))
        if name in MANIFEST_PENDING
        else name
        for name in sorted(APIS)
    ],
)
def test_every_compose_api_has_a_manifest(service):
    hosts = {manifest_host(data): plugin_id for plugin_id, data in MANIFESTS.items()}
    assert service in hosts, f"{service} has no manifest in plugins/ (default_url http://{service}:5000)"


# --------------------------------------------------------------------------------------------- (c) compose
def test_compose_validates_against_the_compose_spec_schema():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(SPEC), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_schema_rejects_a_broken_file():
    schema = json.loads(SCHEMA.read_text())
    broken = {"services": {"x": {"image": "a", "depends_on": {"y": {"condition": "when_ready"}}, "bogus": 1}}}
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) >= 2


@pytest.mark.parametrize("name", sorted(n for n, s in SPEC["services"].items() if "build" in s))
def test_build_context_and_dockerfile_exist(name):
    service = SPEC["services"][name]
    if pending := source_pending(service):
        pytest.skip(f"{name}: {pending}")
    context, dockerfile, args = build_of(service)
    assert context.is_dir() and dockerfile.is_file()
    target = service["build"].get("target") if isinstance(service["build"], dict) else None
    if target:
        assert target in dockerfile_stages(dockerfile), f"{dockerfile.name} has no stage {target!r}"
    for package in filter(None, [args.get("SERVICE")]):
        assert (REPO_ROOT / package / "__init__.py").is_file()


def _stage_chain(dockerfile: Path, target: str | None) -> list[str]:
    """Instructions of the target stage and of the stages it is built FROM, the target's last."""
    stages = dockerfile_stages(dockerfile)
    name = target or list(stages)[-1]
    chain: list[str] = []
    while name in stages:
        chain = stages[name] + chain
        name = stages[name][0].split()[1]
    return chain


@pytest.mark.parametrize("name", sorted(n for n, s in SPEC["services"].items() if is_long_running(s)))
def test_every_long_running_service_has_a_healthcheck(name):
    service = SPEC["services"][name]
    check = service.get("healthcheck") or {}
    assert not check.get("disable"), f"{name}: healthcheck disabled"
    if check.get("test"):
        return
    assert "build" in service, f"{name}: an image service needs healthcheck.test in compose"
    if pending := source_pending(service):
        pytest.skip(f"{name}: {pending}")
    _, dockerfile, _ = build_of(service)
    target = service["build"].get("target") if isinstance(service["build"], dict) else None
    healthchecks = [i for i in _stage_chain(dockerfile, target) if i.upper().startswith("HEALTHCHECK")]
    assert healthchecks and "NONE" not in healthchecks[-1].upper(), f"{name}: no HEALTHCHECK in compose or image"


def test_python_images_are_multi_stage_non_root_with_healthcheck():
    dockerfile = REPO_ROOT / "docker" / "python-service.Dockerfile"
    for target in ("service", "bot"):
        chain = _stage_chain(dockerfile, target)
        users = [i.split()[1] for i in chain if i.upper().startswith("USER ")]
        assert users and users[-1].split(":")[0] not in ("root", "0"), target
        assert any(i.upper().startswith("HEALTHCHECK") for i in chain), target
    assert len(dockerfile_stages(dockerfile)) >= 3
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".env", ".git", "**/node_modules"} <= set(ignored)


def test_nothing_publishes_a_port_or_sets_a_container_name():
    for name, service in SPEC["services"].items():
        assert "ports" not in service, f"{name} publishes ports"
        assert "container_name" not in service, f"{name} sets container_name (two setups would collide)"
        assert service.get("network_mode") != "host", name


def test_postgres_is_durable_checked_and_private():
    postgres = SPEC["services"]["postgres"]
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in SPEC["volumes"], "the database lives in a named volume"
    check = " ".join(postgres["healthcheck"]["test"])
    assert "pg_isready" in check and "-h 127.0.0.1" in check, "over TCP: the image's init server has its socket only"
    assert not set(postgres["networks"]) & set(SPEC["services"]["bot"]["networks"]), "the bot cannot reach the DB"


def test_migrator_runs_once_and_every_api_waits_for_it():
    migrator = SPEC["services"]["db-migration-service"]
    assert str(migrator["restart"]) == "no" and "healthcheck" not in migrator
    for name, service in APIS.items():
        assert service["depends_on"]["db-migration-service"]["condition"] == "service_completed_successfully", name
        assert "buteco" in service["networks"], name
        assert service["restart"] in ("unless-stopped", "always") or service["restart"].startswith("on-failure")


@pytest.mark.parametrize("plugin_id", sorted(MANIFESTS))
def test_bot_waits_for_its_plugins(plugin_id):
    data, bot = MANIFESTS[plugin_id], SPEC["services"]["bot"]
    depends = bot["depends_on"].get(manifest_host(data))
    assert depends, f"bot: add depends_on {manifest_host(data)}"
    if data.get("health", {}).get("critical", True):
        assert depends["condition"] == "service_healthy", f"{plugin_id} is critical: the bot needs it healthy"


def test_bot_mounts_plugins_read_only():
    bot = SPEC["services"]["bot"]
    mounts = [m for m in bot["volumes"] if isinstance(m, dict) and m["target"] == "/app/plugins"]
    assert mounts and mounts[0]["source"] == "./plugins" and mounts[0]["read_only"] is True
    assert bot["environment"]["PLUGINS_DIR"] == "/app/plugins"


def test_local_llm_profile_is_optional():
    for name, service in SPEC["services"].items():
        if "ollama" in name:
            assert service.get("profiles") == ["local-llm"], name
        else:
            assert "profiles" not in service, f"{name} must start without a profile"
            for dep, cond in (service.get("depends_on") or {}).items():
                if SPEC["services"][dep].get("profiles"):
                    assert cond.get("required") is False, f"{name} -> {dep} must be required: false"
