"""The daily reward's rules as pure functions of the previous claim and an injected `now`, so they test alone."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class DailyRules:
    """The tuning of the reward, copied from the settings so the rules never read the environment."""

    amount: int
    cooldown_s: int
    streak_bonus: int
    streak_max_days: int
    grace_s: int


@dataclass(frozen=True)
class LastClaim:
    """What the rules need to know about a member's latest claim in a guild."""

    claim_number: int
    streak: int
    claimed_at: datetime


@dataclass(frozen=True)
class NextClaim:
    """The claim a member would make now: its number, streak and amount."""

    claim_number: int
    streak: int
    amount: int


def next_claim_at(*, last: LastClaim | None, rules: DailyRules) -> datetime | None:
    """The cooldown is rolling: it starts at the previous claim, not at midnight."""
    return None if last is None else last.claimed_at + timedelta(seconds=rules.cooldown_s)


def can_claim(*, last: LastClaim | None, now: datetime, rules: DailyRules) -> bool:
    """A member may claim once the cooldown since their previous claim has passed."""
    due = next_claim_at(last=last, rules=rules)
    return due is None or now >= due


def streak_alive(*, last: LastClaim | None, now: datetime, rules: DailyRules) -> bool:
    """A streak survives while the next claim comes within the grace period of the previous one."""
    return last is not None and now - last.claimed_at <= timedelta(seconds=rules.grace_s)


def next_streak(*, last: LastClaim | None, now: datetime, rules: DailyRules) -> int:
    """Consecutive days claimed, counting the claim made now."""
    return last.streak + 1 if last is not None and streak_alive(last=last, now=now, rules=rules) else 1


def claim_amount(*, streak: int, rules: DailyRules) -> int:
    """The base amount plus a bonus per consecutive day, capped so a long streak cannot run away."""
    return rules.amount + rules.streak_bonus * min(streak - 1, rules.streak_max_days)


def plan_claim(*, last: LastClaim | None, now: datetime, rules: DailyRules) -> NextClaim:
    """The claim made at `now`, whether or not the cooldown allows it (the caller checks that)."""
    streak = next_streak(last=last, now=now, rules=rules)
    number = 1 if last is None else last.claim_number + 1
    return NextClaim(claim_number=number, streak=streak, amount=claim_amount(streak=streak, rules=rules))


def current_streak(*, last: LastClaim | None, now: datetime, rules: DailyRules) -> int:
    """The streak a member holds now: zero once the grace period has run out."""
    return last.streak if last is not None and streak_alive(last=last, now=now, rules=rules) else 0
