"""The background runner: passes at once and then every interval, backs off on failure, stops between passes."""

import threading
import time

import pytest

from service_kit.periodic import Periodic

DEADLINE_S = 5


def wait_for(condition) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.01)


def test_the_first_pass_runs_at_once_then_every_interval_until_stopped():
    seen: list[float] = []
    runner = Periodic("every-50ms", lambda stop: seen.append(time.monotonic()), interval_s=0.05).start()
    wait_for(lambda: len(seen) >= 4)
    assert runner.stop(timeout_s=2)
    count = len(seen)
    time.sleep(0.15)
    assert len(seen) == count, "no pass after stop"
    gaps = [later - earlier for earlier, later in zip(seen, seen[1:], strict=False)]
    assert all(gap >= 0.045 for gap in gaps), gaps
    assert runner.failures == 0


def test_a_failing_pass_is_logged_and_the_next_waits_twice_as_long_up_to_the_cap(caplog):
    seen: list[float] = []

    def crash(stop: threading.Event) -> None:
        seen.append(time.monotonic())
        raise RuntimeError("the database is gone")

    runner = Periodic("crashing", crash, interval_s=0.05, max_backoff_s=0.2).start()
    wait_for(lambda: len(seen) >= 5)
    runner.stop(timeout_s=2)
    assert runner.failures >= 5 and "the database is gone" in caplog.text
    assert [runner.next_delay(n) for n in range(5)] == [0.05, 0.1, 0.2, 0.2, 0.2]
    assert seen[2] - seen[1] >= 0.19, "the second failure in a row waited twice the interval"


def test_a_pass_returning_false_backs_off_and_a_good_pass_resets_the_wait():
    answers = iter([False, False, True])
    seen: list[float] = []

    def flaky(stop: threading.Event) -> bool:
        seen.append(time.monotonic())
        return next(answers, True)

    runner = Periodic("flaky", flaky, interval_s=0.1, max_backoff_s=5).start()
    wait_for(lambda: len(seen) >= 5)
    runner.stop(timeout_s=2)
    assert seen[2] - seen[1] >= 0.39, "two refusals in a row: four intervals"
    assert seen[4] - seen[3] < 0.35, "after a good pass: one interval again (not reset: 0.4 s or more)"


def test_stop_waits_for_the_pass_in_progress_which_sees_the_stop():
    started, ended = threading.Event(), threading.Event()

    def long_pass(stop: threading.Event) -> None:
        started.set()
        stop.wait(DEADLINE_S)
        ended.set()

    runner = Periodic("long", long_pass, interval_s=10).start()
    assert started.wait(DEADLINE_S)
    assert runner.stop(timeout_s=DEADLINE_S) and ended.is_set()


def test_an_interval_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        Periodic("never", lambda stop: None, interval_s=0)
