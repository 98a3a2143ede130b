"""Every Python service answers only what its OpenAPI says: Schemathesis drives each operation of real processes.

The five services run as in production, on one migrated database (genai_api on none, against a fake provider);
Schemathesis reads each /openapi.json and sends its examples, its boundary cases and a bounded number of generated
requests per operation (fixed seed), valid and invalid, failing on any 5xx or an answer the schema does not
describe: status, content type, headers, body (error bodies and their codes included), an invalid request accepted.
Schemathesis' engine runs here (its pytest plugin does not run on this pytest), one service per test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.engine import Status, events

from buteco_dev.credentials import TEST_TOKENS, auth_headers
from buteco_dev.processes import ServiceGroup, ServiceProcess
from genai_api.tests.fake_providers import FakeOpenAI
from service_kit.types import SNOWFLAKE_PATTERN

pytestmark = pytest.mark.slow

SEED = 20261129
MAX_EXAMPLES = 200
"""Generated requests per operation (the fuzzing phase); examples and boundary cases come on top."""
MIN_CASES = 50
"""Fewer requests than this for a whole service means Schemathesis skipped it, which fails too."""
SERVICES = ("client_api", "balance_api", "coin_api", "bet_api", "genai_api")
NOT_PLAIN_DIGITS = ("1.0", "+1", "%201", "1%20", "01", "1e3", "0x1", "1_000", "%EF%BC%91")
"""How a number can be spelt that int() or a lax validator would still read: each must be a 422, never 1."""


@dataclass
class Run:
    """What one Schemathesis run sent and found."""

    cases: int = 0
    failures: list[str] = field(default_factory=list)


def _sent(case: schemathesis.Case, loc: list) -> Any:
    """The value the case sent at a validation error's location (["body", "postings", 0, "amount"])."""
    where, *path = loc
    value = {"body": case.body, "path": case.path_parameters, "query": case.query}.get(where)
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _integral_float(value: Any) -> bool:
    """5.0 is an integer to JSON Schema; the services refuse a decimal point in an id or an amount on purpose."""
    return isinstance(value, float) and value.is_integer()


@schemathesis.check
def valid_requests_pass_validation(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """A request the schema calls valid may break a business rule (a 4xx with its own code), never validation."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return
    body = response.json()
    if body.get("code") != "invalid_request":
        return
    if all(_integral_float(_sent(case, error["loc"])) for error in body.get("errors") or [{"loc": ["-"]}]):
        return
    raise AssertionError(f"the schema accepts what validation refused: {body['detail']}")


def _config(base_url: str) -> schemathesis.Config:
    """The bot's credential on every request (ignored_auth probes without it); no stateful phase: no links.

    positive_data_acceptance would also count a business rule's 422 (self_transfer, unbalanced_transaction) as a
    schema lie; valid_requests_pass_validation above is the same check, told apart by the code.
    """
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "headers": {"Authorization": f"Bearer {TEST_TOKENS['bot']}"},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "checks": {"positive_data_acceptance": {"enabled": False}},
            "request-timeout": 30,
        }
    )


def _failed_checks(event: events.ScenarioFinished) -> Iterator[str]:
    for checks in event.recorder.checks.values():
        for check in checks:
            if check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                yield (
                    f"{event.recorder.label} [{event.phase.value}] {check.name}: {failure.title}\n"
                    f"{failure.message}\n{check.failure_info.code_sample}"
                )


def drive(url: str) -> Run:
    """Run every phase but the stateful one against the service at url, as published at its /openapi.json."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", config=_config(url))
    run = Run()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            run.cases += len(event.recorder.cases)
            run.failures.extend(_failed_checks(event))
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            run.failures.append(f"{type(event).__name__}: {getattr(event, 'value', None) or event.exception}")
        elif isinstance(event, events.EngineFinished):
            run.failures.extend(f"{failure.title}: {failure.message}" for failure in event.failures)
    return run


@pytest.fixture(scope="module")
def services(module_start_service, tmp_path_factory) -> Iterator[dict[str, ServiceProcess]]:
    """The stack on one database: coin_api and bet_api really call balance_api; genai_api has no database."""
    fake_openai = FakeOpenAI().start()
    balance = module_start_service("balance_api.main")
    running = {
        "balance_api": balance,
        "client_api": module_start_service("client_api.main"),
        "coin_api": module_start_service("coin_api.main", env={"BALANCE_API_URL": balance.url}),
        "bet_api": module_start_service("bet_api.main", env={"BALANCE_API_URL": balance.url}),
    }
    with ServiceGroup(None, tmp_path_factory.mktemp("genai")) as tableless:
        running["genai_api"] = tableless.start(
            "genai_api.main",
            {"GENAI_PROVIDER": "openai", "OPENAI_BASE_URL": f"{fake_openai.url}/v1", "OPENAI_MODEL": "gpt-4.1-mini"},
        )
        try:
            yield running
        finally:
            fake_openai.stop()


@pytest.mark.parametrize("name", SERVICES)
def test_every_answer_is_one_the_contract_describes(services, name):
    run = drive(services[name].url)
    assert not run.failures, f"{len(run.failures)} failures in {run.cases} cases:\n\n" + "\n\n".join(run.failures)
    assert run.cases >= MIN_CASES, f"{name}: only {run.cases} cases ran"


def _numbers_in_the_url(spec: dict) -> Iterator[tuple[str, str, str, str]]:
    """(method, path template, location, name) of every id or number an operation reads from its URL."""
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema, where = parameter["schema"], parameter["in"]
                an_id = where == "path" and schema.get("pattern") == SNOWFLAKE_PATTERN
                a_number = where == "query" and "integer" in (schema.get("type"), *map(str, schema.get("anyOf", [])))
                if an_id or a_number:
                    yield method.upper(), path, where, parameter["name"]


def _spelt(template: str, parameter: str, spelling: str) -> str:
    """The path with `parameter` spelt so and every other id 1."""
    return re.sub(r"\{(\w+)\}", lambda match: spelling if match[1] == parameter else "1", template)


@pytest.mark.parametrize("name", SERVICES)
def test_numbers_in_urls_are_plain_digits(services, name):
    url = services[name].url
    spec = httpx.get(f"{url}/openapi.json", timeout=10).json()
    probed = 0
    with httpx.Client(base_url=url, headers=auth_headers(**{"Idempotency-Key": "probe"}), timeout=30) as client:
        for method, template, where, parameter in _numbers_in_the_url(spec):
            for spelling in NOT_PLAIN_DIGITS:
                path = _spelt(template, parameter if where == "path" else "", spelling)
                target = f"{path}?{parameter}={spelling}" if where == "query" else path
                answer = client.request(method, target, json={})
                locations = [error["loc"] for error in answer.json().get("errors") or []]
                assert answer.status_code == 422 and [where, parameter] in locations, (method, target, answer.text)
                probed += 1
    assert probed or name == "genai_api", f"{name} reads no number from a URL"
