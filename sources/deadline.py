"""A wall-clock budget for fetching one source, and the watchdog that enforces it on a socket.

httpx's timeouts apply to each network operation: a server that sends its headers or body one
byte a second never trips them. `Deadline` is the source's whole budget (connect, headers and
body of every attempt, and every wait between them); `Watchdog` shuts the request's socket when
the budget runs out, which wakes the thread blocked on it, whatever the server is doing.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

# httpx "trace" events that hand over a freshly opened connection (plain TCP, then TLS)
_CONNECTED = frozenset({"connection.connect_tcp.complete", "connection.start_tls.complete"})


class Deadline:
    """`seconds` from now on `clock`; `attempts` counts the requests made against it."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self._clock = clock
        self._start = clock()
        self.attempts = 0
        self.reached = False  # set once a deadline error has been raised for this fetch

    def sharing(self) -> Deadline:
        """The same budget with its own count of attempts (for a request made on the way, such
        as robots.txt, whose messages should count only its own tries)."""
        other = Deadline(self.seconds, self._clock)
        other._start = self._start
        return other

    def elapsed(self) -> float:
        return self._clock() - self._start

    def remaining(self) -> float:
        return max(self.seconds - self.elapsed(), 0.0)

    def expired(self) -> bool:
        return self.remaining() <= 0


class Watchdog:
    """Shuts every connection opened for one request once `seconds` have passed (real time).

    Pass `watchdog.trace` as the request's httpx `trace` extension; use it as a context manager
    around the whole request, so the timer is cancelled as soon as the request is over. The
    client must not reuse connections (no keep-alive), so each request opens its own and the
    watchdog sees it.
    """

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._done = False
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            self._sockets.clear()

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """The httpx trace hook: remember each socket the request connects."""
        if event not in _CONNECTED:
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if self._done:
                return
            self._sockets.append(sock)
            if self.fired:
                _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # socket.socket.shutdown, not the SSLSocket override (which drops its TLS state under the
    # reading thread): shutting the descriptor down makes the blocked read return at once.
    with contextlib.suppress(OSError):  # already closed: the request is over
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
