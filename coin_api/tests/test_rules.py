"""The streak, amount and cooldown rules alone, with an injected `now`: no database, no clock."""

from datetime import UTC, datetime, timedelta

import pytest

from coin_api import rules
from coin_api.rules import DailyRules, LastClaim

RULES = DailyRules(amount=100, cooldown_s=86_400, streak_bonus=10, streak_max_days=7, grace_s=172_800)
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def after(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def last(streak: int = 1, number: int = 1) -> LastClaim:
    return LastClaim(claim_number=number, streak=streak, claimed_at=T0)


def test_the_first_claim_is_number_one_with_streak_one_and_the_base_amount():
    plan = rules.plan_claim(last=None, now=T0, rules=RULES)
    assert (plan.claim_number, plan.streak, plan.amount) == (1, 1, 100)
    assert rules.can_claim(last=None, now=T0, rules=RULES)
    assert rules.next_claim_at(last=None, rules=RULES) is None


def test_the_cooldown_is_rolling_from_the_previous_claim():
    assert rules.next_claim_at(last=last(), rules=RULES) == after(days=1)
    assert not rules.can_claim(last=last(), now=after(hours=23, minutes=59, seconds=59), rules=RULES)
    assert rules.can_claim(last=last(), now=after(days=1), rules=RULES)


def test_a_claim_within_the_grace_period_continues_the_streak():
    plan = rules.plan_claim(last=last(streak=3, number=5), now=after(days=1, hours=5), rules=RULES)
    assert (plan.claim_number, plan.streak, plan.amount) == (6, 4, 130)
    assert rules.next_streak(last=last(streak=3), now=after(days=2), rules=RULES) == 4


def test_a_claim_after_the_grace_period_starts_over_but_keeps_numbering():
    plan = rules.plan_claim(last=last(streak=6, number=9), now=after(days=2, seconds=1), rules=RULES)
    assert (plan.claim_number, plan.streak, plan.amount) == (10, 1, 100)


@pytest.mark.parametrize(
    ("streak", "amount"),
    [(1, 100), (2, 110), (7, 160), (8, 170), (9, 170), (30, 170), (1000, 170)],
)
def test_the_streak_bonus_is_capped_at_max_days(streak, amount):
    assert rules.claim_amount(streak=streak, rules=RULES) == amount


def test_no_bonus_settings_pay_the_base_amount_forever():
    flat = DailyRules(amount=50, cooldown_s=10, streak_bonus=0, streak_max_days=7, grace_s=20)
    assert rules.claim_amount(streak=12, rules=flat) == 50
    capless = DailyRules(amount=50, cooldown_s=10, streak_bonus=5, streak_max_days=0, grace_s=20)
    assert rules.claim_amount(streak=12, rules=capless) == 50


def test_current_streak_is_zero_once_the_grace_period_has_run_out():
    assert rules.current_streak(last=None, now=T0, rules=RULES) == 0
    assert rules.current_streak(last=last(streak=4), now=after(days=2), rules=RULES) == 4
    assert rules.current_streak(last=last(streak=4), now=after(days=2, microseconds=1), rules=RULES) == 0


def test_a_week_of_daily_claims_grows_the_streak_and_the_amount():
    previous, amounts = None, []
    for day in range(10):
        now = after(days=day, minutes=day)
        assert rules.can_claim(last=previous, now=now, rules=RULES)
        plan = rules.plan_claim(last=previous, now=now, rules=RULES)
        amounts.append(plan.amount)
        previous = LastClaim(plan.claim_number, plan.streak, now)
    assert amounts == [100, 110, 120, 130, 140, 150, 160, 170, 170, 170]
    assert previous.claim_number == previous.streak == 10
