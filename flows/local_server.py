"""A local Prefect server for `schoolwatch serve`: started on 127.0.0.1, watched, stopped.

Prefect's in-process (ephemeral) API has no scheduler, so schedules served against it never
fire. `schoolwatch serve` therefore runs a real `prefect server start` (API, scheduler and the
other services) as a child process, with its home and SQLite database in `prefect/` beside the
warehouse file and its log in `prefect/server.log`.

This module does not import Prefect: it runs before Prefect's settings are read.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from schoolwatch.errors import SchoolwatchError

HOST = "127.0.0.1"
START_TIMEOUT_S = 180.0  # the first start creates the database: ~25 s on a busy 2-core machine
STOP_TIMEOUT_S = 20.0


class ServerError(SchoolwatchError):
    """The local Prefect server could not start, or stopped."""


def answers(api_url: str, timeout_s: float = 3.0) -> bool:
    """Whether a Prefect API answers its health check at `api_url` (".../api")."""
    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def port_free(port: int) -> bool:
    """Whether a server could listen on `port` (connections of a stopped one may linger)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _die_with_parent() -> None:
    """In the child: SIGTERM when the parent dies, so no server outlives `serve` (Linux)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no such guard
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LocalServer:
    """`prefect server start` on 127.0.0.1:`port` with its home in `home`."""

    def __init__(self, home: Path, port: int) -> None:
        self.home = home
        self.port = port
        self.api_url = f"http://{HOST}:{port}/api"
        self.log_path = home / "server.log"
        self.process: subprocess.Popen | None = None

    @property
    def database(self) -> Path:
        return self.home / "prefect.db"

    def env(self) -> dict[str, str]:
        """The settings the server and its clients share."""
        return {"PREFECT_HOME": str(self.home), "PREFECT_API_URL": self.api_url}

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the server and wait until its API answers; `ServerError` saying why not."""
        if not port_free(self.port):
            raise ServerError(
                f"port {self.port} on {HOST} is in use (another Prefect server?); stop what "
                "uses it, or choose another port with [schedule] server_port in the config"
            )
        self.home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env(), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        command = [sys.executable, "-m", "prefect", "server", "start"]
        command += ["--host", HOST, "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches `serve`, which stops the server in turn
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout_s
        while not answers(self.api_url, timeout_s=2.0):
            if self.process.poll() is not None:
                raise ServerError(
                    f"the local Prefect server exited (status {self.process.returncode}) while "
                    f"starting; see {self.log_path}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ServerError(
                    f"the local Prefect server did not answer within {timeout_s:g} s; "
                    f"see {self.log_path}"
                )
            time.sleep(0.5)

    def exited(self) -> int | None:
        """The server's exit status once it has stopped; None while it runs."""
        return None if self.process is None else self.process.poll()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after `STOP_TIMEOUT_S`)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
