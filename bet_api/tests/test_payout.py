"""The payout arithmetic: for any stakes, exactly the whole pool is paid, each winner within one coin of fair."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bet_api.payout import LOST, REFUNDED, WON, Stake, refund_all, settle, split_pool

MAX_AMOUNT = 10**12
stakes_strategy = st.lists(
    st.tuples(st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=10**9)),
    min_size=1,
    max_size=60,
).map(
    lambda pairs: [Stake(bet_id=n + 1, outcome_id=outcome, amount=amount) for n, (outcome, amount) in enumerate(pairs)]
)


@given(stakes_strategy, st.integers(min_value=1, max_value=3))
def test_payouts_sum_to_the_pool_and_stay_within_one_coin_of_fair(stakes, winner):
    pool = sum(stake.amount for stake in stakes)
    results = settle(stakes, winner)
    assert sum(result.payout for result in results) == pool
    assert [result.bet_id for result in results] == [stake.bet_id for stake in stakes]
    winners = [stake for stake in stakes if stake.outcome_id == winner]
    winning_pool = sum(stake.amount for stake in winners)
    by_bet = {result.bet_id: result for result in results}
    for stake in stakes:
        result = by_bet[stake.bet_id]
        if not winners:
            assert (result.result, result.payout) == (REFUNDED, stake.amount)
        elif stake.outcome_id == winner:
            fair = stake.amount * pool // winning_pool
            assert result.result == WON and fair <= result.payout <= fair + 1
            assert result.payout >= stake.amount
        else:
            assert (result.result, result.payout) == (LOST, 0)


@given(
    st.lists(st.integers(min_value=1, max_value=MAX_AMOUNT), min_size=1, max_size=40),
    st.integers(min_value=0, max_value=MAX_AMOUNT),
)
def test_split_pool_is_exact_for_huge_amounts(amounts, extra):
    winners = [Stake(n + 1, 1, amount) for n, amount in enumerate(amounts)]
    pool = sum(amounts) + extra
    paid = split_pool(winners, pool)
    assert sum(paid.values()) == pool
    for stake in winners:
        assert 0 <= paid[stake.bet_id] - stake.amount * pool // sum(amounts) <= 1


def test_the_leftover_goes_to_the_largest_remainders_then_the_earliest_bet():
    # pool 10 over three equal stakes of 1: 3.33… each; the one leftover coin goes to the earliest bet.
    assert split_pool([Stake(7, 1, 1), Stake(3, 1, 1), Stake(5, 1, 1)], 10) == {3: 4, 5: 3, 7: 3}
    # 2 × 7 / 3 = 4.67 (remainder 2) beats 1 × 7 / 3 = 2.33 (remainder 1).
    assert split_pool([Stake(1, 1, 1), Stake(2, 1, 2)], 7) == {1: 2, 2: 5}


def test_settle_and_refund_shapes():
    stakes = [Stake(1, 10, 100), Stake(2, 20, 300), Stake(3, 10, 100)]
    assert [(r.result, r.payout) for r in settle(stakes, 10)] == [(WON, 250), (LOST, 0), (WON, 250)]
    assert [(r.result, r.payout) for r in settle(stakes, 30)] == [(REFUNDED, 100), (REFUNDED, 300), (REFUNDED, 100)]
    assert refund_all([]) == [] and settle([], 10) == []


def test_a_winning_side_larger_than_the_pool_is_refused():
    with pytest.raises(ValueError):
        split_pool([Stake(1, 1, 5)], 4)
