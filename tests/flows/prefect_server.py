"""Helpers for tests against a real Prefect server process: start and always stop processes,
and read the server's REST API (with httpx, so the test process's own Prefect settings,
which point at the test harness, play no part)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# short loops so a test sees in seconds what a school sees in a minute
FAST = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "1",
    "PREFECT_WORKER_QUERY_SECONDS": "1",
    "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "INFO",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prefect_env(home: Path, api_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(FAST, PREFECT_HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


class Processes:
    """Processes a test starts, each in its own session, all stopped at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, args: list, env: dict[str, str], cwd: Path = ROOT):
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [str(a) for a in args], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        log.close()
        self.started.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            stop_group(proc)

    def print_logs(self, tail: int = 4000) -> None:
        """The end of each process's log, on stdout: pytest shows it when the test failed."""
        for log in sorted(self.logs.glob("*.log")):
            print(f"----- {log.name} (last {tail} characters) -----")
            print(log.read_text(errors="replace")[-tail:])


def stop_group(proc: subprocess.Popen, timeout_s: float = 20) -> None:
    """SIGTERM the process and its children (its session), SIGKILL whatever is left."""
    if proc.poll() is None:
        with _gone_ok():
            os.killpg(proc.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout_s)
    with _gone_ok():
        os.killpg(proc.pid, signal.SIGKILL)  # children that outlived their parent
    proc.wait(timeout=timeout_s)


def _gone_ok() -> suppress:
    return suppress(ProcessLookupError)


def wait_for(what: str, check: Callable[[], Any], timeout_s: float, every_s: float = 0.5):
    """Poll `check` until it returns something truthy; fail saying `what` otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(every_s)


# what Prefect's own client retries (prefect.client.base.PrefectHttpxSyncClient.send)
RETRIED_CODES = (408, 429, 502, 503)
RETRIED_ERRORS = (httpx.TimeoutException, httpx.ReadError, httpx.RemoteProtocolError)
ATTEMPTS = 6


class Api:
    """The few REST calls the tests need."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def post(self, path: str, body: dict | None = None) -> Any:
        return self._call("POST", path, body or {})

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        # On a loaded machine the server answers 503, or nothing for half a minute, while its
        # SQLite database is busy. Prefect's own client retries both, and so does this one, a
        # few times, then raises.
        for attempt in range(ATTEMPTS):
            try:
                response = httpx.request(method, f"{self.url}{path}", json=body, timeout=30)
            except RETRIED_ERRORS:
                if attempt == ATTEMPTS - 1:
                    raise
            else:
                if response.status_code not in RETRIED_CODES or attempt == ATTEMPTS - 1:
                    break
            time.sleep(2 * (attempt + 1))
        response.raise_for_status()
        return response.json()

    def deployments(self) -> dict[str, dict]:
        """{deployment name: deployment} with its flow's name as "flow_name"."""
        found = self.post("/deployments/filter")
        return {d["name"]: {**d, "flow_name": self.get(f"/flows/{d['flow_id']}")["name"]}
                for d in found}  # fmt: skip

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def flow_runs(self, deployment_id: str, states: list[str]) -> list[dict]:
        return self.post(
            "/flow_runs/filter",
            {
                "deployments": {"id": {"any_": [deployment_id]}},
                "flow_runs": {"state": {"type": {"any_": states}}},
                "sort": "EXPECTED_START_TIME_ASC",
            },
        )

    def flow_run(self, run_id: str) -> dict:
        return self.get(f"/flow_runs/{run_id}")

    def artifacts(self, key: str) -> list[dict]:
        return self.post("/artifacts/filter", {"artifacts": {"key": {"any_": [key]}}})
