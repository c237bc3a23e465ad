"""Schedules for the two deployments, shared by `prefect.yaml` and `schoolwatch serve`."""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from flows.daily import daily_monitor
from flows.delivery import send_digest

TIMEZONE = "Europe/London"
DAILY_MONITOR_CRON = "0 6 * * *"
DIGEST_CRON = "30 7 * * 1-5"


def serve_schedules(config_path: str) -> None:
    """Run both deployments' schedules in this process until interrupted."""
    monitor = daily_monitor.to_deployment(
        name="daily-monitor",
        schedule=Cron(DAILY_MONITOR_CRON, timezone=TIMEZONE),
        parameters={"config_path": config_path},
        description="Collect, analyse, store, alert and digest once a day.",
    )
    digest = send_digest.to_deployment(
        name="digest",
        schedule=Cron(DIGEST_CRON, timezone=TIMEZONE),
        parameters={"config_path": config_path},
        description="Email each school's digest of what has not been sent yet.",
    )
    # keep the schedules active if this process stops: a restart should not need a manual resume
    serve(monitor, digest, pause_on_shutdown=False)
