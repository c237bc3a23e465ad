"""The deployment a school runs, against real processes: `prefect server start`, the work pool,
`prefect deploy --all` from prefect.yaml, a worker; and `schoolwatch serve` with its own local
server. `prefect_test_harness` hides what breaks here (HTTP 422s on deploy, a scheduler that
creates no run), so these tests start the real thing on 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
import yaml
from pytest_httpserver import HTTPServer

from tests.flows.conftest import serve_site, write_config
from tests.flows.prefect_server import (
    BIN,
    ROOT,
    Api,
    Processes,
    free_port,
    prefect_env,
    wait_for,
)
from warehouse.connection import one_row

pytestmark = pytest.mark.slow
LONDON = ZoneInfo("Europe/London")
DONE = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]


@pytest.fixture
def processes(tmp_path: Path):
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()
        procs.print_logs()


def _cli(args: list, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, f"{args[:3]}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    return result


def _london(run: dict) -> datetime:
    return datetime.fromisoformat(run["expected_start_time"]).astimezone(LONDON)


def _finished(api: Api, run_id: str, processes: Processes, *logs: str) -> dict | None:
    run = api.flow_run(run_id)
    if run["state_type"] in DONE:
        assert run["state_type"] == "COMPLETED", run["state"]["message"] + "".join(
            processes.log(n)[-3000:] for n in logs
        )
        return run
    return None


def test_prefect_yaml_deploys_schedules_and_a_worker_runs_daily_monitor(
    tmp_path: Path, httpserver: HTTPServer, processes: Processes
):
    port = free_port()
    api = Api(f"http://127.0.0.1:{port}/api")
    env = prefect_env(tmp_path / "prefect-home", api.url, SCHOOLWATCH_HOME=str(ROOT))
    config = write_config(tmp_path, serve_site(httpserver))

    # the README's deployment section, command for command
    server = processes.start(
        "server", [BIN / "prefect", "server", "start", "--host", "127.0.0.1", "--port", port], env
    )
    wait_for("the Prefect server", lambda: api.healthy() or server.poll() is not None, 180)
    assert server.poll() is None, processes.log("server")[-3000:]
    _cli([BIN / "prefect", "work-pool", "create", "schoolwatch", "--type", "process"], env)
    # the worker's own terminal: it starts while the deployments are being created
    processes.start("worker", [BIN / "prefect", "worker", "start", "--pool", "schoolwatch"], env)
    _cli([BIN / "prefect", "--no-prompt", "deploy", "--all"], env)

    deployments = api.deployments()
    spec = {
        d["name"]: d for d in yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    }
    assert set(deployments) == set(spec) == {"daily-monitor", "digest"}
    for name, dep in deployments.items():
        assert [
            {"cron": s["schedule"]["cron"], "timezone": s["schedule"]["timezone"]}
            for s in dep["schedules"]
        ] == spec[name]["schedules"]
        assert all(s["active"] for s in dep["schedules"])
        assert dep["work_pool_name"] == "schoolwatch"
        # the checkout named by SCHOOLWATCH_HOME, not the deploying machine's directory
        assert dep["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
        ]
    assert {n: d["flow_name"] for n, d in deployments.items()} == {
        "daily-monitor": "daily-monitor",
        "digest": "send-digest",
    }

    # the server's scheduler creates the coming runs: 06:00 daily, 07:30 on weekdays
    def scheduled(name: str) -> list[dict]:
        return api.flow_runs(deployments[name]["id"], ["SCHEDULED"])

    monitor_runs = wait_for("scheduled daily-monitor runs", lambda: scheduled("daily-monitor"), 60)
    digest_runs = wait_for("scheduled digest runs", lambda: scheduled("digest"), 60)
    assert all(r["auto_scheduled"] for r in monitor_runs + digest_runs)
    assert {(_london(r).hour, _london(r).minute) for r in monitor_runs} == {(6, 0)}
    assert {(_london(r).hour, _london(r).minute) for r in digest_runs} == {(7, 30)}
    assert all(_london(r).weekday() < 5 for r in digest_runs)

    # the worker runs daily-monitor now against the fixture site
    run = api.post(
        f"/deployments/{deployments['daily-monitor']['id']}/create_flow_run",
        {"parameters": {"config_path": str(config)}},
    )
    wait_for(
        "daily-monitor to complete",
        lambda: _finished(api, run["id"], processes, "worker", "server"),
        240,
    )
    [artifact] = api.artifacts("digest-fernhill-abbey")
    assert "Fernhill Abbey" in artifact["description"] + artifact["data"]
    assert [f.suffix for f in (tmp_path / "outbox").iterdir()].count(".eml") >= 1
    con = duckdb.connect(str(tmp_path / "wh" / "schoolwatch.duckdb"), read_only=True)
    try:
        assert one_row(con, "SELECT count(*) FROM flagged")[0] >= 2
    finally:
        con.close()
    assert {req.path for req, _ in httpserver.log} >= {"/news.rss", "/forum/t/7"}


SERVE_CONFIG = """
[warehouse]
path = "data/schoolwatch.duckdb"

[email]
outbox = "outbox"

[schedule]
run_cron = "30 5 * * *"
digest_cron = "* * * * *"
timezone = "Europe/London"
server_port = {port}

[[schools]]
id = "fernhill-abbey"
name = "Fernhill Abbey Primary School, Coldbrook"
digest_to = ["head@fernhill.example"]
"""


def test_serve_starts_a_local_server_whose_scheduler_fires(tmp_path: Path, processes: Processes):
    port = free_port()
    config = tmp_path / "schoolwatch.toml"
    config.write_text(SERVE_CONFIG.format(port=port))
    api = Api(f"http://127.0.0.1:{port}/api")
    env = prefect_env(tmp_path / "client-home", None)
    serve = processes.start("serve", [BIN / "schoolwatch", "serve", "--config", config], env)

    wait_for("schoolwatch serve's server", lambda: api.healthy() or serve.poll() is not None, 180)
    assert serve.poll() is None, processes.log("serve")[-3000:]
    match = wait_for(
        "the server's PID", lambda: re.search(r"\(PID (\d+)\)", processes.log("serve")), 30
    )
    server_pid = int(match.group(1))
    assert (tmp_path / "data" / "prefect" / "prefect.db").exists()  # beside the warehouse

    deployments = wait_for("both deployments", lambda: len(api.deployments()) == 2, 120)
    deployments = api.deployments()
    crons = {n: [s["schedule"]["cron"] for s in d["schedules"]] for n, d in deployments.items()}
    assert crons == {"daily-monitor": ["30 5 * * *"], "digest": ["* * * * *"]}
    monitor_runs = wait_for(
        "scheduled daily-monitor runs",
        lambda: api.flow_runs(deployments["daily-monitor"]["id"], ["SCHEDULED"]),
        60,
    )
    assert {(_london(r).hour, _london(r).minute) for r in monitor_runs} == {(5, 30)}

    # the digest's every-minute schedule fires by itself: no one triggers it
    done = wait_for(
        "a scheduled digest run to complete",
        lambda: api.flow_runs(deployments["digest"]["id"], DONE),
        150,
    )
    assert done[0]["state_type"] == "COMPLETED" and done[0]["auto_scheduled"]
    assert list((tmp_path / "outbox").glob("*.eml"))

    # the server dies: serve stops too, in one line, for the service manager to restart it
    os.kill(server_pid, signal.SIGKILL)
    assert serve.wait(timeout=60) == 1
    assert (
        processes.log("serve")
        .strip()
        .splitlines()[-1]
        .startswith(
            "schoolwatch: the local Prefect server stopped (status -9), so schoolwatch serve "
            "stopped too; see "
        )
    )

    # started again (as systemd would), then SIGTERM (systemctl stop): its server stops too
    serve = processes.start("serve-again", [BIN / "schoolwatch", "serve", "--config", config], env)
    wait_for("the restarted server", lambda: api.healthy() or serve.poll() is not None, 180)
    match = wait_for(
        "its PID", lambda: re.search(r"\(PID (\d+)\)", processes.log("serve-again")), 30
    )
    wait_for("the deployments again", lambda: len(api.deployments()) == 2, 120)
    os.kill(serve.pid, signal.SIGTERM)
    assert serve.wait(timeout=60) == 0
    wait_for("the server to stop", lambda: not _alive(int(match.group(1))), 30)
    assert not api.healthy()


def test_serve_stopped_while_it_starts_stops_its_server_and_exits_0(tmp_path: Path, processes):
    # systemctl stop can come while serve is still importing Prefect, before Prefect's runner
    # has a SIGTERM handler of its own: serve must still stop its server and exit 0
    port = free_port()
    config = tmp_path / "schoolwatch.toml"
    config.write_text(SERVE_CONFIG.format(port=port))
    env = prefect_env(tmp_path / "client-home", None)
    serve = processes.start("serve", [BIN / "schoolwatch", "serve", "--config", config], env)
    match = wait_for(
        "the server's PID",
        lambda: re.search(r"\(PID (\d+)\)", processes.log("serve")) or serve.poll() is not None,
        180,
    )
    assert serve.poll() is None, processes.log("serve")[-3000:]
    os.kill(serve.pid, signal.SIGTERM)
    assert serve.wait(timeout=60) == 0, processes.log("serve")[-3000:]
    wait_for("the server to stop", lambda: not _alive(int(match.group(1))), 30)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_refuses_in_one_line_when_it_cannot_run(tmp_path: Path):
    config = tmp_path / "schoolwatch.toml"
    with_port = SERVE_CONFIG.format(port=free_port())
    config.write_text(with_port)
    nobody = f"http://127.0.0.1:{free_port()}/api"
    env = prefect_env(tmp_path / "home", nobody)
    refused = subprocess.run(
        [BIN / "schoolwatch", "serve", "--config", config], env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"schoolwatch: no Prefect server answers at PREFECT_API_URL={nobody}; start it "
        "(prefect server start), or unset PREFECT_API_URL and schoolwatch serve starts one "
        "of its own"
    ]

    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config.write_text(SERVE_CONFIG.format(port=port))
        refused = subprocess.run(
            [BIN / "schoolwatch", "serve", "--config", config],
            env=prefect_env(tmp_path / "home", None), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"schoolwatch: port {port} on 127.0.0.1 is in use (another Prefect server?); stop what "
        "uses it, or choose another port with [schedule] server_port in the config"
    ]
