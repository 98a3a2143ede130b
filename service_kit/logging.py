"""Request-id logging: every line carries the id the caller sent (or one we made), and no secret; the access line
is preformatted (service_kit.middleware writes it once per request)."""

import logging
import time
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
INTERNAL_ERROR_CODE = "internal_error"
access_logger = logging.getLogger("service_kit.access")
error_logger = logging.getLogger("service_kit.errors")


class _ContextFilter(logging.Filter):
    """Stamps the request id on each record and blanks any secret that slipped into a message."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        if self.secrets:
            message = record.getMessage()
            if any(secret in message for secret in self.secrets):
                for secret in self.secrets:
                    message = message.replace(secret, "[redacted]")
                record.msg, record.args = message, None
        return True


class AccessLine:
    """The access line in the common format, built with one f-string and written straight to the handler's stream:
    a LogRecord, the filter and the Formatter cost more than the line itself, once per request."""

    def __init__(self, service: str, handler: logging.StreamHandler, secrets: list[str]) -> None:
        self.service, self.handler, self.secrets = service, handler, [secret for secret in secrets if secret]
        self._second, self._stamp = -1, ""

    def _asctime(self, now: float) -> str:
        """logging's default asctime, its seconds formatted once per second rather than once per line."""
        second = int(now)
        if second != self._second:
            self._second, self._stamp = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._stamp},{int((now - second) * 1000):03d}"

    def write(self, request_id: str, method: str, path: str, status: int, elapsed_ms: float) -> None:
        line = (
            f"{self._asctime(time.time())} INFO {self.service} [{request_id}] service_kit.access: "
            f"{method} {path} {status} {elapsed_ms:.1f}ms\n"
        )
        for secret in self.secrets:
            if secret in line:
                line = line.replace(secret, "[redacted]")
        with self.handler.lock:
            self.handler.stream.write(line)
            self.handler.flush()


_access_line: AccessLine | None = None


def configure_logging(service: str, level: str, secrets: list[str]) -> None:
    """One format for every service, set once at start-up; uvicorn's own access line would repeat ours."""
    global _access_line
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)s {service} [%(request_id)s] %(name)s: %(message)s")
    )
    handler.addFilter(_ContextFilter(secrets))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers, uvicorn_access.propagate = [], False
    _access_line = AccessLine(service, handler, secrets)


def log_access(request_id: str, method: str, path: str, status: int, elapsed_ms: float) -> None:
    """One access line at INFO: preformatted when logging is the kit's, through `logging` otherwise."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    if _access_line is not None:
        _access_line.write(request_id, method, path, status, elapsed_ms)
    else:
        access_logger.info("%s %s %s %.1fms", method, path, status, elapsed_ms)
