"""Background work a service repeats on its own (sweeps, reconciles): a thread per job, backoff, a clean stop."""

import logging
import threading
from collections.abc import Callable

from sqlalchemy.exc import OperationalError

from service_kit.logging import request_id_var

logger = logging.getLogger("service_kit.periodic")

Job = Callable[[threading.Event], object]
"""One pass; it gets the stop event, so a long pass can end early between two bounded steps. A pass that returns
False could not do its work (a dependency is down, and it said so in its own log line): it backs off like a crash."""


class Periodic:
    """Runs a job at once, then every interval; a failing pass waits twice as long each time, up to max_backoff_s."""

    def __init__(self, name: str, job: Job, *, interval_s: float, max_backoff_s: float | None = None) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.name = name
        self.job = job
        self.interval_s = interval_s
        self.max_backoff_s = max(max_backoff_s or interval_s * 16, interval_s)
        self.passes = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> "Periodic":
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Ask the job to stop and wait for the pass in progress; False when it did not end in time."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        stopped = not self._thread.is_alive()
        if not stopped:
            logger.warning("%s did not stop within %.1f s", self.name, timeout_s)
        return stopped

    def next_delay(self, consecutive_failures: int) -> float:
        """The wait before the next pass: the interval, doubled per failure in a row, never past max_backoff_s."""
        return min(self.interval_s * 2 ** min(consecutive_failures, 30), self.max_backoff_s)

    def _loop(self) -> None:
        failed_in_a_row, delay = 0, 0.0
        while not self._stop.wait(delay):
            self.passes += 1
            request_id_var.set(f"{self.name}-{self.passes}")
            try:
                worked = self.job(self._stop) is not False
                failed_in_a_row = 0 if worked else failed_in_a_row + 1
            except OperationalError as exc:  # the database is restarting or gone: expected, one line is enough
                failed_in_a_row += 1
                self.failures += 1
                logger.warning(
                    "%s pass %d failed (%d in a row): database unavailable (%s)",
                    self.name,
                    self.passes,
                    failed_in_a_row,
                    type(exc.orig).__name__,
                )
            except Exception:
                failed_in_a_row += 1
                self.failures += 1
                logger.exception("%s pass %d failed (%d in a row)", self.name, self.passes, failed_in_a_row)
            delay = self.next_delay(failed_in_a_row)
