"""`schoolwatch serve`: the two schedules from the config, on a Prefect server that fires them.

With `PREFECT_API_URL` set, the schedules are served on that server (it must answer). Without
it, a local Prefect server is started on 127.0.0.1 beside the warehouse, watched while the
schedules are served, and stopped at the end; if it dies, `serve` stops with one line saying so
(a service manager such as systemd restarts both).

Prefect is imported only after the server's address is in the environment: Prefect reads its
settings at import.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from flows.local_server import LocalServer, ServerError, answers
from schoolwatch.config import Config, ScheduleConfig

WATCH_EVERY_S = 2.0
# after the server dies, how long Prefect's own shutdown may take before the process ends anyway
# (its runner can keep retrying the dead API for minutes on a busy machine)
SHUTDOWN_GRACE_S = 20.0


def serve(cfg: Config, config_path: Path) -> None:
    """Serve both schedules until interrupted (Ctrl-C or SIGTERM)."""
    api_url = os.environ.get("PREFECT_API_URL")
    if api_url:
        if not answers(api_url):
            raise ServerError(
                f"no Prefect server answers at PREFECT_API_URL={api_url}; start it "
                "(prefect server start), or unset PREFECT_API_URL and schoolwatch serve "
                "starts one of its own"
            )
        print(f"serving the schedules on the Prefect server at {api_url}", flush=True)
        _serve_deployments(cfg.schedule, config_path)
        return
    server = LocalServer(cfg.warehouse.path.parent / "prefect", cfg.schedule.server_port)
    # until Prefect's runner installs its own handler, SIGTERM stops the server and us at once:
    # an exception raised from the handler could land inside a library that wraps it (Prefect's
    # import turned one into a pydantic error and exit status 1)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: _stop_now(server))
    stopping = threading.Event()
    try:
        server.start()
        os.environ.update(server.env())
        assert server.process is not None
        print(
            f"local Prefect server at {server.api_url.removesuffix('/api')} (PID "
            f"{server.process.pid}); database {server.database}; log {server.log_path}",
            flush=True,
        )
        threading.Thread(target=_watch, args=(server, stopping), daemon=True).start()
        _serve_deployments(cfg.schedule, config_path)
    finally:
        stopping.set()
        status = server.exited()
        server.stop()
    if status is not None:
        raise ServerError(_stopped(server, status))


def _stopped(server: LocalServer, status: int) -> str:
    return (
        f"the local Prefect server stopped (status {status}), so schoolwatch serve stopped "
        f"too; see {server.log_path}, then start schoolwatch serve again"
    )


def _stop_now(server: LocalServer) -> None:
    sys.stdout.flush()
    server.stop()
    os._exit(0)


def _watch(server: LocalServer, stopping: threading.Event) -> None:
    """Interrupt the serving main thread if the server dies; if Prefect's shutdown has not
    ended it within `SHUTDOWN_GRACE_S`, end the process with the same one line and status 1."""
    while not stopping.wait(WATCH_EVERY_S):
        status = server.exited()
        if status is not None:
            _thread.interrupt_main()
            if not stopping.wait(SHUTDOWN_GRACE_S):
                print(f"schoolwatch: {_stopped(server, status)}", file=sys.stderr, flush=True)
                os._exit(1)
            return


def _serve_deployments(schedule: ScheduleConfig, config_path: Path) -> None:
    from flows.prefect_env import apply_defaults, quiet_known_errors

    apply_defaults()
    quiet_known_errors()
    # Prefect's SIGTERM handler calls an async stop without awaiting it; the stop still happens
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    from prefect import serve as prefect_serve

    print(
        f"daily-monitor: {schedule.run_cron}; digest: {schedule.digest_cron} ({schedule.timezone})",
        flush=True,
    )
    # keep the schedules active if this process stops: a restart should not need a manual resume
    prefect_serve(*deployments(schedule, config_path), pause_on_shutdown=False)


def deployments(schedule: ScheduleConfig, config_path: Path) -> list:
    """The `daily-monitor` and `digest` deployments with the configured schedules."""
    from prefect.schedules import Cron

    from flows.daily import daily_monitor
    from flows.delivery import send_digest

    parameters = {"config_path": str(config_path)}
    return [
        daily_monitor.to_deployment(
            name="daily-monitor",
            schedule=Cron(schedule.run_cron, timezone=schedule.timezone),
            parameters=parameters,
            description="Collect, analyse, store, alert and digest once a day.",
        ),
        send_digest.to_deployment(
            name="digest",
            schedule=Cron(schedule.digest_cron, timezone=schedule.timezone),
            parameters=parameters,
            description="Email each school's digest of what has not been sent yet.",
        ),
    ]
