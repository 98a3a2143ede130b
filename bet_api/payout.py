"""The payout arithmetic as pure functions, so the property that no coin is created or lost tests alone."""

from dataclasses import dataclass

WON, LOST, REFUNDED = "won", "lost", "refunded"


@dataclass(frozen=True)
class Stake:
    """A bet at settlement time: its id (earlier bets have smaller ids), its side and its confirmed amount."""

    bet_id: int
    outcome_id: int
    amount: int


@dataclass(frozen=True)
class Result:
    """What one bet gets back: won (its share of the pool), lost (nothing) or refunded (its own stake)."""

    bet_id: int
    result: str
    payout: int


def split_pool(winners: list[Stake], pool: int) -> dict[int, int]:
    """Each winner gets ⌊stake × pool ÷ winning pool⌋, and the coins left by rounding go one each to the
    largest fractional remainders, ties to the earliest bet, so the payouts sum to exactly the pool."""
    winning_pool = sum(stake.amount for stake in winners)
    if winning_pool <= 0 or pool < winning_pool:
        raise ValueError("the winning side must hold coins and cannot exceed the pool")
    shares = {stake.bet_id: divmod(stake.amount * pool, winning_pool) for stake in winners}
    leftover = pool - sum(base for base, _ in shares.values())
    ranked = sorted(shares, key=lambda bet_id: (-shares[bet_id][1], bet_id))
    bonus = set(ranked[:leftover])
    return {bet_id: base + (bet_id in bonus) for bet_id, (base, _) in shares.items()}


def refund_all(stakes: list[Stake]) -> list[Result]:
    """Everyone gets their own stake back: a cancellation, or a winner nobody backed."""
    return [Result(stake.bet_id, REFUNDED, stake.amount) for stake in stakes]


def settle(stakes: list[Stake], winning_outcome_id: int) -> list[Result]:
    """Results of every bet when winning_outcome_id wins; refunds when nobody backed it."""
    winners = [stake for stake in stakes if stake.outcome_id == winning_outcome_id]
    if not winners:
        return refund_all(stakes)
    paid = split_pool(winners, sum(stake.amount for stake in stakes))
    return [
        Result(stake.bet_id, WON, paid[stake.bet_id]) if stake.bet_id in paid else Result(stake.bet_id, LOST, 0)
        for stake in stakes
    ]
