"""After the chaos (tests/chaos/scenario.py): the books balance, nobody is negative, each key moved money once,
replays tell the truth, pending work healed itself without any member acting, and nobody got a 500."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.chaos.conftest import Chaos
from tests.chaos.scenario import HEAL_BOUND_S

pytestmark = pytest.mark.slow
MONEY_OPS = ("transfer", "posting", "daily", "bet", "hold", "capture", "release")
CLAIMS = (
    "SELECT c.idempotency_key, c.credited_at IS NOT NULL, t.idempotency_key,"
    " 'daily:' || c.guild_id || ':' || c.user_id || ':' || c.claim_number, c.amount,"
    " (SELECT sum(p.amount) FROM postings p WHERE p.transaction_id = t.id AND p.amount > 0)"
    " FROM daily_claims c LEFT JOIN ledger_transactions t ON t.id = c.transaction_id"
)
UNCLAIMED_MINTS = (  # a mint no claim points at, and what became of the claim its key names
    "SELECT t.idempotency_key, CASE WHEN c.id IS NULL THEN 'there is no such claim' WHEN c.voided_at IS NOT NULL"
    " THEN 'its claim was voided' ELSE 'its claim is still pending' END FROM ledger_transactions t"
    " LEFT JOIN daily_claims c ON t.idempotency_key = 'daily:' || c.guild_id || ':' || c.user_id || ':'"
    " || c.claim_number WHERE t.kind = 'daily' AND t.idempotency_key LIKE 'daily:%%'"
    " AND NOT EXISTS (SELECT 1 FROM daily_claims paid WHERE paid.transaction_id = t.id)"
)
STAKES = (
    "SELECT s.idempotency_key, s.confirmed_at IS NOT NULL, t.idempotency_key, 'bet:stake:' || s.id, s.amount,"
    " (SELECT -sum(p.amount) FROM postings p WHERE p.transaction_id = t.id AND p.amount < 0)"
    " FROM bet_stakes s LEFT JOIN ledger_transactions t ON t.id = s.transaction_id"
)
UNSTAKED_CHARGES = (  # a stake charge no stake points at, and what became of the stake its key names
    "SELECT t.idempotency_key, CASE WHEN s.id IS NULL THEN 'the stake was dropped'"
    " ELSE 'its stake is still pending' END FROM ledger_transactions t"
    " LEFT JOIN bet_stakes s ON t.idempotency_key = 'bet:stake:' || s.id WHERE t.kind = 'bet_stake'"
    " AND NOT EXISTS (SELECT 1 FROM bet_stakes confirmed WHERE confirmed.transaction_id = t.id)"
)


def listed(problems: list[str], limit: int = 12) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems[:limit])


def moved_once(chaos: Chaos, *, what: str, op: str, rows_sql: str, orphans_sql: str) -> list[str]:
    """rows_sql: (its key, done, key of its move, the key it must have, amount, amount moved) per row; a done row
    moved its amount by its own key, every move of the kind belongs to a done row (orphans_sql: (key, what became
    of its row)), and each key answered 2xx left a done row."""
    rows = chaos.sql(rows_sql)
    problems = [
        f"{what} {key}: moved {moved} by {move_key}, should be {amount} by {want_key}"
        for key, done, move_key, want_key, amount, moved in rows
        if done and (move_key, moved) != (want_key, amount)
    ]
    problems += [f"{key}: moved money, but {fate}" for key, fate in chaos.sql(orphans_sql)]
    return problems + answered_but_missing(chaos, op, {key for key, done, *_ in rows if done}, f"{what} done")


def answered_but_missing(chaos: Chaos, op: str, stored: set[str], what: str) -> list[str]:
    """Keys of op answered 2xx (a voided claim aside) that left no such row: the answer told the caller a lie."""
    return [
        f"{key}: answered {op} 2xx, but no {what} has this key"
        for key, answers in chaos.run.recorder.by_key().items()
        if answers[0].op == op
        and any(a.ok and not (a.ident or "").endswith("voided") for a in answers)
        and key not in stored
    ]


def test_the_chaos_really_happened(chaos: Chaos):
    """A suite whose traffic all failed, or whose faults hit nothing, would prove nothing."""
    sent = chaos.run.recorder.sent
    accepted = Counter(s.op for s in sent if s.ok)
    assert all(accepted[op] > 0 for op in ("transfer", "posting", "daily", "bet", "forget", "event")), accepted
    assert accepted["settle"] + accepted["cancel"] > 0, accepted
    assert sum(len(answers) > 1 for answers in chaos.run.recorder.by_key().values()) >= 50, "duplicate keys"
    killed = Counter(s.code for s in chaos.run.recorder.of(phase="balance_api kill -9"))
    assert killed["credit_pending"] + killed["stake_pending"] > 0, killed
    assert chaos.run.stranded and len(chaos.run.economy.forgotten) > len(chaos.run.stranded)


def test_every_guild_audit_balances(chaos: Chaos):
    for guild in chaos.guild_ids:
        audit = chaos.ledger.get(f"/guilds/{guild}/audit")
        assert audit.status_code == 200 and audit.json()["balanced"] is True, audit.text
    unbalanced = chaos.sql(
        "SELECT t.id FROM ledger_transactions t JOIN postings p ON p.transaction_id = t.id"
        " GROUP BY t.id HAVING sum(p.amount) <> 0 OR count(*) < 2"
    )
    assert unbalanced == []


def test_no_member_is_ever_negative(chaos: Chaos):
    assert chaos.sql("SELECT count(*) FROM accounts WHERE user_id IS NOT NULL AND balance < 0") == [(0,)]
    overdrawn = chaos.sql(
        "SELECT count(*) FROM postings p JOIN accounts a ON a.id = p.account_id"
        " WHERE a.user_id IS NOT NULL AND p.balance_after < 0"
    )
    assert overdrawn == [(0,)], "no posting ever left a member below zero"


def test_each_transfer_and_posting_key_moved_money_once(chaos: Chaos):
    stored = {
        key: (str(id_), moved)
        for key, id_, moved in chaos.sql(
            "SELECT t.idempotency_key, t.id, sum(p.amount) FILTER (WHERE p.amount > 0) FROM ledger_transactions t"
            " JOIN postings p ON p.transaction_id = t.id WHERE t.kind IN ('transfer', 'ai_usage') GROUP BY t.id"
        )
    }
    problems = []
    for key, answers in chaos.run.recorder.by_key().items():
        if answers[0].op not in ("transfer", "posting"):
            continue
        accepted = {a.ident for a in answers if a.ok}
        moved_id, moved = stored.get(key, (None, None))
        expected = chaos.run.economy.intents[key].body
        amount = expected.get("amount") or max(p["amount"] for p in expected.get("postings", []))
        if accepted and accepted != {moved_id}:
            problems.append(f"{key}: answered transaction(s) {accepted}, the ledger holds {moved_id}")
        if moved_id is not None and moved != amount:
            problems.append(f"{key}: moved {moved}, asked {amount}")
    assert not problems, listed(problems)


def test_each_daily_claim_minted_once(chaos: Chaos):
    problems = moved_once(chaos, what="claim", op="daily", rows_sql=CLAIMS, orphans_sql=UNCLAIMED_MINTS)
    assert not problems, listed(problems)


def test_each_stake_and_settlement_moved_money_once(chaos: Chaos):
    problems = moved_once(chaos, what="stake", op="bet", rows_sql=STAKES, orphans_sql=UNSTAKED_CHARGES)
    events = chaos.sql(
        "SELECT e.id, e.status, coalesce(a.balance, 0), (SELECT count(*) FROM ledger_transactions t"
        "  WHERE t.idempotency_key IN ('bet:settle:' || e.id, 'bet:refund:' || e.id)),"
        " (SELECT coalesce(sum(s.amount), 0) FROM bet_stakes s WHERE s.event_id = e.id AND s.confirmed_at IS NOT NULL)"
        " FROM bet_events e LEFT JOIN accounts a ON a.guild_id = e.guild_id AND a.system_code = 'escrow:bet:' || e.id"
    )
    for event_id, status, escrow, closings, staked in events:
        closed = status in ("settled", "cancelled")
        want = (0, 1 if staked else 0) if closed else (staked, 0)
        if (escrow, closings) != want:
            problems.append(
                f"event {event_id} ({status}): escrow {escrow}, {closings} closing move(s), staked {staked}"
            )
    assert not problems, listed(problems)


def test_each_hold_moved_money_once(chaos: Chaos):
    holds = chaos.sql(
        "SELECT idempotency_key, status, hold_transaction_id IS NOT NULL, final_transaction_id IS NOT NULL FROM holds"
    )
    problems = [
        f"hold {key} ({status}): final move {final}"
        for key, status, held, final in holds
        if not held or final != (status != "held")
    ]
    problems += answered_but_missing(chaos, "hold", {key for key, *_ in holds}, "hold")
    assert holds and not problems, listed(problems)


def test_replays_answer_the_first_result(chaos: Chaos):
    """Once a key was answered, every later answer to it is that one, and a replay after the chaos (forget-me
    included) says Idempotent-Replayed."""
    problems = []
    for key, answers in chaos.run.recorder.by_key().items():
        first = next((a for a in sorted(answers, key=lambda a: a.at) if a.ok), None)
        if first is None or first.op not in (*MONEY_OPS, "event"):
            continue
        for answer in answers:
            if answer is first:
                continue
            agrees = answer.ok and answer.ident == first.ident
            if answer.phase == "replay":
                wrong = not (agrees and answer.replayed)
            else:
                wrong = (answer.ok and not agrees) or (answer.at > first.at and 400 <= (answer.status or 0) < 500)
            if wrong:
                forgotten = set(chaos.run.economy.intents[key].members) & chaos.run.economy.forgotten
                note = " (a member it names was forgotten)" if forgotten else ""
                problems.append(
                    f"{first.op} {key}: first {first.label} #{first.ident}, then {answer.label} #{answer.ident}"
                    f"{' replayed' if answer.replayed else ''} in {answer.phase}{note}"
                )
    assert not problems, listed(problems)


def test_pending_work_heals_itself_after_each_fault(chaos: Chaos):
    slow = [r for r in chaos.run.recoveries if r.phase != "final" and r.seconds is None]
    assert not slow, "\n".join(
        f"{r.phase}: owed {r.owed_at_start} when the fault ended, still {r.owed_at_end} {HEAL_BOUND_S:.0f} s later"
        " with no member acting"
        for r in slow
    )


def test_nothing_is_left_pending_after_recovery(chaos: Chaos):
    final = chaos.run.recovery("final")
    assert sum(final.owed_at_end.values()) == 0, f"still owed after every fault healed: {final.owed_at_end}"
    stale = chaos.sql("SELECT count(*) FROM holds WHERE status = 'held' AND expires_at < now() - interval '5 seconds'")
    assert stale == [(0,)], "holds past their expiry that the sweeper never released"


def test_no_request_got_a_500(chaos: Chaos):
    crashes = Counter(f"{s.phase}: {s.op} {s.label}" for s in chaos.run.recorder.sent if s.status == 500)
    assert not crashes, dict(crashes.most_common())
