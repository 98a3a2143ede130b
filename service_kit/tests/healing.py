"""For the tests of pending work that heals itself: a money service behind a fault proxy, and a bounded wait."""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from buteco_dev.fault_proxy import FaultProxy
from buteco_dev.processes import ServiceGroup, ServiceProcess


@dataclass(frozen=True)
class Services:
    """client_api, a balance_api that may be killed and started again on its port, the proxy, and the service."""

    users: ServiceProcess
    balance: ServiceProcess
    proxy: FaultProxy
    service: ServiceProcess


@contextmanager
def services_starter(database_url: str, log_dir: Path) -> Iterator[Callable[..., Services]]:
    """start(module, **env) runs module with BALANCE_API_URL through a fault proxy; everything stops on exit."""
    with ExitStack() as resources:
        group = resources.enter_context(ServiceGroup(database_url, log_dir))

        def start(module: str, **env: str) -> Services:
            users, balance = group.start("client_api.main"), group.start("balance_api.main")
            proxy = resources.enter_context(FaultProxy(balance.url))
            service = group.start(module, {"BALANCE_API_URL": proxy.url, "BALANCE_API_TIMEOUT_S": "1", **env})
            return Services(users, balance, proxy, service)

        yield start


def wait_until(done: Callable[[], bool], seconds: float) -> float:
    """Seconds until done() held, polled every 50 ms; fails after the deadline."""
    started = time.monotonic()
    while not done():
        assert time.monotonic() - started < seconds, f"not done within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - started
