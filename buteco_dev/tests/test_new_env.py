"""`make env` (scripts/new-env): a .env with fresh credentials that compose accepts, never over an existing one."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

from buteco_dev import REPO_ROOT
from buteco_dev.catalogue import compose
from buteco_dev.credentials import is_secret
from buteco_dev.environment import ENV_EXAMPLE, env_example_entries, secrets_of

NEW_ENV = REPO_ROOT / "scripts" / "new-env"
FROM_ELSEWHERE = {"DISCORD_TOKEN", "OPENAI_API_KEY", "GEMINI_API_KEY"}  # issued by Discord or a provider


def new_env(output: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEW_ENV), "--output", str(output)], capture_output=True, text=True, check=False)


def values(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return dict(pairs)


def test_every_credential_gets_a_fresh_value_and_the_rest_is_the_example(tmp_path):
    first, second = tmp_path / "first.env", tmp_path / "second.env"
    assert new_env(first).returncode == 0 and new_env(second).returncode == 0
    listed = {name for name, entry in env_example_entries().items() if not entry.commented_out}
    generated = {name for name in listed if is_secret(name)} - FROM_ELSEWHERE  # a `# NAME=` line stays as it is
    one, two = values(first), values(second)
    for name in generated:
        assert len(one[name]) >= 16 and one[name].isalnum(), name  # URL-safe, as DATABASE_URL needs
        assert one[name] != two[name], f"{name} must be random, not a default"
    assert len({one[name] for name in generated}) == len(generated), "each credential is its own"
    assert all(one[name] == "" for name in FROM_ELSEWHERE)
    changed = [
        (a, b)
        for a, b in zip(ENV_EXAMPLE.read_text().splitlines(), first.read_text().splitlines(), strict=True)
        if a != b
    ]
    assert sorted(a for a, _ in changed) == sorted(f"{name}=" for name in generated)
    assert all(b.startswith(a) for a, b in changed)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600


def test_it_fills_everything_compose_requires_but_the_discord_token(tmp_path):
    path = tmp_path / ".env"
    done = new_env(path)
    assert "set DISCORD_TOKEN" in done.stdout
    written = values(path)
    needed = set().union(*(secrets_of(service) for service in compose()["services"].values())) - FROM_ELSEWHERE
    assert needed and all(written.get(name) for name in needed), sorted(n for n in needed if not written.get(n))


def test_it_refuses_to_overwrite_an_existing_env(tmp_path):
    path = tmp_path / ".env"
    path.write_text("BOT_API_TOKEN=in-use-by-production-1234\n")
    done = new_env(path)
    assert done.returncode != 0
    assert f"{path} already exists; not overwriting it" in done.stderr
    assert path.read_text() == "BOT_API_TOKEN=in-use-by-production-1234\n"


def test_make_env_runs_the_script():
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "\nenv:\n\tscripts/new-env\n" in makefile and NEW_ENV.stat().st_mode & stat.S_IXUSR
