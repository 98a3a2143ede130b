"""The ledger's rules as plain functions, without a database."""

import pytest

from balance_api.errors import UnbalancedTransaction
from balance_api.ledger import Leg, validate_legs
from service_kit.idempotency import request_fingerprint


def test_balanced_legs_between_distinct_accounts_pass():
    validate_legs([Leg(amount=-5, user_id=1), Leg(amount=3, user_id=2), Leg(amount=2, system="sink")])


@pytest.mark.parametrize(
    ("legs", "message"),
    [
        ([Leg(amount=-5, user_id=1)], "at least two"),
        ([Leg(amount=-5, user_id=1), Leg(amount=4, user_id=2)], "sum to -1"),
        ([Leg(amount=-5, user_id=1), Leg(amount=5, user_id=1)], "only once"),
        ([Leg(amount=0, user_id=1), Leg(amount=0, system="mint")], "cannot be zero"),
    ],
)
def test_unbalanced_or_ambiguous_legs_are_refused(legs, message):
    with pytest.raises(UnbalancedTransaction, match=message):
        validate_legs(legs)


def test_fingerprints_ignore_key_order_but_not_values():
    assert request_fingerprint({"a": 1, "b": 2}) == request_fingerprint({"b": 2, "a": 1})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": 2})
