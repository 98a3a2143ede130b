"""How the end-to-end benchmark times commands: an open-loop driver, and a trace of the bot's HTTP requests with
each service's Server-Timing; also how an answer is told to be an error."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

import aiohttp

from buteco_bot.core.i18n import t

ANSWER_S = 15.0  # a command with no final message after this counts as failed
TIMING = re.compile(r"(\w+);dur=([\d.]+)")


class Trace:
    """Every HTTP request the bot makes: which service, its wall time, and the service's own Server-Timing."""

    def __init__(self, services: dict[int, str]) -> None:
        self.services, self.requests = services, []

    def config(self) -> aiohttp.TraceConfig:
        traced = aiohttp.TraceConfig()

        async def started(session, ctx, params) -> None:
            ctx.began = time.perf_counter()

        async def ended(session, ctx, params) -> None:
            timing = {k: float(v) for k, v in TIMING.findall(params.response.headers.get("Server-Timing", ""))}
            name = self.services.get(params.url.port, f"port {params.url.port}")
            self.requests.append((name, (time.perf_counter() - ctx.began) * 1000, timing, ctx.began))

        traced.on_request_start.append(started)
        traced.on_request_end.append(ended)
        traced.freeze()
        return traced

    def split(self, commands: int) -> dict:
        """Per command, on average: requests, wall ms the bot waited, and the service's app/db ms, per service."""
        per: dict[str, dict] = {}
        for name, wall, timing, _ in self.requests:
            row = per.setdefault(name, {"requests": 0, "wall_ms": 0.0, "app_ms": 0.0, "db_ms": 0.0, "timed": 0})
            row["requests"] += 1
            row["wall_ms"] += wall
            if "app" in timing:
                row["timed"] += 1
                row["app_ms"] += timing["app"]
                row["db_ms"] += timing.get("db", 0.0)
        for row in per.values():
            timed = row.pop("timed")
            for key in ("requests", "wall_ms", "app_ms", "db_ms"):
                row[key] = round(row[key] / max(1, commands), 2)
            if not timed:
                row["app_ms"] = row["db_ms"] = None  # the service sent no Server-Timing header
        return per

    def waited(self, spans: list[tuple[float, float]]) -> float:
        """Mean ms per command during which at least one request begun within the command was in flight (the
        union of their intervals): what the bot spent waiting for services. Exact when commands do not overlap."""
        total = 0.0
        for began, ended in spans:
            mine = sorted((s, min(ended, s + wall / 1000)) for _, wall, _, s in self.requests if began <= s <= ended)
            reach = began
            for start, stop in mine:
                total += max(0.0, stop - max(start, reach))
                reach = max(reach, stop)
        return round(total * 1000 / max(1, len(spans)), 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))], 1) if ordered else 0.0


def shape_of(message) -> str:
    """What kind of answer it was, digits blurred: a tally of these shows whether all succeeded, and why not."""
    words = " ".join(
        [message.content or "", *(f"{e.get('title') or ''}: {e.get('description') or ''}" for e in message.embeds)]
    )
    return re.sub(r"\d[\d ,.]*", "#", words.strip())[:80]


def is_error(answer: str) -> bool:
    """An exception or timeout here, or the bot's error embed (a fault or a refusal)."""
    titles = (t("en-US", "errors.title"), t("en-US", "errors.refused_title"))
    return answer.startswith("failed") or any(title in answer for title in titles)


async def open_loop(rate: float, seconds: float, fire: Callable[[], Awaitable[str]]) -> dict:
    """Command n is due at start + n/rate and invoked then however many are in flight; latency from its due time."""

    async def timed(due: float) -> tuple[float, str]:
        began = time.perf_counter()
        try:
            answer = await fire()
        except Exception as exc:
            answer = f"failed: {type(exc).__name__}"
        spans.append((began, time.perf_counter()))
        return (spans[-1][1] - due) * 1000, answer

    start, tasks, spans = time.perf_counter() + 0.05, [], []
    for n in range(max(1, round(rate * seconds))):
        due = start + n / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(timed(due)))
    done = await asyncio.gather(*tasks)
    latencies = [ms for ms, _ in done]
    answers: dict[str, int] = {}
    for _, answer in done:
        answers[answer] = answers.get(answer, 0) + 1
    return {
        "offered_per_second": rate,
        "commands": len(done),
        "failed": sum(n for a, n in answers.items() if is_error(a)),
        "mean_ms": round(sum(latencies) / len(latencies), 1),
        "p50_ms": percentile(latencies, 0.50),
        "p90_ms": percentile(latencies, 0.90),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": round(max(latencies), 1),
        "answers": answers,
        "spans": spans,
    }
