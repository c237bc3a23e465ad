"""A raw-socket HTTP server on 127.0.0.1 that answers as slowly as a hostile site can.

pytest-httpserver (werkzeug) writes each response whole; a server that sends its status line
and headers one byte at a time needs a socket of its own.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TricklingServer:
    """Answers every request with `prefix` at once, then `response`, `chunk` bytes every
    `interval` seconds, for as long as the client listens. `requests` counts the requests."""

    def __init__(
        self, response: bytes, *, prefix: bytes = b"", interval: float = 0.05, chunk: int = 1
    ) -> None:
        self.prefix = prefix
        self.response = response
        self.interval = interval
        self.chunk = chunk
        self.requests = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # so the accept loop sees `stop` soon
        self._threads: list[threading.Thread] = []
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def start(self) -> None:
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the listener was closed
            self.requests += 1
            worker = threading.Thread(target=self._answer, args=(conn,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn:
            try:
                _read_request(conn)
                conn.sendall(self.prefix)
                for start in range(0, len(self.response), self.chunk):
                    if self._stop.wait(self.interval):
                        return
                    conn.sendall(self.response[start : start + self.chunk])
            except OSError:
                return  # the client hung up: what a deadline is for


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(4096)
        if not piece:
            return
        data += piece


@contextmanager
def trickling_server(response: bytes, **options: object) -> Iterator[TricklingServer]:
    server = TricklingServer(response, **options)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


# Headers that would take about 100 s at one byte every 0.05 s: never finished in a test.
SLOW_HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nX-Padding: " + (
    b"a" * 2000
)
# Sent at once before a body that would take about 100 s.
FAST_HEADERS = b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n"
SLOW_BODY = b"<" * 2000
