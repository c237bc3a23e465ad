"""prefect.yaml declares deployments whose entrypoints exist and whose schedules match serve."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows import serve

ROOT = Path(__file__).resolve().parents[2]


def _deployments() -> dict[str, dict]:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    assert spec["pull"], "an explicit pull step, or prefect deploy records this machine's path"
    return {d["name"]: d for d in spec["deployments"]}


def test_entrypoints_load_as_flows():
    from prefect.flows import load_flow_from_entrypoint

    names = {}
    for dep in _deployments().values():
        flow = load_flow_from_entrypoint(str(ROOT / dep["entrypoint"]))
        names[dep["name"]] = flow.name
    assert names == {"daily-monitor": "daily-monitor", "digest": "send-digest"}


def test_schedules_are_london_time_and_agree_with_serve():
    deps = _deployments()
    assert deps["daily-monitor"]["schedules"] == [
        {"cron": serve.DAILY_MONITOR_CRON, "timezone": serve.TIMEZONE}
    ]
    assert deps["digest"]["schedules"] == [{"cron": serve.DIGEST_CRON, "timezone": serve.TIMEZONE}]
    assert serve.DAILY_MONITOR_CRON == "0 6 * * *" and serve.DIGEST_CRON == "30 7 * * 1-5"
    assert all(d["work_pool"]["name"] == "schoolwatch" for d in deps.values())
