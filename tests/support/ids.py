"""Discord-like ids for tests: one counter from a random start, so tests sharing a database never collide."""

import itertools
import random

_ids = itertools.count(random.randrange(10**17, 9 * 10**17, 10**9))


def new_snowflake() -> int:
    """A fresh snowflake-sized id."""
    return next(_ids)
