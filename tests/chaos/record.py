"""Every request the chaos traffic sends and what came back, and the figures docs/reliability.md quotes."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

NO_ANSWER = "no answer"


@dataclass(frozen=True)
class Sent:
    """One request: the phase, the operation, its key, and the answer (status None: the connection failed)."""

    phase: str
    op: str
    key: str | None
    status: int | None
    code: str | None
    ident: str | None  # what the answer names: a transaction id, a claim number, a stake id
    replayed: bool
    at: float  # seconds since the run started, when the answer (or the failure) came
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def label(self) -> str:
        """How the answer is counted: "201", "503 credit_pending", "no answer (ConnectError)"."""
        if self.status is None:
            return f"{NO_ANSWER} ({self.error})"
        return f"{self.status} {self.code}" if self.code else str(self.status)


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return "not json"
    return body.get("code") if isinstance(body, dict) else None


def _ident(response: httpx.Response, pick: Callable[[dict], object] | None) -> str | None:
    if pick is None or not 200 <= response.status_code < 300:
        return None
    try:
        value = pick(response.json())
    except (ValueError, KeyError, TypeError):
        return "unreadable"
    return None if value is None else str(value)


@dataclass
class Recorder:
    """Sends through httpx and keeps one Sent per request; phase says which part of the scenario is running."""

    phase: str = "setup"
    sent: list[Sent] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    marks: dict[str, float] = field(default_factory=dict)

    def now(self) -> float:
        return time.monotonic() - self.started

    def mark(self, name: str) -> float:
        """Remember when something happened (a kill, a restart), in the same clock as the answers."""
        self.marks[name] = self.now()
        return self.marks[name]

    async def send(
        self,
        client: httpx.AsyncClient,
        op: str,
        method: str,
        path: str,
        *,
        key: str | None = None,
        json: dict | None = None,
        ident: Callable[[dict], object] | None = None,
    ) -> Sent:
        headers = {"Idempotency-Key": key} if key else {}
        try:
            response = await client.request(method, path, json=json, headers=headers)
        except httpx.TransportError as exc:
            answer = Sent(self.phase, op, key, None, None, None, False, self.now(), type(exc).__name__)
        else:
            replayed = response.headers.get("Idempotent-Replayed") == "true"
            code = None if response.is_success else _code(response)
            answer = Sent(
                self.phase, op, key, response.status_code, code, _ident(response, ident), replayed, self.now()
            )
        self.sent.append(answer)
        return answer

    def of(self, *, phase: str | None = None, op: str | None = None) -> list[Sent]:
        return [s for s in self.sent if (phase is None or s.phase == phase) and (op is None or s.op == op)]

    def by_key(self) -> dict[str, list[Sent]]:
        keyed: dict[str, list[Sent]] = {}
        for answer in self.sent:
            if answer.key:
                keyed.setdefault(answer.key, []).append(answer)
        return keyed

    def first_ok_after(self, mark: str, phase: str) -> dict[str, float]:
        """Per operation, seconds from a mark to the first success answered after it in the same phase: recovery
        as callers see it."""
        since, firsts = self.marks[mark], {}
        for answer in self.of(phase=phase):
            if answer.ok and answer.at >= since:
                firsts.setdefault(answer.op, round(answer.at - since, 2))
        return dict(sorted(firsts.items()))

    def figures(self) -> dict:
        """Requests and answers by phase, by operation and by status, for the report and docs/reliability.md."""
        phases: dict[str, dict] = {}
        for answer in self.sent:
            figures = phases.setdefault(answer.phase, {"requests": 0, "answers": Counter(), "by_op": {}})
            figures["requests"] += 1
            figures["answers"][answer.label] += 1
            figures["by_op"].setdefault(answer.op, Counter())[answer.label] += 1
        totals = Counter(answer.label for answer in self.sent)
        return {
            "requests": len(self.sent),
            "answers": dict(totals.most_common()),
            "phases": {
                name: {
                    "requests": f["requests"],
                    "answers": dict(f["answers"].most_common()),
                    "by_op": {op: dict(c.most_common()) for op, c in sorted(f["by_op"].items())},
                }
                for name, f in phases.items()
            },
            "marks": {name: round(at, 2) for name, at in self.marks.items()},
        }
