"""A provider cannot hurt genai_api or the bot: its answer is read up to a cap, its JSON must decode, and the text
and model it returns are cut to what the bot can show."""

import time
from pathlib import Path

import httpx
import pytest

from genai_api.tests.fake_providers import FakeOpenAI, chat_completion
from genai_api.tests.support import assert_error, openai_env

pytestmark = pytest.mark.slow

CAP = 1024 * 1024  # GENAI_MAX_RESPONSE_BYTES' default


@pytest.fixture(scope="module")
def service(fake_openai: FakeOpenAI, start_genai):
    return start_genai(env=openai_env(fake_openai, GENAI_TIMEOUT_S="20"))


@pytest.fixture(scope="module")
def api(service, connect) -> httpx.Client:
    return connect(service)


def rss_mb(pid: int) -> float:
    """The resident memory of a process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024


def test_a_declared_body_over_the_cap_is_refused_unread(api, fake_openai):
    fake_openai.script(body=b"x" * (CAP + 1))
    body = assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_bad_response")
    assert f"larger than {CAP} bytes" in body["detail"] and "GENAI_MAX_RESPONSE_BYTES" in body["detail"]


def test_a_200_mb_stream_is_cut_at_the_cap_and_memory_stays_flat(api, fake_openai, service):
    before = rss_mb(service.pid)
    fake_openai.script(body=b" " * 65536, repeat=3200)  # 200 MiB of whitespace, chunked, no Content-Length
    started = time.monotonic()
    assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_bad_response")
    assert time.monotonic() - started < 10
    assert fake_openai.streamed < 32 * 1024 * 1024, "genai_api hung up soon after the cap"
    assert rss_mb(service.pid) - before < 40, "nothing like 200 MB was kept"


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000, b'{"choices": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", b'{"model": "\xff\xfe"}'],
    ids=["nested-100k", "deep-but-balanced", "not-utf8"],
)
def test_an_undecodable_or_over_deep_body_is_a_502_provider_bad_response(api, fake_openai, raw):
    fake_openai.script(body=raw)
    assert_error(api.post("/generate", json={"prompt": "hi"}), 502, "provider_bad_response")
    assert api.get("/health").json()["status"] == "ok", "the service lives on"


def test_a_huge_model_name_is_cut_to_100_characters_without_controls(api, fake_openai):
    answer = chat_completion("ok", model="x")
    answer["model"] = "gpt\x1b[31m-" + "m" * 100_000
    fake_openai.script(json=answer)
    response = api.post("/generate", json={"prompt": "hi"})
    assert response.status_code == 200, response.text
    assert response.json()["model"] == ("gpt[31m-" + "m" * 100)[:100]


def test_a_model_name_of_controls_only_falls_back_to_the_one_asked_for(api, fake_openai):
    answer = chat_completion("ok", model="x")
    answer["model"] = "\x00\x1b"
    fake_openai.script(json=answer)
    assert api.post("/generate", json={"prompt": "hi", "model": "llama3.1:8b"}).json()["model"] == "llama3.1:8b"


def test_a_completion_longer_than_the_bot_can_use_is_cut(api, fake_openai):
    fake_openai.script(json=chat_completion("w" * 60_000, model="m"))
    response = api.post("/generate", json={"prompt": "hi"})
    assert response.status_code == 200 and response.json()["text"] == "w" * 50_000
