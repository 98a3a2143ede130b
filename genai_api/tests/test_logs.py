"""Prompts, completions and provider keys never reach genai_api's logs; sizes and latency do."""

import pytest

from genai_api.tests.fake_providers import chat_completion, google_error, openai_error
from genai_api.tests.support import GEMINI_KEY, OPENAI_KEY, gemini_env, openai_env

pytestmark = pytest.mark.slow

PROMPT = "segredo-do-prompt: qual a senha do cofre do bar?"
SYSTEM = "instrucao-de-sistema-confidencial"
COMPLETION = "resposta-que-so-o-membro-ve"


@pytest.fixture(scope="module")
def services(fake_openai, fake_gemini, start_genai):
    return (start_genai(env=openai_env(fake_openai)), start_genai(env=gemini_env(fake_gemini)))


def test_logs_carry_sizes_and_latency_but_no_prompt_completion_or_key(services, fake_openai, fake_gemini, connect):
    openai_service, gemini_service = services
    openai, gemini = connect(openai_service), connect(gemini_service)
    request = {"prompt": PROMPT, "system_prompt": SYSTEM}

    fake_openai.script(json=chat_completion(COMPLETION, model="gpt-4.1-mini"))
    assert openai.post("/generate", json=request).json()["text"] == COMPLETION
    fake_openai.script(status=401, json=openai_error(f"Incorrect API key provided: {OPENAI_KEY}.", "invalid_api_key"))
    assert openai.post("/generate", json=request).status_code == 502
    fake_openai.script(status=200, body=f'{{"echo": "{PROMPT}"'.encode())
    assert openai.post("/generate", json=request).status_code == 502

    assert gemini.post("/generate", json=request).status_code == 200
    fake_gemini.script(status=400, json=google_error(400, f"API key not valid: {GEMINI_KEY}", "INVALID_ARGUMENT"))
    assert gemini.post("/generate", json=request).status_code == 502

    for service in services:
        service.stop()
        logs = service.logs()
        assert "generate" in logs and f"prompt_chars={len(PROMPT)}" in logs and "latency_ms=" in logs, logs
        for secret in (PROMPT, SYSTEM, COMPLETION, OPENAI_KEY, GEMINI_KEY, "qual a senha"):
            assert secret not in logs, f"{secret!r} leaked into {service.log_path}"
