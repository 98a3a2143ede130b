"""A body over the limit is a 413 `body_too_large` before it is read in full and before the credential is checked."""

import json
import select
import socket
import time

import httpx
import pytest

from buteco_dev.credentials import auth_headers
from buteco_dev.processes import ServiceGroup, ServiceProcess

pytestmark = pytest.mark.slow

LIMIT = 64 * 1024
HUGE = 200 * 1024 * 1024


@pytest.fixture(scope="module")
def probe(module_start_service) -> ServiceProcess:
    return module_start_service("service_kit.tests.probe_app")


@pytest.fixture(scope="module")
def small_limit(tmp_path_factory) -> ServiceProcess:
    """A service whose operator set MAX_BODY_BYTES below the kit's default."""
    with ServiceGroup(None, tmp_path_factory.mktemp("small")) as group:
        yield group.start("service_kit.tests.tableless_app", {"MAX_BODY_BYTES": "2048"})


def _connect(service: ServiceProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", service.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], dict]:
    """Read one HTTP response (the server closes the connection after a 413) into status, headers and JSON body."""
    raw, deadline = b"", time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.lower().split(b"\r\n")
        lengths = [int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length:")]
        if lengths and len(body) >= lengths[0]:
            break
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def _request_head(path: str, extra: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer not-the-credential\r\nX-Request-ID: big-1\r\n{extra}\r\n"
    ).encode()


def test_a_declared_length_over_the_limit_is_refused_at_once_unread_and_before_auth(probe):
    with _connect(probe) as sock:
        sock.sendall(_request_head("/echo", f"Content-Length: {HUGE}\r\n") + b'{"amount": 1, "pad": "')
        started = time.monotonic()
        status, headers, body = _answer(sock)
    assert time.monotonic() - started < 5, "answered without waiting for the 200 MB that never came"
    assert status == 413 and body["code"] == "body_too_large" and body["request_id"] == "big-1", body
    assert str(LIMIT) in body["detail"] and headers["connection"] == "close"


def test_a_chunked_body_is_counted_as_it_streams_and_refused_past_the_limit(probe):
    chunk, sent, answered = b"x" * 8192, 0, False
    with _connect(probe) as sock:
        sock.sendall(_request_head("/echo", "Transfer-Encoding: chunked\r\n"))
        while sent < 8 * 1024 * 1024 and not answered:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            answered = bool(select.select([sock], [], [], 0.005)[0])
        status, headers, body = _answer(sock)
    assert status == 413 and body["code"] == "body_too_large", body
    assert sent < 2 * 1024 * 1024, f"the 413 came only after {sent} bytes"


def test_up_to_the_limit_is_accepted_and_one_byte_more_is_not(probe):
    def body_of(size: int) -> bytes:
        start = b'{"amount": 7, "pad": "'
        return start + b"y" * (size - len(start) - 2) + b'"}'

    with httpx.Client(base_url=probe.url, headers=auth_headers(), timeout=10) as client:
        headers = {"Content-Type": "application/json"}
        accepted = client.post("/echo", content=body_of(LIMIT), headers=headers)
        refused = client.post("/echo", content=body_of(LIMIT + 1), headers=headers)
    assert accepted.status_code == 200 and accepted.json() == {"amount": 7}
    assert refused.status_code == 413 and refused.json()["code"] == "body_too_large"


def test_the_operator_may_set_the_limit(small_limit):
    with httpx.Client(base_url=small_limit.url, timeout=10) as client:
        refused = client.post("/ping", content=b"z" * 2049)
        assert refused.status_code == 413 and "2048 bytes" in refused.json()["detail"]
        assert client.get("/ping", headers=auth_headers()).status_code == 200
