"""Console input: one line at a time from a stream (a terminal with line editing and history, or a pipe)."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sys
import threading
from typing import TextIO


class LineReader:
    """Reads the stream on a daemon thread, one line per request: the prompt appears only when the console is
    ready, and a read blocked on a terminal never keeps the process alive.

    On a terminal, input() gets readline's editing and history (arrow keys); the terminal's settings are saved
    first and put back by restore(), so leaving in the middle of a line (Ctrl-C) never leaves it without echo.
    """

    def __init__(self, stream: TextIO = sys.stdin) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._saved = None
        if self.tty:
            with contextlib.suppress(ImportError, OSError):
                import termios

                self._saved = termios.tcgetattr(stream.fileno())
                import readline  # noqa: F401 - importing it gives input() line editing and history
        self._requests: queue.Queue = queue.Queue()
        threading.Thread(target=self._serve, name="console-stdin", daemon=True).start()

    async def read(self, prompt: str) -> str | None:
        """The next line without its newline, or None at end of input."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._requests.put((prompt, loop, future))
        return await future

    def restore(self) -> None:
        """Put the terminal back as it was before the first prompt."""
        if self._saved is not None:
            import termios

            with contextlib.suppress(OSError):
                termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)

    def _serve(self) -> None:
        while True:
            prompt, loop, future = self._requests.get()
            try:
                line: str | None = input(prompt) if self.tty else (self.stream.readline() or None)
            except (EOFError, OSError, ValueError):
                line = None
            line = line.rstrip("\r\n") if line is not None else None
            loop.call_soon_threadsafe(lambda f=future, v=line: f.done() or f.set_result(v))
